"""Creating the SQLite schema is all-or-nothing, and what older versions left half-done is repaired or refused.

Before, an ingest killed in its first half-second left half the tables and
every later run failed on "table agencies already exists" (issue 13).
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from alembic.operations import Operations
from kehoach.models.schema import TABLES, VIEWS, Base
from kehoach.pipeline.cli import app
from kehoach.pipeline.db import current_revision, head_revision, make_engine, upgrade
from sqlalchemy import create_engine
from typer.testing import CliRunner


def schema_state(path: Path) -> tuple[set[str], str | None]:
    """(kehoach tables and views present, revision stamped), read without kehoach's code."""
    if not path.exists():
        return set(), None
    connection = sqlite3.connect(path)
    try:
        names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
        revision = None
        if "alembic_version" in names:
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = row[0] if row else None
    finally:
        connection.close()
    return names & set(TABLES + VIEWS), revision


def assert_none_or_all(path: Path) -> bool:
    """The atomic invariant: no kehoach table, or every one of them with the head revision stamped."""
    present, revision = schema_state(path)
    assert present in (set(), set(TABLES + VIEWS)), sorted(present)
    assert (revision == head_revision()) == bool(present), (revision, sorted(present))
    return bool(present)


def test_sqlite_atomic_killed_first_ingests_then_success(tmp_path: Path, dev_text: Path) -> None:
    db = tmp_path / "kehoach.db"
    command = [sys.executable, "-m", "kehoach", "ingest", str(dev_text), "--db", str(db), "--no-progress"]
    rng = random.Random(13)
    complete = 0
    for attempt in range(6):
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if attempt % 2 == 0:  # aim at the schema creation itself: just after the file appears
            deadline = time.monotonic() + 10
            while not db.exists() and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.002)
            time.sleep(rng.uniform(0, 0.08))
        else:  # anywhere in the start-up
            time.sleep(rng.uniform(0.1, 1.5))
        process.send_signal(signal.SIGKILL if attempt % 3 else signal.SIGINT)
        process.wait(timeout=30)
        complete += assert_none_or_all(db)
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert assert_none_or_all(db)
    connection = sqlite3.connect(db)
    assert connection.execute("SELECT count(*) FROM documents").fetchone() == (1,)
    assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    connection.close()


def test_sqlite_atomic_failed_migration_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "kehoach.db"
    real = Operations.create_table
    calls = {"n": 0}

    def failing_create_table(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202 - alembic's signature
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt  # Ctrl-C half-way through the tables
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Operations, "create_table", failing_create_table)
    with pytest.raises(KeyboardInterrupt):
        upgrade(make_engine(f"sqlite:///{db}"))
    assert calls["n"] == 4
    assert schema_state(db) == (set(), None)
    monkeypatch.setattr(Operations, "create_table", real)
    upgrade(make_engine(f"sqlite:///{db}"))
    assert assert_none_or_all(db)


def half_created_by_an_older_kehoach(db: Path, tables: int) -> None:
    """What the old non-transactional creation left when killed: the first tables, no revision."""
    engine = create_engine(f"sqlite:///{db}")
    Base.metadata.create_all(engine, tables=Base.metadata.sorted_tables[:tables])
    engine.dispose()


def test_sqlite_atomic_half_created_database_is_repaired(tmp_path: Path) -> None:
    db = tmp_path / "kehoach.db"
    half_created_by_an_older_kehoach(db, 3)
    assert 0 < len(schema_state(db)[0]) < len(TABLES)
    result = CliRunner().invoke(app, ["db", "upgrade", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "left by an interrupted schema creation" in result.output
    assert assert_none_or_all(db)
    assert current_revision(make_engine(str(f"sqlite:///{db}"))) == head_revision()


def test_sqlite_atomic_half_created_database_with_rows_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "kehoach.db"
    half_created_by_an_older_kehoach(db, 3)
    connection = sqlite3.connect(db)
    connection.execute("INSERT INTO agencies (name, name_folded, kind) VALUES ('Sở Y tế', 'so y te', 'department')")
    connection.commit()
    connection.close()
    before = os.path.getsize(db), schema_state(db)
    result = CliRunner().invoke(app, ["db", "upgrade", "--db", str(db)])
    assert result.exit_code == 1
    assert "no schema revision" in result.output and "agencies" in result.output and "--db" in result.output
    assert schema_state(db) == before[1]
    connection = sqlite3.connect(db)
    assert connection.execute("SELECT name FROM agencies").fetchall() == [("Sở Y tế",)]
    connection.close()
