"""``kehoach ingest`` on real corpus files: skip unchanged, replace changed, record failures, exit codes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from kehoach.models.schema import TABLES
from kehoach.pipeline.cli import app
from kehoach.pipeline.db import make_engine
from kehoach.pipeline.errors import EXIT_FAILED_DOCUMENTS, EXIT_MISSING_PATH, EXIT_NO_DOCUMENTS, EXIT_OK
from kehoach.pipeline.pool import worker_count
from sqlalchemy import text
from typer.testing import CliRunner

DEV = Path(__file__).resolve().parents[1] / "corpus" / "dev"
OLE_HEADER = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
"""The first sector of a legacy Word .doc: kehoach refuses it with a clear reason."""


def ingest(*args: str):
    return CliRunner().invoke(app, ["ingest", "--no-progress", "--workers", "1", *args])


def counts(db_url: str) -> dict[str, int]:
    engine = make_engine(db_url)
    with engine.connect() as connection:
        result = {t: connection.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}
    engine.dispose()
    return result


def test_ingest_then_reingest_is_unchanged(db_url: str, dev_text: Path) -> None:
    first = ingest(str(dev_text), "--db", db_url)
    assert first.exit_code == EXIT_OK, first.output
    after_first = counts(db_url)
    assert after_first["documents"] == 1
    second = ingest(str(dev_text), "--db", db_url)
    assert second.exit_code == EXIT_OK, second.output
    after_second = counts(db_url)
    assert after_second.pop("ingest_runs") == after_first.pop("ingest_runs") + 1
    assert after_second == after_first
    engine = make_engine(db_url)
    with engine.connect() as connection:
        run = connection.execute(text("SELECT ingested, unchanged, files FROM ingest_runs ORDER BY id DESC")).first()
        stored = connection.execute(text("SELECT sha256, source_path, content FROM documents")).one()
    assert tuple(run) == (0, 1, 1)
    assert stored.source_path == str(dev_text.resolve())
    assert len(stored.sha256) == 64 and stored.content


def test_ingest_changed_file_replaces_it(db_url: str, dev_text: Path) -> None:
    assert ingest(str(dev_text), "--db", db_url).exit_code == EXIT_OK
    with dev_text.open("a", encoding="utf-8") as handle:
        handle.write("\nNơi nhận: Lưu VT, VP UBND tỉnh.\n")
    result = ingest(str(dev_text), "--db", db_url)
    assert result.exit_code == EXIT_OK, result.output
    assert counts(db_url)["documents"] == 1
    engine = make_engine(db_url)
    with engine.connect() as connection:
        replaced = connection.execute(text("SELECT replaced FROM ingest_runs ORDER BY id DESC")).scalar()
        content = connection.execute(text("SELECT content FROM documents")).scalar_one()
    assert replaced == 1
    assert "Lưu VT" in content


def test_ingest_failure_is_recorded_and_batch_goes_on(db_url: str, dev_text: Path) -> None:
    bad = dev_text.parent / "0_ke-hoach-cu.doc"  # sorted before the good file: the batch must go on after it
    bad.write_bytes(OLE_HEADER)
    result = ingest(str(dev_text.parent), "--db", db_url)
    assert result.exit_code == EXIT_FAILED_DOCUMENTS
    assert "0_ke-hoach-cu.doc" in result.output and "legacy Word .doc" in result.output
    assert counts(db_url)["documents"] == 1
    engine = make_engine(db_url)
    with engine.connect() as connection:
        error = connection.execute(text("SELECT path, sha256, error_class, message, run_id FROM ingest_errors")).one()
        failed = connection.execute(text("SELECT failed FROM ingest_runs")).scalar_one()
    assert error.path == str(bad.resolve())
    assert error.error_class == "UnsupportedFormatError"
    assert error.sha256 is not None and "no WordDocument stream" in error.message
    assert failed == 1


def test_ingest_exit_codes_for_missing_and_empty(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'k.db'}"
    assert ingest(str(tmp_path / "nowhere"), "--db", db).exit_code == EXIT_MISSING_PATH
    (tmp_path / "empty").mkdir()
    assert ingest(str(tmp_path / "empty"), "--db", db).exit_code == EXIT_NO_DOCUMENTS


def test_ingest_default_database_in_working_folder(
    dev_text: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KEHOACH_DB", raising=False)
    result = ingest(str(dev_text))
    assert result.exit_code == EXIT_OK, result.output
    assert (tmp_path / "data" / "processed" / "kehoach.db").is_file()


def test_ingest_worker_processes_store_the_same_rows(tmp_path: Path, dev_text: Path) -> None:
    second = sorted(DEV.glob("*.txt"), key=lambda p: p.stat().st_size)[1]
    (dev_text.parent / second.name).write_bytes(second.read_bytes())
    serial, pooled = f"sqlite:///{tmp_path / 'serial.db'}", f"sqlite:///{tmp_path / 'pooled.db'}"
    assert ingest(str(dev_text.parent), "--db", serial).exit_code == EXIT_OK
    result = CliRunner().invoke(
        app, ["ingest", "--no-progress", "--workers", "2", str(dev_text.parent), "--db", pooled]
    )
    assert result.exit_code == EXIT_OK, result.output
    serial_counts, pooled_counts = counts(serial), counts(pooled)
    assert serial_counts["documents"] == 2
    assert serial_counts == pooled_counts


@pytest.mark.parametrize(
    ("requested", "documents", "expected"),
    [(None, 10, 1), (None, 0, 1), (None, 10_000, os.cpu_count() or 1), (4, 2, 2), (2, 100, 2), (1, 100, 1)],
)
def test_run_worker_count_pays_for_start_up(requested: int | None, documents: int, expected: int) -> None:
    assert worker_count(requested, documents) == expected
