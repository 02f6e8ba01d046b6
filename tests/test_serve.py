"""``kehoach serve``: Datasette on a real database, tested by HTTP against a server started here.

The database is the bundled samples' text renderings, ingested by the real pipeline; the
server is the real ``kehoach serve`` command in a subprocess on a free port.  Every
answer Datasette gives is checked against the same question asked of SQLite directly
(or of ``kehoach.pipeline.search``).
"""

from __future__ import annotations

import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from kehoach.pipeline.db import make_engine
from kehoach.pipeline.search import search
from typer.testing import CliRunner

from kehoach.api import ingest

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("serve") / "plans.db"
    summary = ingest(sorted(RAW.glob("*.txt")), db=str(path), workers=1)
    assert summary.failed == 0
    return path


def start_serve(database: Path, **popen: object) -> tuple[subprocess.Popen, str]:
    """``kehoach serve --db DATABASE`` on a free port, once Datasette answers; (process, base URL)."""
    port = _free_port()
    command = [sys.executable, "-m", "kehoach", "serve", "--db", str(database), "--port", str(port)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **popen)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/-/versions.json", timeout=2).status_code == 200:
                return process, base
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"kehoach serve did not start: {process.communicate(timeout=5)[0]}")
        time.sleep(0.3)


@pytest.fixture(scope="module")
def server(database: Path) -> Iterator[str]:
    """Base URL of ``kehoach serve --db plans.db`` (database name in Datasette: ``plans``)."""
    process, base = start_serve(database)
    try:
        yield f"{base}/plans"
    finally:
        process.send_signal(signal.SIGTERM)  # kehoach stops Datasette, then itself
        assert process.wait(timeout=30) == 0  # a requested stop is a clean one (systemd, docker stop)


def rows_of(database: Path, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(database) as connection:
        return connection.execute(sql, params).fetchall()


def get(url: str, **params: object) -> dict:
    response = httpx.get(url, params=params, timeout=30)
    assert response.status_code == 200, response.text[:500]
    return response.json()


def test_canned_query_answers_like_sqlite(server: str, database: Path) -> None:
    answer = get(f"{server}/targets_for_year.json", year=2030, _shape="objects")
    expected = rows_of(database, "SELECT indicator FROM v_targets WHERE year = 2030 ORDER BY indicator")
    assert answer["ok"] and [row["indicator"] for row in answer["rows"]] == [row[0] for row in expected]
    assert expected, "the samples have 2030 targets"
    leads = get(f"{server}/reorganised_leads.json", _shape="objects")["rows"]
    count = rows_of(database, "SELECT count(*) FROM v_tasks WHERE lead_successors IS NOT NULL")[0][0]
    assert len(leads) == count > 0


def test_facet_on_lead_counts_like_group_by(server: str, database: Path) -> None:
    answer = get(f"{server}/v_timeline.json", _facet="lead", _facet_size="max", _size=0)
    facet = {item["value"]: item["count"] for item in answer["facet_results"]["lead"]["results"]}
    expected = dict(rows_of(database, "SELECT lead, count(*) FROM v_timeline WHERE lead IS NOT NULL GROUP BY lead"))
    assert facet == expected
    configured = get(f"{server}/v_timeline.json", _size=0)["facet_results"]  # the metadata's facets
    assert {"plan", "lead", "due_year"} <= set(configured)
    years = {item["value"]: item["count"] for item in configured["due_year"]["results"]}
    by_year = "SELECT due_year, count(*) FROM v_timeline WHERE due_year IS NOT NULL GROUP BY due_year"
    expected_years = rows_of(database, by_year)
    assert years == dict(expected_years) and years


@pytest.mark.parametrize("words", ["ke hoach", "dau tu", "ĐẦU TƯ"])
def test_search_is_accent_insensitive(server: str, database: Path, words: str) -> None:
    answer = get(f"{server}/v_timeline.json", _search=words, _size="max", _shape="objects")
    found = {row["task_id"] for row in answer["rows"]}
    _, rows = search(make_engine(f"sqlite:///{database}", read_only=True), words, limit=10_000)
    assert found == {row[0] for row in rows}
    assert found


@pytest.mark.parametrize("words", ["ke hoach", "ĐẦU TƯ", '"dau tu cong"', "quy hoa*", "06-NQ/TW", "!!"])
def test_canned_search_is_kehoach_search(server: str, database: Path, words: str) -> None:
    """The plugin's kehoach_match() gives Datasette the command's own query language, ranking included."""
    canned = get(f"{server}/search_tasks.json", words=words, _shape="objects")["rows"]
    engine = make_engine(f"sqlite:///{database}", read_only=True)
    expected = search(engine, words, limit=100)[1] if words != "!!" else []
    assert [row["task_id"] for row in canned] == [row[0] for row in expected]


def test_canned_agency_question_folds_the_name(server: str, database: Path) -> None:
    params = {"from_date": "2000-01-01", "to_date": "2100-12-31", "_shape": "objects"}
    written = get(f"{server}/due_in_period_for_agency.json", agency="Sở Xây dựng", **params)["rows"]
    folded = get(f"{server}/due_in_period_for_agency.json", agency="so xay dung", **params)["rows"]
    expected = rows_of(
        database,
        "SELECT count(*) FROM v_timeline t WHERE t.task_id IN (SELECT ta.task_id FROM task_agencies ta JOIN agencies a"
        " ON a.id = ta.agency_id WHERE a.name = 'Sở Xây dựng' AND ta.role = 'lead') AND t.due_on IS NOT NULL",
    )[0][0]
    assert written == folded and len(written) == expected > 0


def test_dau_tu_finds_the_same_tasks_as_dau_tu_with_marks(server: str) -> None:
    plain = get(f"{server}/v_timeline.json", _search="dau tu", _size="max", _shape="objects")["rows"]
    marked = get(f"{server}/v_timeline.json", _search="đầu tư", _size="max", _shape="objects")["rows"]
    assert [row["task_id"] for row in plain] == [row["task_id"] for row in marked]


def test_metadata_describes_tables_and_labels_tasks_by_text(server: str, database: Path) -> None:
    page = httpx.get(f"{server}/v_timeline", timeout=30).text
    assert "Every task of every plan, once per plan" in page
    assert "First day of the due period" in page  # a column description
    answer = get(f"{server}/task_agencies.json", _labels="on", _size=1, _shape="objects")
    task = answer["rows"][0]["task_id"]
    assert task["label"] == rows_of(database, "SELECT text FROM tasks WHERE id = ?", task["value"])[0][0]
    queries = {q["name"] for q in get(f"{server}.json")["queries"]}
    assert {"due_in_period_for_agency", "targets_for_year", "tasks_citing", "top_coordinators"} <= queries


def test_top_coordinators_counts_each_plan_once(server: str, database: Path) -> None:
    rows = get(f"{server}/top_coordinators.json", _shape="objects")["rows"]
    coordinating = rows_of(
        database,
        "SELECT a.name, ta.task_id FROM task_agencies ta JOIN agencies a ON a.id = ta.agency_id "
        "JOIN v_tasks t ON t.task_id = ta.task_id WHERE ta.role = 'coordinating'",
    )
    counts = Counter(name for name, _ in set(coordinating))
    assert rows and all(row["tasks"] == counts[row["name"]] for row in rows)


def test_serve_refuses_postgresql_and_missing_files(tmp_path: Path) -> None:
    from kehoach.pipeline.cli import app

    result = CliRunner().invoke(app, ["serve", "--db", "postgresql://analyst@db.example/kehoach"])
    assert result.exit_code == 2
    assert "Datasette serves SQLite files only" in result.stderr and "Traceback" not in result.output
    result = CliRunner().invoke(app, ["serve", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 2 and "no database at" in result.stderr
    assert not (tmp_path / "none.db").exists()


def test_metadata_is_pruned_to_an_older_schema(tmp_path: Path) -> None:
    """A database from before migration 0005 (no search index) or without a view still gets pages that work."""
    from kehoach.pipeline.serve import metadata_for, shipped_metadata

    old = tmp_path / "old.db"
    with sqlite3.connect(old) as connection:
        connection.execute("CREATE TABLE tasks (id INTEGER PRIMARY KEY, text TEXT, due_on DATE)")
        connection.execute("CREATE VIEW v_timeline AS SELECT id AS task_id, text, due_on FROM tasks")
    metadata = metadata_for(old)
    assert list(metadata["databases"]) == ["old"]
    tables = metadata["databases"]["old"]["tables"]
    assert set(tables) == {"tasks", "v_timeline"}
    assert "fts_table" not in tables["tasks"] and "fts_table" not in tables["v_timeline"]
    assert tables["v_timeline"]["facets"] == []  # plan, lead, due_year: not in this view
    assert set(tables["v_timeline"]["columns"]) == {"task_id", "text", "due_on"}
    assert tables["tasks"]["label_column"] == "text"
    queries = metadata["databases"]["old"]["queries"]
    assert "search_tasks" not in queries and queries  # the canned questions that need no index stay
    assert shipped_metadata()["databases"]["kehoach"]["tables"]["tasks"]["fts_table"] == "task_search"


def test_serve_without_datasette_names_the_extra(database: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from kehoach.pipeline.cli import app

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "datasette" else real(name, *a))
    result = CliRunner().invoke(app, ["serve", "--db", str(database)])
    assert result.exit_code == 2
    assert result.stderr.strip() == 'kehoach: Datasette is not installed: pip install "kehoach[serve]"'


def test_serve_on_a_port_in_use_is_one_line(database: Path) -> None:
    from kehoach.pipeline.cli import app

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = CliRunner().invoke(app, ["serve", "--db", str(database), "--port", str(port)])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"kehoach: cannot listen on 127.0.0.1:{port} (Address already in use): choose another with --port"
    )


@pytest.mark.parametrize("how", ["terminal", "kehoach only"])
def test_ctrl_c_stops_datasette_and_exits_130(database: Path, how: str) -> None:
    """Ctrl-C in a terminal signals the whole process group; ``kill -INT`` of kehoach signals it alone."""
    import os

    process, base = start_serve(database, start_new_session=True)
    if how == "terminal":
        os.killpg(process.pid, signal.SIGINT)
    else:
        process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 130
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{base}/-/versions.json", timeout=2)  # Datasette stopped with it: nothing left on the port
