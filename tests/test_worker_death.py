"""A batch survives its workers (issue 10, item 1): a killed or overrunning worker costs one file.

The workers are real processes of the real pool; they are killed from outside with SIGKILL, which
is what the out-of-memory killer sends.  The file that is held is known because it is the only one
that runs Tesseract: the scanned PDF of the corpus, read by OCR page by page.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
from kehoach.pipeline import pool
from kehoach.pipeline.limits import Limits

CORPUS = Path(__file__).parent / "corpus"
SCANNED = CORPUS / "dev-bin" / "003_3286ee62c434ea9b.scanned.pdf"
TEXTS = sorted((CORPUS / "dev").glob("*.txt"))

needs_ocr = pytest.mark.skipif(shutil.which("tesseract") is None, reason="needs Tesseract to hold a worker busy")


def _batch(tmp_path: Path) -> list[str]:
    """The scanned PDF and the dev texts, copied so that every file is this test's own."""
    paths = [shutil.copy(SCANNED, tmp_path / SCANNED.name)]
    paths += [shutil.copy(text, tmp_path / text.name) for text in TEXTS]
    return [str(path) for path in paths]


def _workers() -> list[psutil.Process]:
    """This process's pool workers: the fork server's children (the fork server is a child of ours)."""
    me = os.getpid()
    return [child for child in psutil.Process(me).children(recursive=True) if child.ppid() != me]


def _kill_the_ocr_worker(killed: list[int], stop: threading.Event) -> None:
    """SIGKILL the worker that runs Tesseract (it holds the scanned PDF), once."""
    while not stop.is_set():
        for worker in _workers():
            try:
                if any("tesseract" in child.name() for child in worker.children()):
                    worker.send_signal(signal.SIGKILL)
                    killed.append(worker.pid)
                    return
            except psutil.Error:
                continue
        time.sleep(0.02)


@needs_ocr
def test_worker_death_costs_one_document_and_the_batch_goes_on(tmp_path: Path) -> None:
    paths = _batch(tmp_path)
    killed: list[int] = []
    stop = threading.Event()
    killer = threading.Thread(target=_kill_the_ocr_worker, args=(killed, stop), daemon=True)
    killer.start()
    try:
        results = list(pool._extract_in_pool(paths, 2, Limits()))
    finally:
        stop.set()
        killer.join(5)
    assert killed, "no worker ran Tesseract"
    assert sorted(path for path, *_ in results) == sorted(paths)  # every file once
    failed = [(path, error, message) for path, extraction, error, message in results if extraction is None]
    scanned = paths[0]
    assert failed == [
        (
            scanned,
            "WorkerKilled",
            f"worker killed by signal 9 (SIGKILL) (the out-of-memory killer sends it, as does kill -9) "
            f"while reading {scanned}",
        )
    ]
    assert killed[0] not in {worker.pid for worker in _workers()}


@needs_ocr
def test_worker_time_limit_is_enforced_by_the_pool(tmp_path: Path) -> None:
    """A 10-page scan takes many seconds of OCR; with ``max_seconds=2`` it fails alone, small texts are read."""
    import pypdfium2 as pdfium

    scan = pdfium.PdfDocument.new()
    source = pdfium.PdfDocument(str(SCANNED))
    for _ in range(5):
        scan.import_pages(source)
    long_scan = tmp_path / "scan-10-pages.pdf"
    scan.save(str(long_scan))
    texts = sorted(_batch(tmp_path)[1:], key=lambda p: Path(p).stat().st_size)[:5]
    paths = [str(long_scan), *texts]
    began = time.monotonic()
    results = list(pool._extract_in_pool(paths, 2, Limits(max_seconds=2.0)))
    assert time.monotonic() - began < 60
    failed = {path: (error, message) for path, extraction, error, message in results if extraction is None}
    assert failed == {paths[0]: ("TimeLimitExceeded", "stopped after 2 s, the time limit for one file (--max-seconds)")}
    assert len(results) == len(paths)


def test_worker_describe_death() -> None:
    assert pool.describe_death(-11, "a.pdf") == "worker killed by signal 11 (SIGSEGV) while reading a.pdf"
    assert pool.describe_death(3, "a.pdf") == "worker exited with code 3 while reading a.pdf"


def test_worker_processes_die_with_a_killed_parent(tmp_path: Path) -> None:
    """``kill -9`` of ``ingest``: its fork server and workers are gone within seconds, none is orphaned."""
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    for copy in range(6):  # distinct bytes, so that nothing is skipped as unchanged
        for text in TEXTS:
            (inputs / f"{copy}-{text.name}").write_bytes(text.read_bytes() + b"\n" * (copy + 1))
    command = [sys.executable, "-m", "kehoach", "ingest", str(inputs), "--db", str(tmp_path / "k.db")]
    parent = subprocess.Popen([*command, "--workers", "2", "--no-progress"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        workers: list[psutil.Process] = []
        while time.monotonic() < deadline and len(workers) < 2:
            time.sleep(0.1)
            workers = [p for p in psutil.Process(parent.pid).children(recursive=True) if p.ppid() != parent.pid]
        assert len(workers) >= 2, "the pool did not start"
        descendants = psutil.Process(parent.pid).children(recursive=True)
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        _, alive = psutil.wait_procs(descendants, timeout=10)
        assert not alive, [(p.pid, p.cmdline()[:3]) for p in alive]
    finally:
        if parent.poll() is None:
            parent.kill()


def test_worker_memory_cap_fails_one_file_in_the_pool(tmp_path: Path) -> None:
    """A worker capped at 40 MB above its start: the 8 MB plan fails with the limit named, the small texts are read."""
    plan = tmp_path / "big.txt"
    plan.write_bytes(max(TEXTS, key=lambda p: p.stat().st_size).read_bytes() * 40)
    small = [shutil.copy(text, tmp_path / text.name) for text in sorted(TEXTS, key=lambda p: p.stat().st_size)[:3]]
    paths = [str(plan), *map(str, small)]
    results = list(pool._extract_in_pool(paths, 2, Limits(max_memory=40 << 20)))
    failed = {path: (error, message) for path, extraction, error, message in results if extraction is None}
    assert failed == {
        str(plan): ("MemoryLimitExceeded", "needed more than 40 MB of memory, the limit for one file (--max-memory)")
    }
    assert len(results) == 4
