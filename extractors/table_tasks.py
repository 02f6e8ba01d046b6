"""Tasks from tables, in every rendering: DOCX and PDF tables, markdown pipes, cells one per line.

Every reader hands tables over as ``table_row`` blocks with cells (the text
reader rebuilds pipe tables and one-cell-per-line exports into such rows), so
one reader of rows serves them all.  What a column holds comes from the
meaning of its header, whatever the wording: "Cơ quan chủ trì", "Đơn vị chủ
trì thực hiện", "Sở, ngành chủ trì tham mưu", "Cơ quan chịu trách nhiệm" all
name the lead; "Thời gian", "Thời hạn", "Tiến độ", "Thời gian trình" the
date; "Nội dung công việc", "Nhiệm vụ", "Tên nhiệm vụ" the work
(``resources/task_rules.json``, ``table_columns``).  A schedule table with no
work column ("STT | Đơn vị được kiểm tra | Thời gian kiểm tra") takes its
first unnamed text column as the work: each row is one scheduled action.

Conventions of administrative tables the reader follows:

* header rows may be two deep ("Thực hiện" over "Đơn vị chủ trì | Đơn vị
  phối hợp"); the lower row refines the upper;
* when several columns name a lead, the one that says "chủ trì" wins and the
  others ("Cơ quan chịu trách nhiệm quản lý nhà nước") only stand in when it
  is empty;
* a row numbered with a Roman numeral, or one that only numbers and names a
  step ("1 | Lập nhiệm vụ quy hoạch") in a wider table, is a group heading,
  not a task;
* a date cell merged over several rows dates each of them;
* a column of people ("Người thực hiện") names no agency.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from kehoach.extractors.task_drafts import Draft, rules
from kehoach.models.document import Block, Role, Span
from kehoach.models.text_forms import matching_form

if TYPE_CHECKING:
    from kehoach.extractors.tasks import Segmenter

_COLUMN_PRIORITY = ("person", "coordinating", "lead", "time", "task", "number", "note")
"""A header can hold several cue words ("Đơn vị phối hợp thực hiện"): the first role in this order wins."""
_COLUMN_NUMBERS = re.compile(r"^\s*(?:\(?\s*[\dA-Za-z]{1,2}\s*\)?\s*)?$")
"""A row of column numbers "(1) | (2) | (3)" printed under the header."""
_ROMAN_ROW = re.compile(r"^\s*[IVXLC]{1,6}\s*[.)]?\s*$")
_ORDINAL_CELL = re.compile(r"^\s*\d{1,3}\s*[.)]?\s*$")
_PHASE = re.compile(r"\s*(?:Giai đoạn|Bước|Phần|GIAI ĐOẠN|BƯỚC|PHẦN)\b")


def _phase_label(text: str) -> str:
    """The name of a group or phase row ("Giai đoạn 1 - Thu thập dữ liệu" → "Giai đoạn 1")."""
    return re.split(r"\s[-–]\s|:", text.strip(), maxsplit=1)[0].strip()[:60]


def column_role(text: str) -> str | None:
    """The role of a header cell's column (lead, coordinating, time, task, number, note, person)."""
    folded = matching_form(text).strip(" :.")
    if not folded or len(folded.split()) > 14:
        return None
    columns = rules()["table_columns"]
    for role in _COLUMN_PRIORITY:
        for word in columns.get(role, []):
            if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", folded):
                return role
    return None


def _lead_rank(text: str) -> int:
    """Lower is stronger: a "chủ trì" column beats "thực hiện", which beats "chịu trách nhiệm"."""
    folded = matching_form(text)
    for rank, word in enumerate(rules()["lead_column_ranks"]):
        if word in folded:
            return rank
    return len(rules()["lead_column_ranks"])


def grid(block: Block) -> list[tuple[int, int, Span]]:
    """(first grid column, last grid column, span) of each cell, merged cells spanning columns."""
    cells = []
    column = 0
    for cell in block.cells:
        cells.append((column, column + cell.col_span - 1, cell.span))
        column += cell.col_span
    return cells


class TableReader:
    """One task per body row of a table whose header names the work and who or when."""

    def __init__(self, segmenter: Segmenter, rows: list[Block]) -> None:
        self.seg = segmenter
        self.rows = rows
        self.lead_ranks: dict[int, int] = {}

    def read(self) -> None:
        roles: dict[int, str] = {}
        header_texts: set[str] = set()
        body_start = 0
        for index, row in enumerate(self.rows[:3]):
            row_roles: dict[int, str] = {}
            for first, last, span in grid(row):
                text = self.seg.text(span)
                role = column_role(text)
                if role:
                    for column in range(first, last + 1):
                        row_roles[column] = role
                        if role == "lead":
                            self.lead_ranks[column] = min(self.lead_ranks.get(column, 99), _lead_rank(text))
            named = sum(1 for r in set(row_roles.values()) if r in ("lead", "coordinating", "time", "task", "person"))
            numbered = any(
                _ROMAN_ROW.match(self.seg.text(s)) or _ORDINAL_CELL.match(self.seg.text(s)) for _, _, s in grid(row)
            )
            if named >= 1 and not numbered and (row.header or named >= 2 or index == body_start):
                # a second header row refines merged columns ("Thực hiện" → Chủ trì | Phối hợp)
                for column, role in row_roles.items():
                    if role in ("lead", "coordinating") or column not in roles:
                        roles[column] = role
                header_texts.add(matching_form(self.seg.text(row.span)))
                body_start = index + 1
            else:
                break
        if not roles:
            return
        if "task" not in roles.values():
            self._pick_work_column(roles, body_start)
        if "task" not in roles.values() or not ({"lead", "coordinating", "time", "person"} & set(roles.values())):
            return
        self.read_body(roles, header_texts, body_start)

    def _pick_work_column(self, roles: dict[int, str], body_start: int) -> None:
        """A schedule table without a work column: the first unnamed column of text holds the scheduled item."""
        width = max((last for row in self.rows for _, last, _ in grid(row)), default=-1) + 1
        for column in range(width):
            if column in roles:
                continue
            texts = [
                self.seg.text(span)
                for row in self.rows[body_start:]
                for first, _last, span in grid(row)
                if first == column and self.seg.text(span).strip()
            ]
            if texts and sum(1 for t in texts if re.search(r"[^\W\d_]{2}", t)) >= 0.8 * len(texts):
                roles[column] = "task"
                return

    def _is_group_row(self, cells: list[tuple[int, int, Span]], roles: dict[int, str], width: int) -> bool:
        filled = [(first, span) for first, _last, span in cells if self.seg.text(span).strip()]
        if not filled or len(filled) > 2:
            return False
        first_text = self.seg.text(filled[0][1])
        if _ROMAN_ROW.match(first_text):
            return True
        # "1 | Lập nhiệm vụ quy hoạch" under a date column: a numbered step over the rows that follow
        return (
            len(filled) == 2
            and width >= 4
            and bool(_ORDINAL_CELL.match(first_text))
            and roles.get(filled[0][0]) not in ("number", None)
        )

    def read_body(self, roles: dict[int, str], header_texts: set[str], body_start: int) -> None:
        current_time: Span | None = None
        phase = group = ""
        last_draft: Draft | None = None
        width = max(roles) + 1
        for row in self.rows[body_start:]:
            if matching_form(self.seg.text(row.span)) in header_texts or self._is_header_repeat(row):
                continue
            if all(_COLUMN_NUMBERS.match(self.seg.text(cell.span)) for cell in row.cells):
                continue
            cells = grid(row)
            if self._is_group_row(cells, roles, width):
                texts = [self.seg.text(s).strip() for _, _, s in cells if self.seg.text(s).strip()]
                if _ROMAN_ROW.match(texts[0]):
                    group, phase = _phase_label(texts[-1]), _phase_label(texts[-1])
                else:  # a numbered step inside the group
                    phase = f"{group}/{_phase_label(texts[-1])}" if group else _phase_label(texts[-1])
                current_time = None
                continue
            by_role: dict[str, list[tuple[int, Span]]] = {}
            for first, _last, span in cells:
                role = roles.get(first)
                if role and self.seg.text(span).strip():
                    by_role.setdefault(role, []).append((first, span))
            task_cells = by_role.get("task", [])
            if not task_cells:
                continue  # a row whose only text sits outside the work column: a phase or a stray note
            task_span = task_cells[0][1]
            task_text = self.seg.text(task_span)
            lead_spans = self._lead_spans(by_role.get("lead", []))
            coordinating = [span for _, span in by_role.get("coordinating", [])]
            has_roles = bool(lead_spans or coordinating or "person" in by_role)
            if "time" in by_role:
                time_text = self.seg.text(by_role["time"][0][1])
                if not re.fullmatch(r"\s*[IVX\d]+\s*\.?\s*", time_text):
                    current_time = by_role["time"][0][1]
            if not has_roles and "time" not in by_role and _PHASE.match(task_text):
                phase = _phase_label(task_text)
                continue
            continues = not has_roles and "time" not in by_role and not re.match(r"\s*[-+•]", task_text)
            if continues and last_draft is not None:
                # the tail of the previous row, cut by a page break: joined when no other cell's text lies between
                between = self.seg.text((last_draft.span[1], task_span[0]))
                if not re.search(r"[^\W\d_]", between):
                    last_draft.span = (last_draft.span[0], max(last_draft.span[1], task_span[1]))
                    continue
            draft = Draft(
                span=task_span,
                section="Phụ lục" + (f"/{phase}" if phase else ""),
                page=row.page,
                rule="task.table_row",
            )
            fixed: list[tuple[Span, Role]] = [(span, "lead") for span in lead_spans]
            fixed += [(span, "coordinating") for span in coordinating]
            draft.fixed_roles.extend(fixed)
            if current_time is not None:
                draft.time_spans.append(current_time)
            draft.time_spans.append(task_span)
            self.seg.drafts.append(draft)
            last_draft = draft

    def _lead_spans(self, cells: list[tuple[int, Span]]) -> list[Span]:
        """The cells of the strongest lead column that is filled in this row."""
        if not cells:
            return []
        best = min(self.lead_ranks.get(column, 99) for column, _ in cells)
        return [span for column, span in cells if self.lead_ranks.get(column, 99) == best]

    def _is_header_repeat(self, row: Block) -> bool:
        return sum(1 for _, _, span in grid(row) if column_role(self.seg.text(span))) >= 2
