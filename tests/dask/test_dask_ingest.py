"""``ingest --scheduler``: a LocalCluster of worker processes and the real PostgreSQL of the fixtures.

Each run is compared row for row (:func:`tests.dask.conftest.snapshot`) with what the in-process path
stores for the same files, after a clean run, a worker killed mid-task, a client killed mid-run and
rerun, and two runs at once on one database.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest
from kehoach.pipeline.db import make_engine
from kehoach.pipeline.run import ingest_files
from sqlalchemy import text

from tests.dask.conftest import ROOT, SCANNED, Stored, shares, snapshot

pytestmark = pytest.mark.postgres

RUN = (
    "import sys\n"
    "from kehoach.pipeline.db import make_engine\n"
    "from kehoach.pipeline.run import ingest_files\n"
    "if __name__ == '__main__':\n"
    "    summary = ingest_files(make_engine(sys.argv[1]), sys.argv[3:], scheduler=sys.argv[2])\n"
    "    sys.exit(1 if summary.failed else 0)\n"
)
"""A batch in a process of its own (to be killed, or run twice at once)."""


def _run_in_process(url: str, scheduler: str, inputs: list[Path]) -> subprocess.Popen:
    command = [sys.executable, "-c", RUN, url, scheduler, *map(str, inputs)]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _documents(engine) -> int:  # noqa: ANN001 - sqlalchemy Engine
    with engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM documents")).scalar_one()


@pytest.mark.parametrize("writes", ["workers", "client"])
def test_dask_local_cluster_stores_what_the_in_process_run_stores(
    new_database: Callable[[], str], inputs: list[Path], reference: Stored, writes: str
) -> None:
    from kehoach.pipeline.dask_pool import ingest_distributed

    engine = make_engine(new_database())
    progress: list[tuple[int, int]] = []
    summary = ingest_distributed(
        engine, inputs, scheduler="local:2", on_progress=lambda *p: progress.append(p), writes=writes
    )
    with engine.connect() as connection:
        assert connection.execute(text("SELECT args FROM ingest_runs")).scalar_one()["writes"] == writes
    assert summary.failed == 0, summary.failures
    assert (summary.files, summary.ingested, summary.unchanged) == (len(inputs), len(inputs), 0)
    assert summary.pages > 0  # the PDF's pages are counted as in a local run
    assert progress[-1] == (len(inputs), len(inputs)) and len(progress) == len(inputs)
    assert snapshot(engine) == reference.rows
    again = ingest_distributed(engine, inputs, scheduler="local:2", writes=writes)  # hashed on a worker, skipped
    assert (again.ingested, again.unchanged, again.failed) == (0, len(inputs), 0)
    forced = ingest_distributed(engine, inputs[:3], scheduler="local:2", writes=writes, force=True)
    assert (forced.reextracted, forced.unchanged, forced.failed) == (3, 0, 0)  # extracted again, rewritten in place
    assert snapshot(engine) == reference.rows


def test_dask_worker_killed_mid_task_runs_the_task_again(
    new_database: Callable[[], str], inputs: list[Path], reference: Stored, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``kill -9`` of a Dask worker process while it ingests: the nanny starts another, the task reruns.

    Files are grouped 4 to a task here (as in a long batch), so the killed task held several files.
    """
    from distributed import default_client
    from kehoach.pipeline import dask_pool

    monkeypatch.setattr(dask_pool, "FILES_PER_TASK", 4)
    monkeypatch.setattr(dask_pool, "TASKS_AHEAD", 1)

    killed: list[int] = []

    def kill_a_busy_worker(done: int, total: int) -> None:
        if killed:
            return
        client = default_client()
        busy = [w for w, keys in client.processing().items() if any("kehoach-ingest" in str(k) for k in keys)]
        if busy:
            pid = client.run(os.getpid, workers=busy[:1])[busy[0]]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    engine = make_engine(new_database())
    summary = ingest_files(engine, inputs, scheduler="local:2", on_progress=kill_a_busy_worker)
    assert killed, "no worker was caught extracting"
    assert not psutil.pid_exists(killed[0]) or psutil.Process(killed[0]).status() == psutil.STATUS_ZOMBIE
    assert summary.failed == 0, summary.failures
    # a worker killed between its commit and its reply finds the document stored when the task reruns
    assert summary.ingested + summary.unchanged == len(inputs)
    assert snapshot(engine) == reference.rows


def test_dask_client_killed_mid_run_resumes_without_duplicates_or_partial_documents(
    new_database: Callable[[], str], inputs: list[Path], reference: Stored
) -> None:
    url = new_database()
    engine = make_engine(url)
    process = _run_in_process(url, "local:2", inputs)
    family: set[psutil.Process] = set()
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and process.poll() is None:
            family.update(psutil.Process(process.pid).children(recursive=True))
            with engine.connect() as connection:
                exists = connection.execute(text("SELECT to_regclass('documents') IS NOT NULL")).scalar_one()
            if exists and _documents(engine) >= 3:
                break
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    finally:
        process.kill()
    stored = shares(engine)
    assert 3 <= len(stored) < len(inputs), "the client was not killed mid-run"
    assert all(counts == reference.shares[sha] for sha, counts in stored.items())  # each document whole
    _, alive = psutil.wait_procs(list(family), timeout=30)
    assert not [p for p in alive if p.status() != psutil.STATUS_ZOMBIE], "workers outlived their client"

    summary = ingest_files(engine, inputs, scheduler="local:2")
    assert (summary.unchanged, summary.ingested, summary.failed) == (len(stored), len(inputs) - len(stored), 0)
    assert snapshot(engine) == reference.rows


def test_dask_two_concurrent_runs_on_one_database_store_each_document_once(
    new_database: Callable[[], str], inputs: list[Path], reference: Stored
) -> None:
    url = new_database()
    engine = make_engine(url)
    from kehoach.pipeline.db import upgrade

    upgrade(engine)  # both runs would otherwise race to create the schema (not what this test is about)
    processes = [_run_in_process(url, "local:1", order) for order in (inputs, inputs[::-1])]
    for process in processes:
        _, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr.decode()[-3000:]
    assert snapshot(engine) == reference.rows
    with engine.connect() as connection:
        runs = connection.execute(text("SELECT ingested + unchanged + failed FROM ingest_runs")).scalars().all()
    assert runs == [len(inputs), len(inputs)]


@pytest.fixture
def scanned_batch(tmp_path: Path, inputs: list[Path]) -> list[str]:
    """A scan (OCR: seconds of work) with two small plans, one of them named by a ``file://`` URL."""
    if shutil.which("tesseract") is None:
        pytest.skip("Tesseract is not installed")
    small = [shutil.copy(path, tmp_path / path.name) for path in inputs[:2]]
    return [str(SCANNED), str(small[0]), Path(small[1]).resolve().as_uri()]


def _failures(engine) -> list[tuple[str, str, str]]:  # noqa: ANN001 - sqlalchemy Engine
    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(text("SELECT path, error_class, message FROM ingest_errors"))]


@pytest.fixture
def long_scan(tmp_path: Path, scanned_batch: list[str]) -> Path:
    """30 scanned pages (the sample scan 15 times): ~30 s of OCR on one core, however fast the machine."""
    import pypdfium2

    path = tmp_path / "long-scan.pdf"
    with pypdfium2.PdfDocument(SCANNED) as scan, pypdfium2.PdfDocument.new() as pdf:
        for _ in range(15):
            pdf.import_pages(scan)
        pdf.save(path)
    return path


def test_dask_document_over_the_time_limit_fails_alone(
    new_database: Callable[[], str], scanned_batch: list[str], long_scan: Path
) -> None:
    from kehoach.pipeline.limits import DEFAULT_LIMITS

    engine = make_engine(new_database())
    batch = [str(long_scan), *scanned_batch[1:]]
    limits = dataclasses.replace(DEFAULT_LIMITS, max_seconds=4.0)  # a small plan takes well under a second
    began = time.monotonic()
    summary = ingest_files(engine, batch, scheduler="local:1", limits=limits)
    assert time.monotonic() - began < 60
    assert summary.ingested == 2
    [(path, error_class, message)] = _failures(engine)
    assert path == str(long_scan)
    assert error_class == "TimeLimitExceeded" and "4 s" in message
    with engine.connect() as connection:
        paths = set(connection.execute(text("SELECT source_path FROM documents")).scalars())
    assert scanned_batch[2] in paths  # the file:// URL is stored as given


def test_dask_extraction_process_killed_costs_its_file_only(
    new_database: Callable[[], str], scanned_batch: list[str]
) -> None:
    """A file that kills the process reading it (here: ``kill -9`` while it runs Tesseract) is one failure."""
    killed: list[int] = []
    stop = threading.Event()

    def kill_the_ocr_reader() -> None:
        while not stop.is_set() and not killed:
            for process in psutil.Process().children(recursive=True):
                try:
                    if process.name().startswith("tesseract"):
                        reader = process.parent()
                        assert reader is not None
                        reader.kill()
                        killed.append(reader.pid)
                        return
                except psutil.Error:
                    continue
            time.sleep(0.05)

    watcher = threading.Thread(target=kill_the_ocr_reader, daemon=True)
    watcher.start()
    engine = make_engine(new_database())
    try:
        summary = ingest_files(engine, scanned_batch, scheduler="local:1")
    finally:
        stop.set()
        watcher.join()
    assert killed, "Tesseract never ran"
    assert summary.ingested == 2
    [(path, error_class, message)] = _failures(engine)
    assert (path, error_class) == (str(SCANNED), "WorkerKilled")
    assert "signal 9" in message


@pytest.fixture
def remote_cluster() -> Iterator[str]:
    """A scheduler and a worker started the way an operator would (``dask scheduler``, ``dask worker``)."""
    dask = Path(sys.executable).with_name("dask")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}  # the README's recipe for workers
    common = ["--host", "127.0.0.1", "--no-dashboard"]
    scheduler = subprocess.Popen([dask, "scheduler", "--port", str(port), *common], env=env, stderr=subprocess.DEVNULL)
    worker = subprocess.Popen(
        [dask, "worker", address, "--nworkers", "1", "--nthreads", "1", *common], env=env, stderr=subprocess.DEVNULL
    )
    try:
        yield address
    finally:
        for process in (worker, scheduler):
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()


def test_dask_remote_scheduler_from_the_command_line(
    new_database: Callable[[], str], inputs: list[Path], reference: Stored, remote_cluster: str
) -> None:
    """``kehoach ingest … --scheduler tcp://HOST:PORT`` (here through ``KEHOACH_SCHEDULER``) on a running cluster."""
    url = new_database()
    env = {**os.environ, "KEHOACH_SCHEDULER": remote_cluster}
    command = [sys.executable, "-m", "kehoach", "ingest", *map(str, inputs), "--db", url, "--no-progress"]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    engine = make_engine(url)
    assert snapshot(engine) == reference.rows
    with engine.connect() as connection:
        args = connection.execute(text("SELECT args FROM ingest_runs")).scalar_one()
    assert (args["scheduler"], args["writes"]) == (remote_cluster, "workers")


def test_dask_ctrl_c_stops_between_documents(
    new_database: Callable[[], str], inputs: list[Path], reference: Stored
) -> None:
    """Ctrl-C (SIGINT to the whole process group, as a terminal sends it): no new document, the run says so."""
    url = new_database()
    engine = make_engine(url)
    command = [sys.executable, "-m", "kehoach", "ingest", *map(str, inputs), "--db", url, "--scheduler", "local:2"]
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and process.poll() is None:
            with engine.connect() as connection:
                exists = connection.execute(text("SELECT to_regclass('documents') IS NOT NULL")).scalar_one()
            if exists and _documents(engine) >= 2:
                break
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGINT)
        _, stderr = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 130, stderr.decode()[-2000:]
    assert "recorded as interrupted" in stderr.decode()
    assert "Traceback" not in stderr.decode()  # the workers leave Ctrl-C to the batch
    stored = shares(engine)
    assert 2 <= len(stored) < len(inputs)
    assert all(counts == reference.shares[sha] for sha, counts in stored.items())  # each document whole
    with engine.connect() as connection:
        assert connection.execute(text("SELECT status FROM ingest_runs")).scalar_one() == "interrupted"


@pytest.mark.parametrize("writes", ["workers", "client"])
def test_dask_remote_url_is_fetched_by_the_worker(
    new_database: Callable[[], str], tmp_path: Path, inputs: list[Path], writes: str
) -> None:
    """A URL the readers cannot open (here a chained ``simplecache::file://`` one, as ``s3://`` would be) is
    copied to the worker's local disk, hashed and read from there, and stored under its URL."""
    from kehoach.pipeline.dask_pool import ingest_distributed

    for path in inputs[:2]:
        shutil.copy(path, tmp_path / path.name)
    folder = f"simplecache::{tmp_path.resolve().as_uri()}"
    engine = make_engine(new_database())
    summary = ingest_distributed(engine, [folder], scheduler="local:1", writes=writes)
    assert (summary.files, summary.ingested, summary.failed) == (2, 2, 0), summary.failures
    with engine.connect() as connection:
        paths = sorted(connection.execute(text("SELECT source_path FROM documents")).scalars())
        shas = set(connection.execute(text("SELECT sha256 FROM documents")).scalars())
    assert paths == sorted(f"simplecache::{(tmp_path / p.name).resolve().as_uri()}" for p in inputs[:2])
    from kehoach.pipeline.run import sha256_of

    assert shas == {sha256_of(path) for path in inputs[:2]}


def test_dask_file_whose_workers_keep_dying_is_recorded_not_retried_for_ever(
    new_database: Callable[[], str], scanned_batch: list[str], long_scan: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every worker that takes the (long) scan is killed: after allowed-failures deaths it is a failure row."""
    from kehoach.pipeline import dask_pool

    batches: list[dask_pool._Batch] = []
    original = dask_pool._Batch.run

    def run(self: dask_pool._Batch, sources: list[str]) -> None:
        batches.append(self)  # the watcher looks up which task holds the scan
        original(self, sources)

    monkeypatch.setattr(dask_pool._Batch, "run", run)
    done: list[int] = [0]
    kills: list[int] = []
    stop = threading.Event()

    def kill_whoever_holds_the_scan() -> None:
        while not stop.is_set():
            time.sleep(0.1)
            if not batches or done[0] < len(scanned_batch) - 1:
                continue  # the small files first, so that no other file shares a dying worker
            held = {key for key, (_, sources) in list(batches[0].kind.items()) if str(long_scan) in sources}
            client = batches[0].client
            with contextlib.suppress(Exception):  # the batch may end (and its client close) meanwhile
                for worker, keys in client.processing().items():
                    if held & {str(key) for key in keys}:
                        os.kill(client.run(os.getpid, workers=[worker])[worker], signal.SIGKILL)
                        kills.append(1)
                        time.sleep(1.0)

    watcher = threading.Thread(target=kill_whoever_holds_the_scan, daemon=True)
    watcher.start()
    engine = make_engine(new_database())
    batch = [str(long_scan), *scanned_batch[1:]]
    try:
        summary = ingest_files(engine, batch, scheduler="local:2", on_progress=lambda d, _: done.__setitem__(0, d))
    finally:
        stop.set()
        watcher.join()
    assert summary.ingested == 2
    [(path, error_class, message)] = _failures(engine)
    assert (path, error_class) == (str(long_scan), "WorkerCrashed")
    assert "allowed-failures" in message
    assert len(kills) == dask_pool.ALLOWED_FAILURES + 1
