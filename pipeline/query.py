"""Read-only SQL for analysts, and exports of every table and view to files.

Two guards keep ``kehoach query`` from changing data: the statement must be a
single SELECT (or WITH … SELECT), which gives a clear message for the usual
mistake, and the connection itself is read-only (SQLite ``mode=ro``,
PostgreSQL ``SET TRANSACTION READ ONLY``), which also stops what a keyword
check cannot see (a data-modifying CTE, a function with side effects).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import pandas as pd
from sqlalchemy import Engine, text

from models.schema import TABLES, VIEWS

ExportFormat = Literal["csv", "parquet", "xlsx"]
EXCEL_CELL_LIMIT = 32_767
"""Excel refuses longer cells; document content is longer, so xlsx cells are cut here (csv/parquet are whole)."""
_ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class QueryRejected(Exception):
    """A statement ``kehoach query`` will not run (it is not a single read-only SELECT)."""


def _strip_comments_and_literals(sql: str) -> str:
    """``sql`` with comments removed and string/identifier literals blanked, for keyword checks."""
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        char = sql[i]
        if sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end < 0 else end
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            i = n if end < 0 else end + 2
            out.append(" ")
        elif char in "'\"":
            end = i + 1
            while end < n:
                if sql[end] == char and sql.startswith(char * 2, end):
                    end += 2
                elif sql[end] == char:
                    break
                else:
                    end += 1
            out.append(char + char)
            i = end + 1
        else:
            out.append(char)
            i += 1
    return "".join(out)


def check_read_only(sql: str) -> str:
    """Return the statement without a trailing ";" or raise :class:`QueryRejected` with the reason."""
    bare = _strip_comments_and_literals(sql).strip().rstrip(";").strip()
    if not bare:
        raise QueryRejected("empty query")
    if ";" in bare:
        raise QueryRejected("one statement at a time")
    first = bare.split(None, 1)[0].upper()
    if first not in {"SELECT", "WITH"}:
        raise QueryRejected(f"only SELECT (or WITH … SELECT) queries are allowed, not {first}")
    return sql.strip().rstrip().rstrip(";")


def run_query(engine: Engine, sql: str) -> pd.DataFrame:
    """Run one read-only query on a read-only connection; the result as a DataFrame."""
    statement = check_read_only(sql)
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SET TRANSACTION READ ONLY"))
        result = connection.execute(text(statement))
        frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
        connection.rollback()
    return frame


def _flatten(value: object) -> object:
    """JSON columns come back as text from SQLite and as lists from PostgreSQL: export text from both."""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def read_relation(engine: Engine, name: str) -> pd.DataFrame:
    with engine.connect() as connection:
        result = connection.execute(text(f"SELECT * FROM {name}"))  # names come from TABLES/VIEWS only
        frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].map(_flatten)
    return frame


def _excel_safe(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
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
