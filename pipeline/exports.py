"""Exports of every table and view to CSV, Parquet or one XLSX workbook, with the database's own types.

The rows come back from SQLite and PostgreSQL in different shapes: SQLite hands
over dates as text and JSON as escaped text, PostgreSQL dates as ``date`` and
JSON as lists.  Each column's type is therefore read from the database's own
declaration (SQLAlchemy's reflection, which works on views too: PostgreSQL
types every view column, SQLite gives the declared type of a column a view
selects as is), and only an expression column SQLite leaves untyped is typed by
its values.  Every value is then converted to that type, so an export is the
same from either database:

- **Parquet**: ``int64`` integers (nullable), ``double`` floats, ``bool``,
  ``date32`` dates, ``timestamp[us, UTC]`` times, strings;
- **XLSX**: one sheet per relation with date cells (``yyyy-mm-dd``), a frozen,
  bold header row, an autofilter and column widths fitted to the content;
- **CSV**: ISO dates, NULL as an empty field; ``excel=True`` writes UTF-8 with a
  byte-order mark and CRLF line ends, so a double-click in Excel shows Vietnamese;
- JSON columns (``recipients``, ``args``) are JSON text with Vietnamese as is,
  not ``\\u`` escapes, in every format.

pandas is not needed: pyarrow writes Parquet and openpyxl the workbook directly, both
in batches (:data:`BATCH_ROWS`), so an export's memory does not grow with the database.
"""

from __future__ import annotations

import csv
import itertools
import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Literal

from kehoach.models.schema import TABLES, VIEWS
from sqlalchemy import JSON, Engine, inspect, text

ExportFormat = Literal["csv", "parquet", "xlsx"]
Kind = Literal["int", "float", "bool", "date", "datetime", "json", "text"]
EXCEL_CELL_LIMIT = 32_767
"""Excel refuses longer cells; document content is longer, so xlsx cells are cut here (csv/parquet are whole)."""
EXCEL_MAX_WIDTH = 60
"""Widest column in characters; longer texts (task text, content) are cut off on screen, not in the cell."""
_ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True)
class Relation:
    """One table or view read whole, each column with the type its values were converted to."""

    name: str
    columns: list[str]
    kinds: list[Kind]
    rows: list[tuple[object, ...]]


@dataclass(frozen=True)
class Written:
    path: Path
    relation: str
    rows: int


def _declared_kind(sql_type: object) -> Kind | None:
    """The kind of a reflected column type, None when the database declares none (an SQLite expression)."""
    if isinstance(sql_type, JSON):
        return "json"
    try:
        python = sql_type.python_type  # type: ignore[attr-defined]
    except (AttributeError, NotImplementedError):
        return None
    if python is bool:
        return "bool"
    if python is int:
        return "int"
    if python in (float, Decimal):
        return "float"
    if python is datetime:
        return "datetime"
    if python is date:
        return "date"
    return "text"


def _orm_kinds() -> dict[str, Kind]:
    """Column name → kind over kehoach's tables, for names every table that has them types alike.

    SQLite types a view column only when the view selects a table column as is; an expression
    (``COALESCE(c.due_on, t.due_on) AS due_on``) comes back untyped, and its dates as text.  The
    view keeps the table column's name, so the ORM says what it is.  ``document_issued_on`` and
    ``plan_issued_on`` are looked up without their ``document_``/``plan_`` prefix.
    """
    from kehoach.models.schema import Base

    kinds: dict[str, Kind | None] = {}
    for table in Base.metadata.tables.values():
        for column in table.columns:
            kind = _declared_kind(column.type)
            kinds[column.name] = kind if kinds.get(column.name, kind) == kind else None
    return {name: kind for name, kind in kinds.items() if kind is not None}


def _named_kind(column: str, known: dict[str, Kind]) -> Kind | None:
    if column in known:
        return known[column]
    for prefix in ("document_", "plan_", "task_"):
        if column.startswith(prefix) and column[len(prefix) :] in known:
            return known[column[len(prefix) :]]
    return None


def _inferred_kind(values: Sequence[object]) -> Kind:
    present = [v for v in values if v is not None]
    if not present:
        return "text"
    if all(isinstance(v, bool) for v in present):
        return "bool"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return "int"
    if all(isinstance(v, int | float | Decimal) and not isinstance(v, bool) for v in present):
        return "float"
    if all(isinstance(v, datetime) for v in present):
        return "datetime"
    if all(isinstance(v, date) and not isinstance(v, datetime) for v in present):
        return "date"
    return "text"


def _json_text(value: object) -> str:
    """JSON as text with Vietnamese kept (SQLite returns the stored, ``\\u``-escaped text; PostgreSQL objects)."""
    if isinstance(value, str | bytes):
        try:
            value = json.loads(value)
        except ValueError:
            return value if isinstance(value, str) else value.decode("utf-8", "replace")
    return json.dumps(value, ensure_ascii=False)


def _to_datetime(value: object) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    # kehoach stores UTC; SQLite keeps no zone, so a naive value is UTC already
    return moment.astimezone(UTC) if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def convert(value: object, kind: Kind) -> object:
    """``value`` as the Python type of ``kind`` (None stays None)."""
    if value is None:
        return None
    if kind == "int":
        return int(value)  # type: ignore[call-overload]
    if kind == "float":
        return float(value)  # type: ignore[arg-type]
    if kind == "bool":
        return bool(value)
    if kind == "date":
        if isinstance(value, datetime):
            return value.date()
        return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    if kind == "datetime":
        return _to_datetime(value)
    if kind == "json" or isinstance(value, list | dict):
        return _json_text(value)
    return value if isinstance(value, str) else str(value)


BATCH_ROWS = 5_000
"""Rows read, converted and written at a time: an export's memory does not grow with the database."""


@dataclass
class Stream:
    """A table or view being read in batches, each column with the type its values are converted to."""

    name: str
    columns: list[str]
    kinds: list[Kind]
    first: list[tuple[object, ...]]
    """The first batch, converted (the xlsx writer fits its column widths to it)."""
    _rest: Iterator[list[tuple[object, ...]]]
    rows: int = 0

    def batches(self) -> Iterator[list[tuple[object, ...]]]:
        """The converted rows, batch by batch (once); ``rows`` counts them."""
        for batch in itertools.chain([self.first], self._rest):
            if batch:
                self.rows += len(batch)
                yield batch


@contextmanager
def open_relation(engine: Engine, name: str, *, batch_rows: int | None = None) -> Iterator[Stream]:
    """Table or view ``name`` (from :data:`TABLES`/:data:`VIEWS` only) as a :class:`Stream` of typed rows.

    A column's type is its declared one, else that of kehoach's column of the same name, else the one
    its first batch of values shows (see the module docstring).  PostgreSQL streams through a
    server-side cursor, SQLite row by row.
    """
    batch_rows = batch_rows or BATCH_ROWS
    declared = {column["name"]: _declared_kind(column["type"]) for column in inspect(engine).get_columns(name)}
    known = _orm_kinds()
    with engine.connect() as connection:
        result = connection.execution_options(stream_results=True).execute(text(f"SELECT * FROM {name}"))
        columns = list(result.keys())
        raw = [tuple(row) for row in result.fetchmany(batch_rows)]
        kinds: list[Kind] = []
        for i, column in enumerate(columns):
            kind = declared.get(column) or _named_kind(column, known)
            kinds.append(kind if kind is not None else _inferred_kind([row[i] for row in raw]))

        def typed(chunk: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
            return [tuple(convert(v, k) for v, k in zip(row, kinds, strict=True)) for row in chunk]

        def rest() -> Iterator[list[tuple[object, ...]]]:
            while chunk := result.fetchmany(batch_rows):
                yield typed([tuple(row) for row in chunk])

        yield Stream(name, columns, kinds, typed(raw), rest())


def read_relation(engine: Engine, name: str) -> Relation:
    """Every row of table or view ``name``, values typed, in memory (for a notebook; exports stream)."""
    with open_relation(engine, name) as stream:
        rows = [row for batch in stream.batches() for row in batch]
        return Relation(name, stream.columns, stream.kinds, rows)


def present_relations(engine: Engine) -> list[str]:
    """kehoach's views, then its tables, that this database has (an older schema may lack newer ones)."""
    inspector = inspect(engine)
    present = set(inspector.get_table_names()) | set(inspector.get_view_names())
    return [name for name in (*VIEWS, *TABLES) if name in present]


def export(
    engine: Engine, out: Path, fmt: ExportFormat, *, excel: bool = False, relations: Sequence[str] | None = None
) -> tuple[list[Written], int]:
    """Write every view and table (or ``relations``); return ([Written …], cells cut for Excel).

    csv and parquet give one file per relation; xlsx gives one workbook, ``kehoach.xlsx``, with a
    sheet per relation (what analysts open).  ``excel`` (csv only) writes the BOM Excel needs.
    Each relation is read and written in batches of :data:`BATCH_ROWS` rows.
    """
    out.mkdir(parents=True, exist_ok=True)
    names = list(relations) if relations is not None else present_relations(engine)
    if fmt == "xlsx":
        target = out / "kehoach.xlsx"
        counts, cut = write_xlsx(engine, names, target)
        return [Written(target, name, rows) for name, rows in counts], cut
    written = []
    for name in names:
        target = out / f"{name}.{fmt}"
        with open_relation(engine, name) as stream:
            if fmt == "csv":
                write_csv(stream, target, excel=excel)
            else:
                write_parquet(stream, target)
            written.append(Written(target, name, stream.rows))
    return written, 0


def _csv_cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def write_csv(stream: Stream, target: Path, *, excel: bool = False) -> None:
    with target.open("w", encoding="utf-8-sig" if excel else "utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n" if excel else "\n")
        writer.writerow(stream.columns)
        for batch in stream.batches():
            writer.writerows([_csv_cell(v) for v in row] for row in batch)


_ARROW_TYPES = {
    "int": "int64",
    "float": "float64",
    "bool": "bool_",
    "date": "date32",
    "json": "string",
    "text": "string",
}


def arrow_schema(columns: Sequence[str], kinds: Sequence[Kind]):  # noqa: ANN201 - pyarrow.Schema
    import pyarrow as pa

    def arrow_type(kind: Kind):  # noqa: ANN202
        return pa.timestamp("us", tz="UTC") if kind == "datetime" else getattr(pa, _ARROW_TYPES[kind])()

    return pa.schema([pa.field(c, arrow_type(k)) for c, k in zip(columns, kinds, strict=True)])


def write_parquet(stream: Stream, target: Path) -> None:
    """One row group per batch; a relation without rows is a file with its schema and no rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = arrow_schema(stream.columns, stream.kinds)
    with pq.ParquetWriter(target, schema) as writer:
        for batch in stream.batches():
            arrays = [pa.array([row[i] for row in batch], type=field.type) for i, field in enumerate(schema)]
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))


def _excel_value(value: object) -> tuple[object, bool]:
    """(cell value, whether it was cut to Excel's cell limit)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None), False  # Excel has no time zones: UTC
    if not isinstance(value, str):
        return value, False
    value = _ILLEGAL_XLSX.sub("", value)
    if len(value) > EXCEL_CELL_LIMIT:
        return value[:EXCEL_CELL_LIMIT], True
    return value, False


def _width(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 19
    if isinstance(value, date):
        return 10
    return max((len(line) for line in str(value).splitlines()), default=0)


def write_xlsx(engine: Engine, names: Sequence[str], target: Path) -> tuple[list[tuple[str, int]], int]:
    """One sheet per relation: typed cells, frozen bold header, autofilter, widths fitted to the first batch.

    Written in openpyxl's write-only mode, row by row.  Returns ([(relation, rows)], cells cut).
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    formats: dict[Kind, str] = {"date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm:ss"}
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    counts: list[tuple[str, int]] = []
    cut = 0
    for name in names:
        with open_relation(engine, name) as stream:
            sheet = workbook.create_sheet(name[:31])  # Excel's limit on sheet names
            for i, column in enumerate(stream.columns):
                fitted = max([len(column), *(_width(row[i]) for row in stream.first)])
                sheet.column_dimensions[get_column_letter(i + 1)].width = min(max(fitted, 6) + 2, EXCEL_MAX_WIDTH)
            sheet.freeze_panes = "A2"
            header = []
            for column in stream.columns:
                cell = WriteOnlyCell(sheet, value=column)
                cell.font = bold
                header.append(cell)
            sheet.append(header)
            dated = {i: formats[kind] for i, kind in enumerate(stream.kinds) if kind in formats}
            for batch in stream.batches():
                for row in batch:
                    values: list[object] = []
                    for i, value in enumerate(row):
                        cell_value, was_cut = _excel_value(value)
                        cut += was_cut
                        if i in dated and cell_value is not None:
                            cell = WriteOnlyCell(sheet, value=cell_value)
                            cell.number_format = dated[i]
                            cell_value = cell
                        values.append(cell_value)
                    sheet.append(values)
            if stream.columns:
                sheet.auto_filter.ref = f"A1:{get_column_letter(len(stream.columns))}{stream.rows + 1}"
            counts.append((name, stream.rows))
    if not names:
        workbook.create_sheet("empty")
    workbook.save(target)
    return counts, cut
