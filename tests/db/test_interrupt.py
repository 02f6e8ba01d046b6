"""Ctrl-C during ``kehoach ingest``: the batch stops between documents, exit 130, the run says interrupted.

A real ``kehoach`` process ingests a batch; once it has written a few documents the test sends it
SIGINT, as a terminal does on Ctrl-C, and checks that every document in the database is whole.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kehoach.pipeline.db import make_engine
from kehoach.pipeline.run import EXIT_INTERRUPTED
from sqlalchemy import text

DEV = Path(__file__).resolve().parents[1] / "corpus" / "dev"
KEHOACH = Path(sys.executable).with_name("kehoach")
COPIES = 3
"""Each dev plan three times (with different bytes): a batch long enough to interrupt half-way."""


@pytest.fixture
def batch(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "batch"
    folder.mkdir()
    files = []
    for copy in range(COPIES):
        for source in sorted(DEV.glob("*.txt")):
            target = folder / f"{copy}-{source.name}"
            target.write_bytes(source.read_bytes() + f"\n\nBản sao {copy}.\n".encode())
            files.append(target)
    return files


def _count(engine, sql: str) -> int:
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql)).scalar_one()
    except Exception:  # noqa: BLE001 - the schema is not there yet
        return 0


def _ingest(db_url: str, folder: Path, workers: int) -> subprocess.Popen:
    """``kehoach ingest`` in a process group of its own, as a terminal runs a command."""
    return subprocess.Popen(
        [str(KEHOACH), "ingest", str(folder), "--db", db_url, "--workers", str(workers), "--no-progress"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        start_new_session=True,
    )


@pytest.mark.parametrize(
    ("workers", "to_group"),
    [(1, False), (2, True)],
    ids=["in-process, SIGINT to kehoach", "worker pool, SIGINT to the process group (a terminal's Ctrl-C)"],
)
def test_ctrl_c_stops_the_batch_cleanly(db_url: str, batch: list[Path], workers: int, to_group: bool) -> None:
    engine = make_engine(db_url)
    process = _ingest(db_url, batch[0].parent, workers)
    deadline = time.monotonic() + 120
    while _count(engine, "SELECT count(*) FROM documents") < 3:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "no document was written"
        time.sleep(0.05)
    if to_group:  # the workers get it too, as from a terminal: they leave it to the parent
        os.killpg(process.pid, signal.SIGINT)
    else:
        process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == EXIT_INTERRUPTED, (stdout, stderr)
    assert "Traceback" not in stderr and "interrupted" in stderr and "stopping after the document" in stderr
    stored = _count(engine, "SELECT count(*) FROM documents")
    assert 3 <= stored < len(batch)
    with engine.connect() as connection:
        run = connection.execute(text("SELECT status, ingested, finished_at FROM ingest_runs")).one()
        assert (run.status, run.ingested) == ("interrupted", stored) and run.finished_at is not None
        # every stored document is whole: the plan assignment is the last write of its transaction
        whole = connection.execute(
            text(
                "SELECT count(*) FROM documents d WHERE d.plan_id IS NOT NULL AND d.rendering_rank IS NOT NULL"
                " AND d.text_signature IS NOT NULL"
            )
        ).scalar_one()
        assert whole == stored
        per_document = dict(
            connection.execute(
                text("SELECT d.source_path, count(t.id) FROM documents d LEFT JOIN tasks t ON t.document_id = d.id"
                     " GROUP BY d.source_path")
            ).all()
        )  # fmt: skip
    from kehoach.extractors.extract import extract
    from kehoach.pipeline.ingest import read_document

    for path, tasks in list(per_document.items())[:3]:
        assert tasks == len(extract(read_document(path)).tasks), path
    # the next run finishes the batch
    again = _ingest(db_url, batch[0].parent, workers)
    stdout, stderr = again.communicate(timeout=300)
    assert again.returncode == 0, (stdout, stderr)
    assert _count(engine, "SELECT count(*) FROM documents") == len(batch)
    assert _count(engine, "SELECT count(*) FROM ingest_runs WHERE status = 'finished'") == 1
    engine.dispose()
