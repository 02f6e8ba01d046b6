"""Analysts' corrections: the data layer the review app writes through, and how corrections outlive re-extraction.

A correction is a row of ``corrections``, never an edit of the extracted rows: the extraction stays what
kehoach read, the views (``v_tasks``, ``v_timeline``, ``v_targets`` and their ``_all`` forms) show the
newest active correction of each field instead, with ``corrected = 1``.  Undoing one sets ``undone_at``:
the views fall back to the correction before it, or to the extracted value.  Nothing is deleted.

Every function runs inside the caller's transaction (``with session_scope(engine) as session:``, one
call, one transaction) and raises :class:`ValueError` with a one-line message on bad input, before
writing anything.

When a document is extracted again (a newer kehoach, ``ingest --force``, a new version of the file at
the same path), its tasks and targets are new rows; :func:`reattach` finds each correction's new row
from its anchor (the span and text of the corrected task or target when the correction was made):

1. the row with the same span (and, for a task, the same text once spaces are collapsed);
2. else the row with the same text (the nearest to the old span when the text recurs);
3. else the row whose text is most like the anchor text (difflib ratio at least :data:`SIMILAR`, 0.8:
   the extractor moved a boundary by a few words, or the new version of the file fixed a typo), the
   rows overlapping the old span first, then the nearest; a row that merely overlaps the old span is
   not enough: when a task is deleted from the file, the next one moves into its place;
4. else the correction is ``status = 'unmatched'``: kept, listed by ``list_corrections(status=
   "unmatched")`` and ``kehoach corrections --unmatched``, applied by no view, matched again by a later
   re-extraction if its row comes back.

A ``reviewed`` mark (the whole document checked, with or without changes) has no anchor and stays
matched.

An added task (``new_task``) that the extractor now finds itself is attached to the extracted task;
otherwise its task row is made again from the document text at the same span (or where the anchor
text now is).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from difflib import SequenceMatcher
from typing import Any

from kehoach.models import schema
from kehoach.models.document import PartialDate
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

FIELDS = schema.CORRECTION_FIELDS
TASK_FIELDS = ("lead", "coordinating", "start", "due", "not_task")
AGENCY_FIELDS = ("lead", "coordinating")
TARGET_KEYS = ("indicator", "min_value", "max_value", "unit", "year", "qualifier")
NEW_TASK_RULE = "correction.new_task"
"""``tasks.rule`` of a task an analyst added."""
SIMILAR = 0.8
NAME_SEPARATOR = "; "
"""How the views join agency names (``v_tasks.lead``)."""

_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class CorrectionView:
    """One correction as the review app lists it."""

    id: int
    document_id: int
    task_id: int | None
    target_id: int | None
    field: str
    old_value: Any
    new_value: Any
    span_start: int | None
    span_end: int | None
    anchor_text: str | None
    created_at: datetime
    author: str | None
    undone_at: datetime | None
    status: str

    @property
    def active(self) -> bool:
        return self.undone_at is None and self.status == "matched"


# --------------------------------------------------------------------------- values


def parse_when(text: str, field: str) -> PartialDate:
    """The start (first period) or due (last period) date of a date as written ("Quý III/2026", "2026-09")."""
    written = " ".join(text.split())
    iso = PartialDate.from_iso(written)
    if iso is not None:
        return iso
    from kehoach.extractors.date_parsing import find_time_expressions

    for expression in find_time_expressions(written):
        first, last = expression.start or expression.end, expression.end or expression.start
        if first is not None and last is not None:
            return first if field == "start" else last
    raise ValueError(
        f"{written!r} is not a date kehoach can read (write it as in a plan: 'Quý III/2026', 'tháng 6/2026', "
        "'30/6/2026', 'năm 2026', or ISO 2026-09-30)"
    )


def _agency_names(session: Session, value: Any) -> list[str]:
    """Canonical names for what the analyst typed: the registry's, else the database's, else as written."""
    from kehoach.extractors.agency_registry import lookup

    if isinstance(value, str):
        value = [part for part in value.split(";")]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValueError("agencies must be a list of names")
    names: list[str] = []
    for written in (" ".join(v.split()) for v in value):
        if not written:
            continue
        entry = lookup(written)
        name = entry.name if entry is not None else None
        if name is None:
            key = schema.fold(written)
            name = session.scalar(select(schema.Agency.name).where(schema.Agency.name_folded == key).limit(1))
            name = name or session.scalar(
                select(schema.Agency.name)
                .join(schema.AgencyAlias, schema.AgencyAlias.agency_id == schema.Agency.id)
                .where(schema.AgencyAlias.alias_folded == key)
                .limit(1)
            )
        name = name or written
        if name not in names:
            names.append(name)
    return names


def _successors(names: list[str]) -> str | None:
    from kehoach.pipeline import agency_links

    found = [chain[0] for chain in (agency_links.successors(name) for name in names) if chain]
    return NAME_SEPARATOR.join(found) or None


def _extracted_agencies(session: Session, task_id: int, role: str) -> list[str]:
    rows = session.execute(
        select(schema.Agency.name)
        .join(schema.TaskAgency, schema.TaskAgency.agency_id == schema.Agency.id)
        .where(schema.TaskAgency.task_id == task_id, schema.TaskAgency.role == role)
        .order_by(schema.TaskAgency.id)
    )
    return list(dict.fromkeys(name for (name,) in rows))


def _number(value: Any, key: str) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = value.strip().replace(".", "").replace(",", ".") if "," in value else value.strip()
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{key} must be a number, not {value!r}") from None


def _target_values(current: dict[str, Any], given: Any) -> dict[str, Any]:
    if not isinstance(given, dict) or not given:
        raise ValueError(f"a target correction is a dict of some of {', '.join(TARGET_KEYS)}")
    unknown = sorted(set(given) - set(TARGET_KEYS))
    if unknown:
        raise ValueError(f"unknown target field(s) {', '.join(unknown)}: use {', '.join(TARGET_KEYS)}")
    merged = {**current, **given}
    if not isinstance(merged["indicator"], str) or not merged["indicator"].strip():
        raise ValueError("a target needs an indicator")
    merged["indicator"] = " ".join(merged["indicator"].split())
    for key in ("min_value", "max_value"):
        merged[key] = _number(merged[key], key)
    if merged["year"] not in (None, ""):
        try:
            merged["year"] = int(merged["year"])
        except (TypeError, ValueError):
            raise ValueError(f"year must be a whole number, not {merged['year']!r}") from None
    else:
        merged["year"] = None
    for key in ("unit", "qualifier"):
        merged[key] = (str(merged[key]).strip() or None) if merged[key] is not None else None
    return merged


# --------------------------------------------------------------------------- reading


def _view(row: schema.Correction) -> CorrectionView:
    return CorrectionView(
        id=row.id,
        document_id=row.document_id,
        task_id=row.task_id,
        target_id=row.target_id,
        field=row.field,
        old_value=row.old_value,
        new_value=row.new_value,
        span_start=row.span_start,
        span_end=row.span_end,
        anchor_text=row.anchor_text,
        created_at=row.created_at,
        author=row.author,
        undone_at=row.undone_at,
        status=row.status,
    )


def get_correction(session: Session, correction_id: int) -> CorrectionView:
    row = session.get(schema.Correction, correction_id)
    if row is None:
        raise ValueError(f"no correction {correction_id}")
    return _view(row)


def list_corrections(
    session: Session, document_id: int | None = None, status: str | None = None, *, include_undone: bool = False
) -> list[CorrectionView]:
    """Corrections, newest first (one document's or all; ``status`` "matched"/"unmatched"; undone ones on request)."""
    if status is not None and status not in schema.CORRECTION_STATUSES:
        raise ValueError(f"status must be one of {', '.join(schema.CORRECTION_STATUSES)}")
    query = select(schema.Correction).order_by(schema.Correction.id.desc())
    if document_id is not None:
        query = query.where(schema.Correction.document_id == document_id)
    if status is not None:
        query = query.where(schema.Correction.status == status)
    if not include_undone:
        query = query.where(schema.Correction.undone_at.is_(None))
    return [_view(row) for row in session.scalars(query)]


def count_corrections(session: Session) -> dict[int, int]:
    """Active corrections per document id (documents without any are absent; a ``reviewed`` mark is no correction)."""
    rows = session.execute(
        select(schema.Correction.document_id, func.count())
        .where(
            schema.Correction.undone_at.is_(None),
            schema.Correction.status == "matched",
            schema.Correction.field != "reviewed",
        )
        .group_by(schema.Correction.document_id)
    )
    return {document_id: count for document_id, count in rows}


def reviewed_documents(session: Session) -> set[int]:
    """Ids of the documents an analyst marked as reviewed (the newest active ``reviewed`` mark is true)."""
    rows = session.execute(
        select(schema.Correction.document_id, schema.Correction.value_text)
        .where(schema.Correction.field == "reviewed", schema.Correction.undone_at.is_(None))
        .order_by(schema.Correction.id)
    )
    latest = {document_id: value for document_id, value in rows}
    return {document_id for document_id, value in latest.items() if value == "true"}


def _active(  # noqa: ANN202 - a Correction or None
    session: Session,
    field: str,
    *,
    task_id: int | None = None,
    target_id: int | None = None,
    document_id: int | None = None,
):
    query = select(schema.Correction).where(
        schema.Correction.field == field,
        schema.Correction.undone_at.is_(None),
        schema.Correction.status == "matched",
    )
    query = query.where(schema.Correction.task_id == task_id) if task_id is not None else query
    query = query.where(schema.Correction.target_id == target_id) if target_id is not None else query
    query = query.where(schema.Correction.document_id == document_id) if document_id is not None else query
    return session.scalars(query.order_by(schema.Correction.id.desc()).limit(1)).first()


# --------------------------------------------------------------------------- writing


def add_correction(
    session: Session,
    *,
    document_id: int,
    field: str,
    new_value: object,
    task_id: int | None = None,
    target_id: int | None = None,
    author: str | None = None,
) -> int:
    """Record one correction (see the module docstring and ``/work/coord/corrections_api.md``); its id."""
    if field not in FIELDS:
        raise ValueError(f"unknown field {field!r}: use one of {', '.join(FIELDS)}")
    content = session.scalar(select(schema.Document.content).where(schema.Document.id == document_id))
    if content is None:
        raise ValueError(f"no document {document_id}")
    row = schema.Correction(
        document_id=document_id, field=field, author=author, created_at=datetime.now(UTC), status="matched"
    )
    if field == "target":
        _target_correction(session, row, target_id, new_value)
    elif field == "reviewed":
        if task_id is not None or target_id is not None:
            raise ValueError("reviewed marks a whole document: give no task_id or target_id")
        if not isinstance(new_value, bool):
            raise ValueError("reviewed is true (the document was checked) or false")
        previous = _active(session, "reviewed", document_id=document_id)
        row.old_value = previous.new_value if previous else False
        row.new_value, row.value_text = new_value, "true" if new_value else "false"
    elif field == "new_task":
        _new_task_correction(session, row, content, new_value)
    else:
        _task_correction(session, row, task_id, new_value)
    session.add(row)
    session.flush()
    return row.id


def _task_row(session: Session, document_id: int, task_id: int | None) -> schema.Task:
    if task_id is None:
        raise ValueError("this correction needs the task_id of the task it corrects")
    task = session.get(schema.Task, task_id)
    if task is None or task.document_id != document_id:
        raise ValueError(f"no task {task_id} in document {document_id}")
    return task


def _task_correction(session: Session, row: schema.Correction, task_id: int | None, new_value: object) -> None:
    task = _task_row(session, row.document_id, task_id)
    row.task_id, row.span_start, row.span_end, row.anchor_text = task.id, task.span_start, task.span_end, task.text
    previous = _active(session, row.field, task_id=task.id)
    if row.field in AGENCY_FIELDS:
        names = _agency_names(session, new_value)
        row.new_value, row.value_text = names, NAME_SEPARATOR.join(names) or None
        row.value_extra = _successors(names) if row.field == "lead" else None
        row.old_value = previous.new_value if previous else _extracted_agencies(session, task.id, row.field)
    elif row.field in ("start", "due"):
        from kehoach.pipeline.store import date_columns, last_day

        written = " ".join(new_value.split()) if isinstance(new_value, str) else new_value
        if written not in (None, "") and not isinstance(written, str):
            raise ValueError(f"{row.field} is a date as written, e.g. 'Quý III/2026'")
        when = parse_when(written, row.field) if written else None
        row.new_value = written or None
        row.value_on, row.value_precision, row.value_iso = date_columns(when)
        row.value_last_day = last_day(when) if row.field == "due" else None
        extracted = task.start_text if row.field == "start" else task.due_text
        row.old_value = previous.new_value if previous else extracted
    else:  # not_task
        if not isinstance(new_value, bool):
            raise ValueError("not_task is true (not a task) or false (a task after all)")
        row.new_value, row.value_text = new_value, "true" if new_value else "false"
        row.old_value = previous.new_value if previous else False


def _new_task_correction(session: Session, row: schema.Correction, content: str, new_value: object) -> None:
    if not isinstance(new_value, dict) or not {"span_start", "span_end"} <= set(new_value):
        raise ValueError('a new task is {"span_start": int, "span_end": int} in the document text')
    start, end = new_value["span_start"], new_value["span_end"]
    if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(content)):
        raise ValueError(f"span {start}–{end} is not inside the document text (0–{len(content)})")
    text = content[start:end]
    start, end = start + len(text) - len(text.lstrip()), end - (len(text) - len(text.rstrip()))
    if start >= end:
        raise ValueError("the selected text is empty")
    row.new_value = {"span_start": start, "span_end": end}
    row.span_start, row.span_end, row.anchor_text = start, end, content[start:end]
    row.old_value = None
    row.value_text = row.anchor_text
    row.task_id = _make_task(session, row.document_id, start, end, content[start:end])


def _make_task(session: Session, document_id: int, start: int, end: int, text: str) -> int:
    """A ``tasks`` row for an analyst's added task, in the section its text lies in."""
    ordinal = session.scalar(select(func.max(schema.Task.ordinal)).where(schema.Task.document_id == document_id))
    section = session.scalar(
        select(schema.Section.path)
        .where(
            schema.Section.document_id == document_id,
            schema.Section.span_start <= start,
            schema.Section.span_end >= start,
        )
        .order_by(schema.Section.level.desc(), schema.Section.span_start.desc())
        .limit(1)
    )
    return session.execute(
        insert(schema.Task)
        .values(
            document_id=document_id,
            ordinal=(ordinal if ordinal is not None else -1) + 1,
            text=text,
            span_start=start,
            span_end=end,
            section=section,
            rule=NEW_TASK_RULE,
        )
        .returning(schema.Task.id)
    ).scalar_one()


def _target_current(target: schema.Target, previous: schema.Correction | None) -> dict[str, Any]:
    if previous is not None and isinstance(previous.new_value, dict):
        return dict(previous.new_value)
    return {key: getattr(target, key) for key in TARGET_KEYS}


def _target_correction(session: Session, row: schema.Correction, target_id: int | None, new_value: object) -> None:
    if target_id is None:
        raise ValueError("a target correction needs the target_id of the target it corrects")
    target = session.get(schema.Target, target_id)
    if target is None or target.document_id != row.document_id:
        raise ValueError(f"no target {target_id} in document {row.document_id}")
    current = _target_current(target, _active(session, "target", target_id=target.id))
    merged = _target_values(current, new_value)
    row.target_id, row.task_id = target.id, None
    row.span_start, row.span_end, row.anchor_text = target.span_start, target.span_end, target.text
    row.old_value, row.new_value, row.value_text = current, merged, schema.fold(merged["indicator"])


def undo_correction(session: Session, correction_id: int) -> None:
    """Undo a correction (the views fall back to the one before it); undoing an added task removes its row."""
    row = session.get(schema.Correction, correction_id)
    if row is None:
        raise ValueError(f"no correction {correction_id}")
    if row.undone_at is not None:
        raise ValueError(f"correction {correction_id} is already undone")
    now = datetime.now(UTC)
    row.undone_at = now
    if row.field == "new_task" and row.task_id is not None:
        task = session.get(schema.Task, row.task_id)
        if task is not None and task.rule == NEW_TASK_RULE:
            session.execute(
                update(schema.Correction)
                .where(schema.Correction.task_id == task.id, schema.Correction.undone_at.is_(None))
                .values(undone_at=now)
            )
            session.execute(delete(schema.Task).where(schema.Task.id == task.id))
    session.flush()


# --------------------------------------------------------------------------- re-extraction


def _squash(text: str | None) -> str:
    return _SPACES.sub(" ", text or "").strip()


def match_span(
    rows: list[tuple[int, int, int, str]], start: int | None, end: int | None, anchor: str | None
) -> tuple[int, int, int, str] | None:
    """The row (id, span_start, span_end, text) an anchor now designates (see the module docstring), or None."""
    if start is None or end is None:
        return None
    key = _squash(anchor)
    same_span = [r for r in rows if (r[1], r[2]) == (start, end)]
    for row in same_span:
        if _squash(row[3]) == key:
            return row
    same_text = [r for r in rows if _squash(r[3]) == key] if key else []
    if same_text:
        return min(same_text, key=lambda r: abs(r[1] - start))
    if same_span and not key:
        return same_span[0]
    best, best_key = None, None
    for row in rows:
        matcher = SequenceMatcher(None, key, _squash(row[3]), autojunk=False)
        if matcher.real_quick_ratio() < SIMILAR or matcher.quick_ratio() < SIMILAR:
            continue
        ratio = matcher.ratio()
        if ratio < SIMILAR:
            continue
        overlaps = min(end, row[2]) > max(start, row[1])
        rank = (not overlaps, -ratio, abs(row[1] - start))
        if best_key is None or rank < best_key:
            best, best_key = row, rank
    return best


def reattach(session: Session, document_id: int) -> dict[str, int]:
    """Re-attach a re-extracted document's corrections to its new tasks and targets; counts by status."""
    content = session.scalar(select(schema.Document.content).where(schema.Document.id == document_id)) or ""
    pending = list(
        session.scalars(
            select(schema.Correction)
            .where(schema.Correction.document_id == document_id, schema.Correction.undone_at.is_(None))
            .order_by(schema.Correction.id)
            .execution_options(populate_existing=True)  # rows moved here by an UPDATE from another file
        )
    )
    counts = {"matched": 0, "unmatched": 0}
    tasks = [
        tuple(r)
        for r in session.execute(
            select(schema.Task.id, schema.Task.span_start, schema.Task.span_end, schema.Task.text).where(
                schema.Task.document_id == document_id
            )
        )
    ]
    targets = [
        tuple(r)
        for r in session.execute(
            select(schema.Target.id, schema.Target.span_start, schema.Target.span_end, schema.Target.text).where(
                schema.Target.document_id == document_id
            )
        )
    ]
    # added tasks first: the corrections made on an added task are anchored on its span
    for row in sorted(pending, key=lambda c: (c.field != "new_task", c.id)):
        if row.field == "reviewed":  # the document as a whole: nothing to find
            row.status = "matched"
            counts["matched"] += 1
            continue
        if row.field == "target":
            match = match_span(targets, row.span_start, row.span_end, row.anchor_text)
            row.target_id = match[0] if match else None
        elif row.field == "new_task":
            match = match_span(tasks, row.span_start, row.span_end, row.anchor_text)
            if match is None:
                match = _remake_task(session, row, content)
                if match is not None:
                    tasks.append(match)
            row.task_id = match[0] if match else None
        else:
            match = match_span(tasks, row.span_start, row.span_end, row.anchor_text)
            row.task_id = match[0] if match else None
        if match is not None:
            row.span_start, row.span_end, row.anchor_text = match[1], match[2], match[3]
        row.status = "matched" if match is not None else "unmatched"
        counts[row.status] += 1
    session.flush()
    return counts


def _remake_task(session: Session, row: schema.Correction, content: str) -> tuple[int, int, int, str] | None:
    """The added task's row again, at its span if the text is still there, else where its text now is."""
    anchor = row.anchor_text or ""
    if not anchor or row.span_start is None:
        return None
    start = row.span_start if content[row.span_start : row.span_start + len(anchor)] == anchor else -1
    if start < 0:
        positions = [m.start() for m in re.finditer(re.escape(anchor), content)]
        if not positions:
            return None
        start = min(positions, key=lambda p: abs(p - (row.span_start or 0)))
    end = start + len(anchor)
    return (_make_task(session, row.document_id, start, end, anchor), start, end, anchor)
