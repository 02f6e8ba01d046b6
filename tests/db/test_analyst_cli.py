"""Analyst commands on a database of hand-built plans: query (read-only), export, timeline."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from kehoach.models.schema import TABLES, VIEWS
from kehoach.pipeline import agency_links
from kehoach.pipeline.cli import app
from kehoach.pipeline.db import make_engine, session_scope, upgrade
from kehoach.pipeline.errors import EXIT_USAGE
from kehoach.pipeline.store import store_extraction
from kehoach.pipeline.timeline import match_agencies, parse_period, timeline
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner


@pytest.fixture
def plans_db(db_url: str, make_extraction) -> str:
    """Three plans: a 2022 task of Sở KH&ĐT, a 2025 task of its successor Sở Tài chính, a 2024 Sở Xây dựng one."""
    engine = make_engine(db_url)
    upgrade(engine)
    plans = [
        make_extraction(sha256="1" * 64, path="/p/2022.txt", number="15/KH-UBND", issued=(2022, 1, 20),
                        lead="Sở Kế hoạch và Đầu tư", coordinating="Sở Xây dựng", due=(2022, 3, None)),
        make_extraction(sha256="2" * 64, path="/p/2025.txt", number="201/KH-UBND", issued=(2025, 8, 1),
                        lead="Sở Tài chính", coordinating="Sở Xây dựng", due=(2025, 10, 30)),
        make_extraction(sha256="3" * 64, path="/p/2024.txt", number="88/KH-UBND", issued=(2024, 2, 2),
                        lead="Sở Xây dựng", coordinating="Sở Nội vụ", due=(2024, None, None)),
    ]  # fmt: skip
    for plan in plans:
        with session_scope(engine) as session:
            store_extraction(session, plan)
    engine.dispose()
    return db_url


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def test_query_prints_rows_as_csv_and_json(plans_db: str) -> None:
    sql = "SELECT document_number, lead FROM v_tasks ORDER BY document_number"
    as_csv = invoke("query", sql, "--db", plans_db, "--format", "csv")
    assert as_csv.exit_code == 0, as_csv.output
    assert as_csv.stdout.splitlines()[0] == "document_number,lead"
    assert "201/KH-UBND,Sở Tài chính" in as_csv.stdout
    as_json = invoke("query", sql, "--db", plans_db, "--format", "json")
    assert json.loads(as_json.stdout)[0] == {"document_number": "15/KH-UBND", "lead": "Sở Kế hoạch và Đầu tư"}
    as_table = invoke("query", "SELECT count(*) AS n FROM documents", "--db", plans_db)
    assert as_table.exit_code == 0 and "3" in as_table.stdout


def test_query_jsonl_and_tsv_are_the_same_on_both_databases(plans_db: str) -> None:
    """Dates come back as text from SQLite and as dates from PostgreSQL: both print ISO dates, ints as ints."""
    sql = (
        "SELECT document_number, document_issued_on, due_last_day, ordinal, lead FROM v_tasks ORDER BY document_number"
    )
    jsonl = invoke("query", sql, "--db", plans_db, "--format", "jsonl")
    assert jsonl.exit_code == 0, jsonl.output
    rows = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert rows[0] == {
        "document_number": "15/KH-UBND",
        "document_issued_on": "2022-01-20",
        "due_last_day": "2022-03-31",
        "ordinal": 0,
        "lead": "Sở Kế hoạch và Đầu tư",
    }
    tsv = invoke("query", sql, "--db", plans_db, "--format", "tsv").stdout.splitlines()
    assert tsv[0].split("\t") == list(rows[0])
    assert tsv[1].split("\t") == ["15/KH-UBND", "2022-01-20", "2022-03-31", "0", "Sở Kế hoạch và Đầu tư"]
    assert len(tsv) == len(rows) + 1 == 4


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM documents",
        "UPDATE agencies SET name = 'x'",
        "DROP VIEW v_tasks",
        "SELECT 1; DELETE FROM documents",
        "\n-- only a comment\n",
        "/* SELECT */ INSERT INTO agencies (name) VALUES ('x')",
    ],
)
def test_query_rejects_statements_that_write(plans_db: str, sql: str) -> None:
    result = invoke("query", sql, "--db", plans_db)
    assert result.exit_code == EXIT_USAGE
    assert "query rejected" in result.output
    engine = make_engine(plans_db)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM documents")).scalar_one() == 3


def test_query_connection_itself_is_read_only(plans_db: str) -> None:
    engine = make_engine(plans_db, read_only=True)
    with pytest.raises(DBAPIError, match="(?i)read.?only"), engine.begin() as connection:
        connection.execute(text("DELETE FROM task_agencies"))
    engine.dispose()


@pytest.mark.postgres
def test_query_write_hidden_in_cte_is_refused(postgres_url: str, make_extraction) -> None:
    engine = make_engine(postgres_url)
    upgrade(engine)
    with session_scope(engine) as session:
        store_extraction(session, make_extraction())
    result = invoke("query", "WITH gone AS (DELETE FROM targets RETURNING id) SELECT * FROM gone", "--db", postgres_url)
    assert result.exit_code == 1
    assert "read-only transaction" in result.output
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM targets")).scalar_one() == 2


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_export_writes_every_table_and_view(plans_db: str, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "export"
    result = invoke("export", "--format", fmt, "--out", str(out), "--db", plans_db)
    assert result.exit_code == 0, result.output
    engine = make_engine(plans_db)
    with engine.connect() as connection:
        expected = {n: connection.execute(text(f"SELECT count(*) FROM {n}")).scalar_one() for n in (*TABLES, *VIEWS)}
    if fmt == "xlsx":
        sheets = pd.read_excel(out / "kehoach.xlsx", sheet_name=None)
        found = {name: len(frame) for name, frame in sheets.items()}
        assert sheets["v_tasks"]["lead"].tolist().count("Sở Tài chính") == 1
    else:
        reader = pd.read_csv if fmt == "csv" else pd.read_parquet
        found = {name: len(reader(out / f"{name}.{fmt}")) for name in expected}
        assert set(reader(out / f"v_targets.{fmt}")["year"]) == {2025, 2030}
    assert found == expected
    assert expected["tasks"] == 3 and expected["v_timeline"] == 3


def test_timeline_follows_successors_both_ways(plans_db: str) -> None:
    engine = make_engine(plans_db)
    for asked in ("Sở Tài chính", "SỞ TÀI CHÍNH", "so tai chinh", "Sở Kế hoạch và Đầu tư"):
        frame, match = timeline(engine, agency=asked)
        assert frame["plan"].tolist() == ["15/KH-UBND", "201/KH-UBND"], asked  # ordered by due date
        assert set(match.direct) | set(match.linked) == {"Sở Tài chính", "Sở Kế hoạch và Đầu tư"}


def test_timeline_uses_stored_links_without_registry(plans_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(agency_links, "_module", lambda: None)
    frame, _ = timeline(make_engine(plans_db), agency="Sở Tài chính")
    assert frame["plan"].tolist() == ["15/KH-UBND", "201/KH-UBND"]


def test_timeline_filters_by_period_and_role(plans_db: str) -> None:
    engine = make_engine(plans_db)
    frame, _ = timeline(engine, date_from=parse_period("2023-01"), date_to=parse_period("2025-12"))
    assert frame["due_text"].tolist() == ["2024", "2025-10-30"]
    frame, _ = timeline(engine, agency="Sở Xây dựng", role="coordinating")
    assert frame["plan"].tolist() == ["15/KH-UBND", "201/KH-UBND"]
    frame, _ = timeline(engine, agency="Sở Xây dựng", role="lead", date_to=parse_period("2024-01"))
    assert frame["plan"].tolist() == ["88/KH-UBND"]  # due "2024" overlaps January 2024


def test_timeline_unknown_agency_matches_nothing(plans_db: str) -> None:
    assert not match_agencies(make_engine(plans_db), "Bộ Quốc phòng").ids


def test_timeline_command_prints_table_and_plot(plans_db: str, tmp_path: Path) -> None:
    plot = tmp_path / "gantt.png"
    args = ["timeline", "--agency", "sở tài chính", "--from", "2022", "--plot", str(plot), "--db", plans_db]
    result = invoke(*args, "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines()[1:] if line]
    assert len(rows) == 2
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert invoke("timeline", "--from", "2022-13", "--db", plans_db).exit_code == EXIT_USAGE
    assert invoke("timeline", "--agency", "Bộ Quốc phòng", "--db", plans_db).exit_code == 1
