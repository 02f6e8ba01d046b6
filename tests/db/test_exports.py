"""Exports keep the database's types, from SQLite as from PostgreSQL (issue 8 item 6).

Each test fills a fresh database of each kind with a real dev plan (ingested by the real
pipeline) and a hand-built one (Vietnamese recipients, partial dates, targets), runs
``kehoach export`` and reads the files back with pandas, pyarrow and openpyxl.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from kehoach.pipeline.cli import app
from kehoach.pipeline.db import session_scope
from kehoach.pipeline.errors import EXIT_USAGE
from kehoach.pipeline.store import store_extraction
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from kehoach.api import ingest


@pytest.fixture
def filled(engine: Engine, db_url: str, dev_text: Path, make_extraction) -> str:
    with session_scope(engine) as session:
        store_extraction(session, make_extraction())
    summary = ingest([dev_text], db=db_url, workers=1)
    assert summary.failed == 0 and summary.ingested == 1
    return db_url


def export(db_url: str, out: Path, *args: str) -> None:
    result = CliRunner().invoke(app, ["export", "--out", str(out), "--db", db_url, *args])
    assert result.exit_code == 0, result.output


def scalar(engine: Engine, sql: str) -> object:
    with engine.connect() as connection:
        return connection.execute(text(sql)).scalar_one()


def test_parquet_has_int64_date32_and_utc_timestamps(filled: str, engine: Engine, tmp_path: Path) -> None:
    export(filled, tmp_path, "--format", "parquet")
    tasks = pq.read_schema(tmp_path / "v_tasks.parquet")
    for name in ("task_id", "document_id", "ordinal", "span_start", "page"):
        assert tasks.field(name).type == pa.int64(), name
    for name in ("due_on", "due_last_day", "start_on", "document_issued_on"):
        assert tasks.field(name).type == pa.date32(), name
    documents = pq.read_schema(tmp_path / "documents.parquet")
    assert documents.field("ingested_at").type == pa.timestamp("us", tz="UTC")
    assert documents.field("issued_on").type == pa.date32()
    assert pq.read_schema(tmp_path / "targets.parquet").field("min_value").type == pa.float64()
    assert pq.read_schema(tmp_path / "targets.parquet").field("year").type == pa.int64()
    assert pq.read_schema(tmp_path / "agencies.parquet").field("registered").type == pa.bool_()

    frame = pd.read_parquet(tmp_path / "v_tasks.parquet")
    assert frame["task_id"].dtype == "int64"
    assert len(frame) == scalar(engine, "SELECT count(*) FROM v_tasks")
    dated = frame[frame["due_on"].notna()]
    assert len(dated) == scalar(engine, "SELECT count(*) FROM v_tasks WHERE due_on IS NOT NULL") > 0
    first = dated.sort_values("task_id").iloc[0]
    assert isinstance(first["due_on"], date)
    stored = scalar(engine, f"SELECT due_on FROM tasks WHERE id = {int(first['task_id'])}")
    assert first["due_on"].isoformat() == str(stored)[:10]  # SQLite returns text, PostgreSQL a date


def test_json_columns_keep_vietnamese_in_every_format(filled: str, tmp_path: Path) -> None:
    export(filled, tmp_path / "parquet", "--format", "parquet")
    export(filled, tmp_path / "csv", "--format", "csv")
    recipients = pd.read_parquet(tmp_path / "parquet" / "documents.parquet")["recipients"].tolist()
    assert any("Bộ Xây dựng" in value for value in recipients), recipients
    assert not any("\\u" in value for value in recipients)
    as_csv = (tmp_path / "csv" / "documents.csv").read_text(encoding="utf-8")
    assert '""Bộ Xây dựng""' in as_csv and "\\u" not in as_csv


def test_xlsx_has_date_cells_frozen_header_autofilter_and_widths(filled: str, engine: Engine, tmp_path: Path) -> None:
    export(filled, tmp_path, "--format", "xlsx")
    book = openpyxl.load_workbook(tmp_path / "kehoach.xlsx")
    sheet = book["v_tasks"]
    header = [cell.value for cell in sheet[1]]
    rows = scalar(engine, "SELECT count(*) FROM v_tasks")
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(header))}{rows + 1}"
    assert all(cell.font.bold for cell in sheet[1])
    due = header.index("due_on") + 1
    dates = [row[0] for row in sheet.iter_rows(min_row=2, min_col=due, max_col=due) if row[0].value is not None]
    assert dates and all(cell.is_date and isinstance(cell.value, datetime) for cell in dates)
    letters = [openpyxl.utils.get_column_letter(i + 1) for i in range(len(header))]
    widths = {name: sheet.column_dimensions[letter].width for name, letter in zip(header, letters, strict=True)}
    assert all(6 <= width <= 62 for width in widths.values()), widths
    assert widths["text"] > widths["task_id"]  # fitted to the content, not one width for all
    assert pd.read_excel(tmp_path / "kehoach.xlsx", sheet_name="v_tasks")["due_on"].dtype.kind == "M"
    runs = book["ingest_runs"]
    started = [cell.value for cell in runs[1]].index("started_at") + 1
    assert runs.cell(row=2, column=started).is_date


def test_csv_excel_writes_a_bom_and_plain_csv_does_not(filled: str, tmp_path: Path) -> None:
    export(filled, tmp_path / "excel", "--format", "csv", "--excel")
    export(filled, tmp_path / "plain", "--format", "csv")
    excel = (tmp_path / "excel" / "v_tasks.csv").read_bytes()
    plain = (tmp_path / "plain" / "v_tasks.csv").read_bytes()
    assert excel.startswith(b"\xef\xbb\xbftask_id,") and b"\r\n" in excel
    assert plain.startswith(b"task_id,")
    frame = pd.read_csv(tmp_path / "excel" / "v_tasks.csv", encoding="utf-8-sig")
    assert frame.columns[0] == "task_id" and frame["task_id"].dtype == "int64"
    assert frame["lead"].str.contains("Sở Xây dựng", na=False).any()
    assert str(pd.read_csv(tmp_path / "plain" / "v_tasks.csv", parse_dates=["due_on"])["due_on"].dtype).startswith(
        "datetime64"
    )


def test_excel_flag_needs_csv(filled: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["export", "--format", "parquet", "--excel", "--out", str(out), "--db", filled]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == EXIT_USAGE
    assert "--excel" in result.stderr and not out.exists()


def test_xlsx_cuts_cells_beyond_excels_limit_and_says_so(engine: Engine, db_url: str, make_extraction, tmp_path: Path):
    plan = make_extraction()
    long = plan.content + "\n" + "Phụ lục " * 6000  # ~48,000 characters: more than an Excel cell holds
    with session_scope(engine) as session:
        store_extraction(session, plan.model_copy(update={"content": long}))
    result = CliRunner().invoke(app, ["export", "--format", "xlsx", "--out", str(tmp_path), "--db", db_url])
    assert result.exit_code == 0, result.output
    assert "1 cells longer than 32767 characters cut for Excel" in result.stderr
    sheet = openpyxl.load_workbook(tmp_path / "kehoach.xlsx")["documents"]
    column = [cell.value for cell in sheet[1]].index("content") + 1
    assert len(sheet.cell(row=2, column=column).value) == 32_767
    export(db_url, tmp_path / "parquet", "--format", "parquet")
    assert pd.read_parquet(tmp_path / "parquet" / "documents.parquet")["content"].tolist() == [long]  # whole


def test_only_exports_the_relations_named(filled: str, engine: Engine, tmp_path: Path) -> None:
    export(filled, tmp_path, "--format", "xlsx", "--only", "v_timeline", "--only", "agencies")
    book = openpyxl.load_workbook(tmp_path / "kehoach.xlsx")
    assert book.sheetnames == ["v_timeline", "agencies"]
    assert book["agencies"].max_row == scalar(engine, "SELECT count(*) FROM agencies") + 1
    result = CliRunner().invoke(app, ["export", "--only", "v_nothing", "--out", str(tmp_path / "x"), "--db", filled])
    assert result.exit_code == EXIT_USAGE
    assert "no view or table v_nothing" in result.stderr and "v_timeline" in result.stderr
    assert not (tmp_path / "x").exists()


def test_exports_stream_in_batches_with_the_same_result(
    filled: str, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kehoach.pipeline import exports

    export(filled, tmp_path / "whole", "--format", "parquet")
    export(filled, tmp_path / "whole", "--format", "csv")
    monkeypatch.setattr(exports, "BATCH_ROWS", 2)  # tasks come in several batches
    export(filled, tmp_path / "batched", "--format", "parquet")
    export(filled, tmp_path / "batched", "--format", "csv")
    export(filled, tmp_path / "batched", "--format", "xlsx")
    assert pq.ParquetFile(tmp_path / "batched" / "v_tasks.parquet").num_row_groups > 1
    for name in ("v_tasks", "documents", "agencies"):
        whole = pq.read_table(tmp_path / "whole" / f"{name}.parquet")
        assert pq.read_table(tmp_path / "batched" / f"{name}.parquet").equals(whole), name
        assert (tmp_path / "batched" / f"{name}.csv").read_bytes() == (tmp_path / "whole" / f"{name}.csv").read_bytes()
    sheet = openpyxl.load_workbook(tmp_path / "batched" / "kehoach.xlsx")["v_tasks"]
    assert sheet.max_row == scalar(engine, "SELECT count(*) FROM v_tasks") + 1
