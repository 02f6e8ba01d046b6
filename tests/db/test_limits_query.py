"""Queries that cannot run away (issue 10, item 5): each says which limit stopped it.

``kehoach query`` has a time limit (``--timeout``, 30 s by default) on both backends and SQLite's
``hard_heap_limit``; the review server's engine gets the same time limit on every statement
(:func:`kehoach.pipeline.readonly.limit_statements`).
"""

from __future__ import annotations

import time

import pytest
from kehoach.pipeline.cli import app
from kehoach.pipeline.db import make_engine, upgrade
from kehoach.pipeline.query import run_query
from kehoach.pipeline.readonly import HEAP_LIMIT_MESSAGE, QUERY_TIMEOUT_S, QueryFailed, limit_statements
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

ENDLESS = "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT count(*) FROM r"


def test_limits_query_default_timeout_is_30_seconds() -> None:
    assert QUERY_TIMEOUT_S == 30.0
    result = CliRunner().invoke(app, ["query", "--help"], env={"COLUMNS": "200"})
    assert "--timeout" in result.output and "30" in result.output


def test_limits_query_sqlite_memory_limit_is_named(db_url: str) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("hard_heap_limit is SQLite's")
    upgrade(make_engine(db_url))
    reader = make_engine(db_url, read_only=True)
    with pytest.raises(QueryFailed) as caught:
        run_query(reader, "SELECT count(*) FROM (SELECT randomblob(800000000) a, randomblob(800000000) b)")
    assert str(caught.value) == HEAP_LIMIT_MESSAGE
    assert "hard_heap_limit" in HEAP_LIMIT_MESSAGE
    with pytest.raises(QueryFailed, match="largest string or blob"):
        run_query(reader, "SELECT length(randomblob(2000000000))")
    assert run_query(reader, "SELECT count(*) AS n FROM documents")["n"].tolist() == [0]  # the limit is lifted


def test_limits_query_review_engine_statements_are_timed(db_url: str) -> None:
    """The review server's reader: a runaway statement is stopped at the limit, the connection stays usable."""
    upgrade(make_engine(db_url))
    reader = limit_statements(make_engine(db_url, read_only=True), timeout_s=0.5)
    runaway = "SELECT pg_sleep(5)" if db_url.startswith("postgresql") else ENDLESS
    with reader.connect() as connection:
        began = time.monotonic()
        with pytest.raises(DBAPIError, match="interrupted|statement timeout"):
            connection.execute(text(runaway)).all()
        assert time.monotonic() - began < 4
        connection.rollback()
        assert connection.execute(text("SELECT count(*) FROM documents")).scalar_one() == 0
