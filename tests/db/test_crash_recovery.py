"""Kill -9 mid-batch, rerun, and the database is the one a clean run makes (issue 10, item 7).

Each trial runs the real ``kehoach ingest`` with two workers on SQLite and on PostgreSQL, kills the
parent (or one worker) with SIGKILL while documents are being written, reruns the same command, and
compares the result with a clean run of the same batch: the same documents (bytes and path), each
with the same tasks, targets, sections, references and agency links, the same agencies, no orphans
and no duplicates; on SQLite also ``PRAGMA integrity_check`` and ``foreign_key_check``.
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import psutil
import pytest

from tests.db.db_state import count_documents, ingest_command, make_batch, run_ingest, sqlite_checks, state


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    """The input folder and the state a clean, uninterrupted run leaves (on SQLite)."""
    folder = tmp_path_factory.mktemp("crash") / "inputs"
    make_batch(folder)
    clean_url = f"sqlite:///{folder.parent / 'clean.db'}"
    done = run_ingest(folder, clean_url)
    assert done.returncode == 0, done.stderr
    clean = state(clean_url)
    assert len(clean["documents"]) > 20 and not clean["orphans"]
    return folder, clean


def _wait_for_documents(url: str, process: subprocess.Popen, at_least: int, timeout: float = 120) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        found = count_documents(url)
        if found >= at_least:
            return found
        time.sleep(0.05)
    raise AssertionError(f"fewer than {at_least} documents stored before the batch ended")


def _check(url: str, clean: dict[str, object]) -> None:
    after = state(url)
    assert after == clean
    if url.startswith("sqlite"):
        integrity, foreign = sqlite_checks(url)
        assert integrity == ["ok"] and foreign == []


@pytest.mark.parametrize("stored_before_kill", [3, 15])
def test_crash_recovery_parent_killed(db_url: str, batch, stored_before_kill: int) -> None:
    folder, clean = batch
    process = subprocess.Popen(ingest_command(folder, db_url), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    descendants: list[psutil.Process] = []
    try:
        _wait_for_documents(db_url, process, stored_before_kill)
        descendants = psutil.Process(process.pid).children(recursive=True)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
    _, alive = psutil.wait_procs(descendants, timeout=10)
    assert not alive, "workers outlived the killed parent"
    partial = state(db_url)
    assert 0 < len(partial["documents"]) < len(clean["documents"])
    assert not partial["orphans"] and not partial["duplicates"]
    rerun = run_ingest(folder, db_url)
    assert rerun.returncode == 0, rerun.stderr
    _check(db_url, clean)


def test_crash_recovery_worker_killed(db_url: str, batch) -> None:
    """A worker killed mid-batch: the batch finishes, every file is a document or an error row; a rerun completes it."""
    folder, clean = batch
    process = subprocess.Popen(ingest_command(folder, db_url), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_for_documents(db_url, process, 3)
        workers = [p for p in psutil.Process(process.pid).children(recursive=True) if p.ppid() != process.pid]
        assert workers, "no worker to kill"
        busy = max(workers, key=lambda p: p.cpu_times().user)
        busy.send_signal(signal.SIGKILL)
        _, stderr = process.communicate(timeout=300)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode in (0, 1), stderr.decode()
    assert b"Traceback" not in stderr
    first = state(db_url)
    killed_lines = [line for line in stderr.decode().splitlines() if "worker killed by signal 9" in line]
    assert len(first["documents"]) + len(killed_lines) == len(clean["documents"]), stderr.decode()  # none lost
    rerun = run_ingest(folder, db_url)
    assert rerun.returncode == 0, rerun.stderr
    _check(db_url, clean)
