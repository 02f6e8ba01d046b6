"""Tables whose cells come one per line, as text exports of Word tables print them.

A text export of a Word table writes every cell on a line of its own::

    STT
    Đơn vị được kiểm tra
    Thời gian kiểm tra
    I
    Cơ quan chuyên môn cấp tỉnh

    1
    Sở Xây dựng
    Tháng 7/2026

Nothing marks where a row ends, but administrative tables number their rows,
and that numbering is the reliable cue: the header is a run of short lines
opening with the number column ("STT", "TT", "Số TT"), and each row begins
with the next ordinal ("1", "2.", or a group numeral "I", "II").  A row holds
at most one line per column; extra lines (a cell of several names, a cell
wrapped by the exporter) join the cell they continue, and a line that reads
as a date goes to the last column when the header ends with a time column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_NUMBER_HEADER = re.compile(r"^(?:stt|tt|số\s*tt|số\s*thứ\s*tự)\.?$", re.IGNORECASE)
_ORDINAL = re.compile(r"^\s*(?P<n>\d{1,3}|[IVXLC]{1,6})\s*[.)]?\s*$")
_HEADER_WORDS = 8
_MAX_COLUMNS = 8
_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
_DATE_LIKE = re.compile(
    r"(?:\b(?:tháng|quý|năm|ngày|thường xuyên|hàng năm|hằng năm)\b|\d{1,2}/\d{4}|\b(?:19|20)\d{2}\b)", re.IGNORECASE
)


@dataclass
class FlatTable:
    """Lines ``start``..``end`` (exclusive) of the input read as rows of cells (the header row first)."""

    start: int
    end: int
    rows: list[list[str]] = field(default_factory=list)


def _roman(text: str) -> int | None:
    total, previous = 0, 0
    for char in reversed(text.upper()):
        value = _ROMAN.get(char)
        if value is None:
            return None
        total = total - value if value < previous else total + value
        previous = max(previous, value)
    return total


def _ordinal(line: str | None) -> tuple[str, int] | None:
    """("arabic", n) or ("roman", n) for a line that is only a row number."""
    if line is None:
        return None
    match = _ORDINAL.match(line)
    if not match:
        return None
    number = match.group("n")
    if number.isdigit():
        return "arabic", int(number)
    value = _roman(number)
    return ("roman", value) if value else None


def _is_header_cell(line: str | None) -> bool:
    if line is None:
        return False
    text = line.strip()
    return (
        bool(text)
        and len(text.split()) <= _HEADER_WORDS
        and text[0].isupper()
        and not text.endswith((".", ";", ","))
        and _ordinal(text) is None
    )


def _header_at(lines: list[str | None], index: int) -> int:
    """The number of header cells starting at ``index`` (0 when no header starts there)."""
    if lines[index] is None or not _NUMBER_HEADER.match(lines[index].strip()):
        return 0
    count = 1
    while index + count < len(lines) and count < _MAX_COLUMNS and _is_header_cell(lines[index + count]):
        count += 1
    rest = [line for line in lines[index + count :] if line is not None and line.strip()]
    rest = rest[_column_numbers(rest) :]
    first = _ordinal(rest[0] if rest else None)
    if count < 3 or first is None or first[1] != 1:
        return 0
    return count


_COLUMN_NUMBER = re.compile(r"^\s*\(\s*\d{1,2}\s*\)\s*$")


def _column_numbers(lines: list[str]) -> int:
    """How many of the first lines are the column numbers printed under a header: "(1)", "(2)", …"""
    count = 0
    while count < len(lines) and _COLUMN_NUMBER.match(lines[count]):
        count += 1
    return count


def _cells_of(row_lines: list[str], columns: int, time_last: bool) -> list[str]:
    """Distribute the lines after a row number over the other columns."""
    cells = [""] * (columns - 1)
    lines = [line.strip() for line in row_lines if line.strip()]
    if not lines:
        return cells
    if len(lines) <= len(cells):
        cells[: len(lines)] = lines
        return cells
    if time_last and _DATE_LIKE.search(lines[-1]):
        cells[-1] = lines.pop()
        middle = cells[:-1]
    else:
        middle = cells
    middle[0] = lines[0]
    rest = lines[1:]
    if len(middle) > 1:
        # the second cell gathers the extra lines (a cell listing several names)
        middle[1] = "; ".join(rest)
    else:
        middle[0] = " ".join(lines)
    cells[: len(middle)] = middle
    return cells


def find_flat_tables(lines: list[str | None]) -> list[FlatTable]:
    """Tables in ``lines`` (None stands for a blank line) written one cell per line."""
    tables: list[FlatTable] = []
    index = 0
    while index < len(lines):
        columns = _header_at(lines, index)
        if not columns:
            index += 1
            continue
        header = [line.strip() for line in lines[index : index + columns] if line is not None]
        time_last = bool(re.search(r"thời gian|thời hạn|tiến độ", header[-1], re.IGNORECASE))
        table = FlatTable(start=index, end=index + columns, rows=[header])
        position = index + columns
        while position < len(lines) and (lines[position] is None or _COLUMN_NUMBER.match(lines[position] or "")):
            position += 1  # blank lines and the "(1) (2) …" row under the header
        expected = {"arabic": 1, "roman": 1}
        while position < len(lines):
            while position < len(lines) and (lines[position] is None or not lines[position].strip()):
                position += 1
            found = _ordinal(lines[position]) if position < len(lines) else None
            if found is None or found[1] != expected[found[0]]:
                break
            kind, number = found
            expected[kind] = number + 1
            if kind == "roman":
                expected["arabic"] = 1  # a group restarts the numbering of its rows
            body_end = position + 1
            blanks = 0
            while body_end < len(lines):
                line = lines[body_end]
                following = _ordinal(line)
                if following and following[1] in (expected["arabic"], expected["roman"]):
                    break
                if line is None or not line.strip():
                    blanks += 1
                    if blanks >= 2:
                        break
                else:
                    blanks = 0
                body_end += 1
            body = [line for line in lines[position + 1 : body_end] if line is not None]
            if len([line for line in body if line.strip()]) > 3 * columns:
                break  # prose after the table, not a row
            table.rows.append([lines[position].strip(), *_cells_of(body, columns, time_last)])
            table.end = body_end
            position = body_end
        if len(table.rows) >= 2:
            # trailing blank lines are not part of the last row
            while table.end > table.start and (lines[table.end - 1] is None or not lines[table.end - 1].strip()):
                table.end -= 1
            tables.append(table)
            index = table.end
        else:
            index += 1
    return tables
