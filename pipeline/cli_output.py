"""What the command line prints: rows in five formats, notes on stderr, and the -q/-v verbosity.

Rows are written straight from the database cursor's tuples, without pandas:
``kehoach query`` must answer in well under half a second, and pandas alone
costs 0.2–0.3 s to import.  Every format writes the same values:

- ``table``: a terminal table (rich) for reading, NULLs as empty cells;
- ``csv``: RFC 4180 (the csv module), NULL as an empty field;
- ``tsv``: one line per row, tab-separated; a tab, newline, carriage return or
  backslash inside a value is written ``\\t``, ``\\n``, ``\\r``, ``\\\\`` (the
  convention of PostgreSQL's text COPY and of most TSV readers), NULL as empty;
- ``json``: one array of objects; ``jsonl``: one object per line.  Dates and
  times are ISO 8601 strings, NUMERIC values numbers, Vietnamese stays text.

Verbosity is the ``kehoach`` logger's level: ``-q`` ERROR (no progress bar, no
notes), default WARNING, ``-v`` INFO, ``-vv`` DEBUG (with SQLAlchemy's SQL).
"""

from __future__ import annotations

import csv
import json
import logging
import math
import sys
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import IO, Literal

import typer

RowFormat = Literal["table", "csv", "tsv", "json", "jsonl"]
LOGGER = logging.getLogger("kehoach")
_TSV_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


class _CurrentStderr(logging.StreamHandler):
    """A handler that writes to whatever ``sys.stderr`` is now (a test runner swaps it per command)."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logging.Formatter("kehoach: %(message)s"))

    @property  # type: ignore[override]
    def stream(self):  # noqa: ANN201 - a text stream
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


_HANDLER = _CurrentStderr()


def configure(*, quiet: bool = False, verbose: int = 0) -> None:
    """Set the ``kehoach`` logger's level from ``-q``/``-v`` and send its records to stderr.

    Called once per command; calling it again (several commands in one process) resets what an
    earlier ``-vv`` switched on.
    """
    level = logging.ERROR if quiet else {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    LOGGER.setLevel(level)
    if _HANDLER not in LOGGER.handlers:
        LOGGER.addHandler(_HANDLER)
        LOGGER.propagate = False
    sql = logging.getLogger("sqlalchemy.engine")
    if verbose >= 2 and not quiet:
        sql.setLevel(logging.INFO)
        if _HANDLER not in sql.handlers:
            sql.addHandler(_HANDLER)
    elif _HANDLER in sql.handlers:
        sql.removeHandler(_HANDLER)
        sql.setLevel(logging.WARNING)


def quiet() -> bool:
    """Whether ``-q`` was given: no progress bars and no notes, only errors."""
    return not LOGGER.isEnabledFor(logging.WARNING)


def note(message: str) -> None:
    """A side remark on stderr ("12 rows", "agency: …") that ``-q`` silences; data goes to stdout."""
    if not quiet():
        typer.echo(message, err=True)


def _missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if type(value).__module__.split(".")[0] not in ("numpy", "pandas"):
        return False
    import pandas as pd  # only values from a DataFrame get here, so pandas is loaded already

    return bool(pd.isna(value))


def json_value(value: object) -> object:
    """A value JSON can hold: dates as ISO text, NUMERIC as numbers, NULL-likes (NaN, NaT, NA) as null.

    Anything else a driver may return (a UUID, an interval, an IP address) is written as its text.
    """
    if _missing(value):
        return None
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    if hasattr(value, "item"):  # numpy scalars from a DataFrame
        return value.item()  # type: ignore[attr-defined]
    return value


def text_value(value: object) -> str:
    """A value as one csv/tsv/table cell: empty for NULL, ISO for dates, JSON text for lists and dicts."""
    plain = json_value(value)
    if plain is None:
        return ""
    if isinstance(plain, list | dict):
        return json.dumps(plain, ensure_ascii=False, default=str)
    if isinstance(plain, bool):
        return "true" if plain else "false"
    return str(plain)


def write_rows(
    columns: Sequence[str], rows: Iterable[Sequence[object]], fmt: RowFormat, out: IO[str] | None = None
) -> int:
    """Write ``rows`` under ``columns`` to ``out`` (stdout) in ``fmt``; return how many were written."""
    out = out or sys.stdout
    count = 0
    if fmt == "table":
        return _write_table(columns, rows)
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([text_value(v) for v in row])
            count += 1
    elif fmt == "tsv":
        out.write("\t".join(c.translate(_TSV_ESCAPES) for c in columns) + "\n")
        for row in rows:
            out.write("\t".join(text_value(v).translate(_TSV_ESCAPES) for v in row) + "\n")
            count += 1
    elif fmt == "jsonl":
        for row in rows:
            record = {c: json_value(v) for c, v in zip(columns, row, strict=True)}
            out.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
            count += 1
    else:
        records = [{c: json_value(v) for c, v in zip(columns, row, strict=True)} for row in rows]
        out.write(json.dumps(records, ensure_ascii=False, indent=1, default=str) + "\n")
        count = len(records)
    return count


def _write_table(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    from rich.console import Console
    from rich.table import Table

    table = Table(show_lines=False)
    for column in columns:
        table.add_column(str(column), overflow="fold")
    count = 0
    for row in rows:
        table.add_row(*(text_value(v) for v in row))
        count += 1
    Console(soft_wrap=False, width=None if sys.stdout.isatty() else 200).print(table)
    note(f"{count} row{'s' if count != 1 else ''}")
    return count
