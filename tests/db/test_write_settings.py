"""How writers talk to SQLite (WAL, synchronous=NORMAL unless asked for FULL) and what a run costs once.

The schema check and the lookup of stored hashes are per run: a batch of
twice the documents opens no more transactions before extraction starts,
and an up-to-date schema never loads Alembic's upgrade command.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import kehoach.pipeline.run as run_module
import pytest
from kehoach.pipeline.db import DatabaseError, make_engine, upgrade
from kehoach.pipeline.run import ingest_files, stored_hashes
from sqlalchemy import Engine, event, text

DEV = Path(__file__).resolve().parents[1] / "corpus" / "dev"
SYNCHRONOUS_CODES = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}


def pragma(engine: Engine, name: str) -> object:
    with engine.connect() as connection:
        return connection.exec_driver_sql(f"PRAGMA {name}").scalar()


def small_plans(folder: Path, count: int) -> list[Path]:
    """``count`` of the smallest dev plans copied into ``folder`` (real documents, distinct bytes)."""
    folder.mkdir(parents=True, exist_ok=True)
    sources = sorted(DEV.glob("*.txt"), key=lambda p: p.stat().st_size)[:count]
    assert len(sources) == count
    return [Path(shutil.copy(source, folder / source.name)) for source in sources]


def transactions_of(engine: Engine, batch: list[Path]) -> int:
    """Transactions an ingest of ``batch`` opens on ``engine``."""
    counter = [0]

    def count(_connection) -> None:  # noqa: ANN001 - SQLAlchemy Connection
        counter[0] += 1

    event.listen(engine, "begin", count)
    try:
        summary = ingest_files(engine, batch, workers=1)
    finally:
        event.remove(engine, "begin", count)
    assert summary.unchanged == len(batch) and summary.ingested == 0
    return counter[0]


def test_write_settings_sqlite_writer_is_wal_normal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KEHOACH_SQLITE_SYNCHRONOUS", raising=False)
    engine = make_engine(f"sqlite:///{tmp_path / 'k.db'}")
    assert pragma(engine, "journal_mode") == "wal"
    assert SYNCHRONOUS_CODES[pragma(engine, "synchronous")] == "NORMAL"


@pytest.mark.parametrize(("asked", "expected"), [("FULL", "FULL"), ("full", "FULL"), ("EXTRA", "EXTRA")])
def test_write_settings_env_var_asks_for_stronger_sync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, asked: str, expected: str
) -> None:
    monkeypatch.setenv("KEHOACH_SQLITE_SYNCHRONOUS", asked)
    engine = make_engine(f"sqlite:///{tmp_path / 'k.db'}")
    assert SYNCHRONOUS_CODES[pragma(engine, "synchronous")] == expected


def test_write_settings_argument_beats_env_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEHOACH_SQLITE_SYNCHRONOUS", "NORMAL")
    engine = make_engine(f"sqlite:///{tmp_path / 'k.db'}", synchronous="FULL")
    assert SYNCHRONOUS_CODES[pragma(engine, "synchronous")] == "FULL"


@pytest.mark.parametrize("asked", ["OFF", "fast", "0"])
def test_write_settings_unsafe_or_unknown_mode_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, asked: str
) -> None:
    monkeypatch.setenv("KEHOACH_SQLITE_SYNCHRONOUS", asked)
    with pytest.raises(DatabaseError, match="KEHOACH_SQLITE_SYNCHRONOUS"):
        make_engine(f"sqlite:///{tmp_path / 'k.db'}")


def test_write_settings_ingest_stores_under_normal_sync(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real ingest through the writer engine: the documents are there for a fresh reader."""
    monkeypatch.delenv("KEHOACH_SQLITE_SYNCHRONOUS", raising=False)
    files = small_plans(tmp_path / "in", 2)
    url = f"sqlite:///{tmp_path / 'k.db'}"
    summary = ingest_files(make_engine(url), files, workers=1)
    assert summary.ingested == 2
    reader = make_engine(url, read_only=True)
    with reader.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM documents")).scalar() == 2


def test_write_settings_schema_check_once_per_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Engine] = []
    real_upgrade = run_module.upgrade

    def counting_upgrade(engine: Engine, *args: object, **kwargs: object) -> None:
        calls.append(engine)
        real_upgrade(engine, *args, **kwargs)

    monkeypatch.setattr(run_module, "upgrade", counting_upgrade)
    files = small_plans(tmp_path / "in", 3)
    summary = ingest_files(make_engine(f"sqlite:///{tmp_path / 'k.db'}"), files, workers=1)
    assert summary.ingested == 3
    assert len(calls) == 1


def test_write_settings_current_schema_skips_alembic_upgrade(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import alembic.command

    engine = make_engine(f"sqlite:///{tmp_path / 'k.db'}")
    upgrade(engine)  # creates the schema: the full path

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("alembic upgrade ran on a schema already at head")

    monkeypatch.setattr(alembic.command, "upgrade", refuse)
    upgrade(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM documents")).scalar() == 0


def test_write_settings_fresh_database_still_gets_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import alembic.command

    ran: list[str] = []
    real = alembic.command.upgrade
    monkeypatch.setattr(alembic.command, "upgrade", lambda config, rev: (ran.append(rev), real(config, rev)))
    engine = make_engine(f"sqlite:///{tmp_path / 'k.db'}")
    upgrade(engine)
    assert ran == ["head"]
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM tasks")).scalar() == 0


def test_write_settings_hash_lookup_is_per_run_not_per_file(tmp_path: Path) -> None:
    """Re-ingesting stored files: 6 files open no more transactions than 3 (one lookup for the batch)."""
    files = small_plans(tmp_path / "in", 6)
    engine = make_engine(f"sqlite:///{tmp_path / 'k.db'}")
    assert ingest_files(engine, files, workers=1).ingested == 6
    assert transactions_of(engine, files) == transactions_of(engine, files[:3])


def test_write_settings_stored_hashes_chunks_long_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = small_plans(tmp_path / "in", 3)
    engine = make_engine(f"sqlite:///{tmp_path / 'k.db'}")
    ingest_files(engine, files, workers=1)
    with engine.connect() as connection:
        known = [row[0] for row in connection.execute(text("SELECT sha256 FROM documents"))]
    monkeypatch.setattr(run_module, "HASH_LOOKUP_CHUNK", 2)
    unknown = ["0" * 64, "f" * 64]
    assert stored_hashes(engine, [*known, *unknown]) == set(known)
    assert stored_hashes(engine, []) == set()
