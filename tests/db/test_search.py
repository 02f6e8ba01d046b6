"""Accent-insensitive full-text search (issue 8 item 7) on SQLite (FTS5) and PostgreSQL (tsvector).

The expected hits are computed independently, in Python, from ``v_timeline``: every task
whose folded text holds all the folded query words.  The index must give exactly those.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from kehoach.models.schema import fold
from kehoach.pipeline.cli import app
from kehoach.pipeline.db import session_scope
from kehoach.pipeline.search import parse, search
from kehoach.pipeline.store import store_extraction
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from kehoach.api import ingest

RAW = Path(__file__).resolve().parents[2] / "data" / "raw"
WORDS = re.compile(r"[^\W_]+")


@pytest.fixture
def plans(engine: Engine, db_url: str) -> Engine:
    """The bundled sample plans' text renderings, ingested by the real pipeline."""
    summary = ingest(sorted(RAW.glob("*.txt")), db=db_url, workers=1)
    assert summary.failed == 0 and summary.ingested >= 3
    return engine


def expected(engine: Engine, query: str) -> set[int]:
    wanted = WORDS.findall(fold(query) or "")
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT task_id, text FROM v_timeline")).all()
    return {task_id for task_id, body in rows if set(wanted) <= set(WORDS.findall(fold(body) or ""))}


def hits(engine: Engine, query: str) -> set[int]:
    columns, rows = search(engine, query, limit=10_000)
    return {row[columns.index("task_id")] for row in rows}


@pytest.mark.parametrize("query", ["ke hoach", "KẾ HOẠCH", "kế hoạch", "dau tu", "đầu tư", "ĐẦU TƯ", "Đông"])
def test_search_finds_every_task_with_the_folded_words(plans: Engine, query: str) -> None:
    found = hits(plans, query)
    assert found == expected(plans, query)
    assert found, f"the samples have tasks with {query!r}"


def test_search_ignores_diacritics_and_the_stroke_of_d(plans: Engine) -> None:
    assert hits(plans, "dau tu") == hits(plans, "đầu tư") == hits(plans, "Đầu Tư")
    assert hits(plans, "ke hoach") == hits(plans, "kế hoạch")


def test_phrase_and_prefix(plans: Engine) -> None:
    both = hits(plans, "dau tu")
    phrase = hits(plans, '"dau tu"')
    assert phrase and phrase <= both
    with plans.connect() as connection:
        bodies = dict(connection.execute(text("SELECT task_id, text FROM v_timeline")).all())
    assert all("dau tu" in " ".join(WORDS.findall(fold(bodies[i]) or "")) for i in phrase)
    assert hits(plans, "hoach") < hits(plans, "hoa*")  # "hoạch", "hóa", "hoàn" …


def test_hits_come_once_per_plan_best_first(plans: Engine) -> None:
    columns, rows = search(plans, "quy hoach", limit=5)
    assert columns == ["task_id", "plan", "lead", "due_text", "text"]
    assert len(rows) == 5
    with plans.connect() as connection:
        shown = {row[0] for row in connection.execute(text("SELECT task_id FROM v_timeline"))}
    assert {row[0] for row in rows} <= shown  # from the views: one rendering per plan


@pytest.mark.parametrize("query", ['"unterminated', "a AND OR NOT (", "06-NQ/TW", "quy_hoach", "NEAR(a b)", "col:val"])
def test_any_input_is_a_valid_query(plans: Engine, query: str) -> None:
    assert hits(plans, query) == expected(plans, query.replace("*", ""))


def test_nothing_to_search_is_one_line(plans: Engine, db_url: str) -> None:
    result = CliRunner().invoke(app, ["search", "!!", "--db", db_url])
    assert result.exit_code == 1
    assert result.stderr.startswith("kehoach: nothing to search for")


def test_search_command_prints_task_plan_and_lead(plans: Engine, db_url: str) -> None:
    result = CliRunner().invoke(app, ["search", "ke hoach", "--db", db_url, "--format", "json", "--limit", "3"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert len(rows) == 3
    assert all({"task_id", "plan", "lead", "text"} <= set(row) for row in rows)
    assert all("ke hoach" in " ".join(WORDS.findall(fold(row["text"]) or "")) for row in rows)


def test_index_follows_writes_in_the_document_transaction(engine: Engine, make_extraction) -> None:
    with session_scope(engine) as session:
        store_extraction(session, make_extraction())
    assert hits(engine, "ra soat quy hoach do thi")
    with session_scope(engine) as session:
        session.execute(text("UPDATE tasks SET text = 'Kiểm tra đường giao thông'"))
    assert not hits(engine, "ra soat") and hits(engine, "duong giao thong")
    with session_scope(engine) as session:
        session.execute(text("DELETE FROM documents"))
    assert not hits(engine, "duong giao thong")
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM task_search")).scalar_one() == 0


@pytest.mark.postgres
def test_postgres_fold_function_matches_python(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    from importlib import import_module

    migration = import_module("kehoach.models.migrations.versions.0005_search")
    sample = "ỦY BAN NHÂN DÂN tỉnh Lạng Sơn: Đầu tư, chuyển đổi số, Sở Kế hoạch và Đầu tư, Ưu tiên ỹ"
    with engine.connect() as connection:
        folded = connection.execute(text("SELECT kehoach_fold(:t)"), {"t": sample}).scalar_one()
        translated = connection.execute(
            text("SELECT translate(lower(:t), :a, :b)"), {"t": sample, "a": migration.VIETNAMESE, "b": migration.ASCII}
        ).scalar_one()
        index = connection.execute(text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_tasks_search'")).scalar()
    assert folded == " ".join(WORDS.findall(fold(sample) or ""))
    assert translated == fold(sample)  # the fold kehoach_fold is built on where unaccent cannot be installed
    assert index is not None and "kehoach_fold" in index


def test_parse_keeps_words_only() -> None:
    terms = parse('Kế hoạch "đầu tư  công" quy* -- ;')
    assert [t.words for t in terms] == [("ke",), ("hoach",), ("dau", "tu", "cong"), ("quy",)]
    assert [t.prefix for t in terms] == [False, False, False, True]


def test_kehoach_query_can_read_the_index(plans: Engine, db_url: str) -> None:
    """The read-only session of ``kehoach query`` opens the FTS5 table (its authorizer must let SQLite do so)."""
    if plans.dialect.name != "sqlite":
        pytest.skip("task_search is SQLite's index")
    sql = "SELECT rowid FROM task_search WHERE task_search MATCH 'ke hoach' ORDER BY rowid"
    result = CliRunner().invoke(app, ["query", sql, "--db", db_url, "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    found = {json.loads(line)["rowid"] for line in result.stdout.splitlines()}
    with plans.connect() as connection:
        texts = dict(connection.execute(text("SELECT id, text FROM tasks")).all())  # every rendering: no view here
    assert found == {i for i, body in texts.items() if {"ke", "hoach"} <= set(WORDS.findall(fold(body) or ""))}


def test_excerpt_shows_where_the_words_meet() -> None:
    from kehoach.pipeline.search import excerpt

    lead_in = "Sở Nội vụ chủ trì, phối hợp với các sở, ban, ngành chuyên môn tổ chức rà soát vị trí việc làm; "
    text = lead_in * 2 + "đẩy nhanh chuyển đổi số trong quản lý đô thị, xây dựng chính quyền điện tử. " + lead_in
    shown = excerpt(text, "chuyen doi so", width=80)
    assert "chuyển đổi số" in shown and shown.startswith("…") and shown.endswith("…")
    assert len(shown) <= 82
    assert excerpt("Kế hoạch ngắn.", "ke hoach") == "Kế hoạch ngắn."  # short texts whole, on one line
    tail = excerpt(lead_in * 3 + "Kế hoạch này.", "ke hoach", width=60)
    assert tail.endswith("Kế hoạch này.") and len(tail) >= 55  # the window that ends the text fills the width
    assert excerpt(lead_in * 3, "khong co", width=60).startswith("Sở Nội vụ")  # no match: the beginning


@pytest.mark.postgres
def test_postgres_without_unaccent_folds_with_translate(postgres_url: str, postgres_admin_url: str) -> None:
    """A role that may not install extensions gets the translate() fold: the same hits, no extension."""
    from kehoach.pipeline.db import make_engine, upgrade

    database = postgres_admin_url.rsplit("/", 1)[1]
    owner = postgres_url.split("://", 1)[1].split("@", 1)[0]
    admin = make_engine(postgres_admin_url)
    with admin.begin() as connection:
        connection.execute(text(f'REVOKE CREATE ON DATABASE "{database}" FROM "{owner}"'))
    engine = make_engine(postgres_url)
    upgrade(engine)
    with engine.connect() as connection:
        extensions = set(connection.scalars(text("SELECT extname FROM pg_extension")))
        body = connection.execute(text("SELECT prosrc FROM pg_proc WHERE proname = 'kehoach_fold'")).scalar_one()
    assert "unaccent" not in extensions and "translate(" in body
    summary = ingest(sorted(RAW.glob("*.txt")), db=postgres_url, workers=1)
    assert summary.failed == 0
    for query in ("ke hoach", "ĐẦU TƯ", "Đông"):
        assert hits(engine, query) == expected(engine, query) != set()
    admin.dispose()
    engine.dispose()


@given(st.text(alphabet=st.sampled_from("aăâeêioôơuưyđAĂÂĐ áàảãạếềểễệ\t\n-_/.Ỹ"), max_size=40))
def test_search_folds_as_the_schema_does(sample: str) -> None:
    from kehoach.models.schema import fold as schema_fold
    from kehoach.pipeline.search import fold as search_fold

    assert search_fold(sample) == (schema_fold(sample) or "")
