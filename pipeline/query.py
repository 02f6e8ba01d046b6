"""Read-only SQL for analysts, and exports of every table and view to files.

What keeps ``kehoach query`` from changing data is the session, not the
text: :mod:`pipeline.readonly` runs the statement on a connection that
cannot write (see there for each backend).  The statement is also read here
first, only to answer the usual mistakes ("DELETE …", two statements) with a
clear message before a connection is opened; that reading is never what
makes a query safe, and what it lets through the database still refuses.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from kehoach.models.schema import TABLES, VIEWS
from kehoach.pipeline.readonly import QUERY_TIMEOUT_S, QueryFailed, QueryRejected, execute_read_only
from sqlalchemy import Engine, text

if TYPE_CHECKING:  # pandas costs ~0.3 s to import: only the functions that build frames load it
    import pandas as pd

__all__ = ["QueryFailed", "QueryRejected", "check_read_only", "export", "run_query"]

ExportFormat = Literal["csv", "parquet", "xlsx"]
EXCEL_CELL_LIMIT = 32_767
"""Excel refuses longer cells; document content is longer, so xlsx cells are cut here (csv/parquet are whole)."""
_ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$")


def _quoted_end(sql: str, start: int, quote: str, *, backslash: bool) -> int:
    """Index just past the literal opened at ``start`` (doubled quotes, and backslashes in ``E''``, escape)."""
    i, n = start + 1, len(sql)
    while i < n:
        escaped = backslash and sql[i] == "\\"
        if escaped or (sql[i] == quote and sql.startswith(quote * 2, i)):
            i += 2
        elif sql[i] == quote:
            return i + 1
        else:
            i += 1
    return n


def _word_before(sql: str, i: int) -> bool:
    """Whether ``sql[i]`` continues a word (``name'…'`` is not an ``E''`` string, ``a$1$`` no dollar quote)."""
    return i > 0 and (sql[i - 1].isalnum() or sql[i - 1] == "_")


def _block_comment_end(sql: str, start: int, *, nested: bool) -> int:
    depth, i, n = 0, start, len(sql)
    while i < n:
        if sql.startswith("/*", i):
            depth = depth + 1 if nested or depth == 0 else depth
            i += 2
        elif sql.startswith("*/", i):
            depth -= 1
            i += 2
            if depth == 0:
                return i
        else:
            i += 1
    return n


def _strip_comments_and_literals(sql: str, dialect: str = "postgresql") -> str:
    """``sql`` with comments removed and literals blanked, for the friendly keyword check only.

    PostgreSQL's grammar: nested ``/* */`` comments, ``E'…'`` strings with
    backslash escapes, ``$$…$$`` and ``$tag$…$tag$`` strings.  SQLite's:
    flat comments, ``[…]`` and backtick identifiers, ``$name`` parameters.
    """
    postgres = dialect == "postgresql"
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        char = sql[i]
        if sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end < 0 else end
        elif sql.startswith("/*", i):
            i = _block_comment_end(sql, i, nested=postgres)
            out.append(" ")
        elif postgres and char in "eE" and sql.startswith("'", i + 1) and not _word_before(sql, i):
            i = _quoted_end(sql, i + 1, "'", backslash=True)
            out.append("''")
        elif postgres and char == "$" and (tag := _DOLLAR_TAG.match(sql, i)) and not _word_before(sql, i):
            end = sql.find(tag.group(), tag.end())
            i = n if end < 0 else end + len(tag.group())
            out.append("''")
        elif char in "'\"" or (not postgres and char == "`"):
            i = _quoted_end(sql, i, char, backslash=False)
            out.append(char * 2)
        elif not postgres and char == "[":
            end = sql.find("]", i)
            i = n if end < 0 else end + 1
            out.append('""')
        else:
            out.append(char)
            i += 1
    return "".join(out)


def check_read_only(sql: str, dialect: str = "postgresql") -> str:
    """Return the statement without a trailing ";" or raise :class:`QueryRejected` with the reason.

    A friendly first answer, not a guard: see the module docstring.
    """
    bare = _strip_comments_and_literals(sql, dialect).strip().rstrip(";").strip()
    if not bare:
        raise QueryRejected("empty query")
    if ";" in bare:
        raise QueryRejected("one statement at a time")
    first = bare.split(None, 1)[0].upper()
    if first not in {"SELECT", "WITH"}:
        raise QueryRejected(f"only SELECT (or WITH … SELECT) queries are allowed, not {first}")
    return sql.strip().rstrip(";")


def run_query(engine: Engine, sql: str, *, timeout_s: float = QUERY_TIMEOUT_S) -> pd.DataFrame:
    """Run one read-only query on a read-only session (``make_engine(url, read_only=True)``); a DataFrame."""
    import pandas as pd

    statement = check_read_only(sql, engine.dialect.name)
    columns, rows = execute_read_only(engine, statement, timeout_s=timeout_s)
    return pd.DataFrame(rows, columns=columns)


def _flatten(value: object) -> object:
    """JSON columns come back as text from SQLite and as lists from PostgreSQL: export text from both."""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def read_relation(engine: Engine, name: str) -> pd.DataFrame:
    import pandas as pd

    with engine.connect() as connection:
        result = connection.execute(text(f"SELECT * FROM {name}"))  # names come from TABLES/VIEWS only
        frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].map(_flatten)
    return frame


def _excel_safe(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    import pandas as pd

    cut = 0

    def clean(value: object) -> object:
        nonlocal cut
        if isinstance(value, datetime) and value.tzinfo is not None:  # Excel has no time zones: write UTC
            return value.astimezone(UTC).replace(tzinfo=None)
        if not isinstance(value, str):
            return value
        value = _ILLEGAL_XLSX.sub("", value)
        if len(value) > EXCEL_CELL_LIMIT:
            cut += 1
            return value[:EXCEL_CELL_LIMIT]
        return value

    frame = frame.copy()
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.DatetimeTZDtype):
            frame[column] = frame[column].dt.tz_convert("UTC").dt.tz_localize(None)
        elif frame[column].dtype == object:
            frame[column] = frame[column].map(clean)
    return frame, cut


def export(engine: Engine, out: Path, fmt: ExportFormat) -> tuple[list[tuple[Path, str, int]], int]:
    """Write every table and view; return ([(file, relation, rows)], cells cut for Excel).

    csv and parquet give one file per table/view; xlsx gives one workbook,
    ``kehoach.xlsx``, with one sheet per table/view (what analysts open).
    """
    import pandas as pd

    out.mkdir(parents=True, exist_ok=True)
    written: list[tuple[Path, str, int]] = []
    frames = {name: read_relation(engine, name) for name in (*VIEWS, *TABLES)}
    cut_total = 0
    if fmt == "xlsx":
        target = out / "kehoach.xlsx"
        with pd.ExcelWriter(target, engine="openpyxl") as writer:
            for name, frame in frames.items():
                safe, cut = _excel_safe(frame)
                cut_total += cut
                safe.to_excel(writer, sheet_name=name, index=False)
                written.append((target, name, len(frame)))
        return written, cut_total
    for name, frame in frames.items():
        target = out / f"{name}.{fmt}"
        if fmt == "csv":
            frame.to_csv(target, index=False)
        else:
            frame.to_parquet(target, index=False)
        written.append((target, name, len(frame)))
    return written, cut_total
