"""Where extraction runs: in this process, or in a pool of worker processes.

Extraction (the slow, CPU-bound part: PDF parsing, OCR, matching) runs in
worker processes forked from a server that imported the readers and
extractors once, the largest files first; they share the CPUs with their own
OCR.  Results come back in completion order with at most a few extractions in
flight, and workers are recycled, so memory stays flat over thousands of
files.  The parent (``kehoach.pipeline.run``) alone writes to the database.

A worker that dies (killed by a signal, the OOM killer, a segfault in a C
library) or overruns ``--max-seconds`` costs the one file it held: the
supervisor (:mod:`kehoach.pipeline.supervisor`, one pipe per worker) reports
that file as failed, starts a fresh worker and goes on.
``concurrent.futures.ProcessPoolExecutor`` could not: one dead worker broke
the whole pool and every file in flight with it.  Workers die with their
parent (``PR_SET_PDEATHSIG``), so a killed ``ingest`` leaves no orphans.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator

from kehoach.models.document import Extraction
from kehoach.pipeline.errors import KehoachError
from kehoach.pipeline.limits import (
    DEFAULT_LIMITS,
    Limits,
    memory_cap,
    memory_message,
    time_limit,
    time_message,
)
from kehoach.pipeline.supervisor import TASKS_PER_WORKER, Supervisor, describe_death  # noqa: F401 - re-exported

DOCUMENTS_PER_AUTO_WORKER = 16
"""Without ``--workers``, one worker process per this many documents to extract (up to the CPU count):
below that, starting the fork server and the workers costs more than it saves (12 text-layer PDFs on
2 cores: 3.5 s in-process, 3.8 s with two workers)."""
OCR_PROCESSES_VARIABLE = "KEHOACH_OCR_WORKERS"
"""``pipeline.ingest.ocr_pool.WORKERS_VARIABLE``: Tesseract processes one document may run at a time."""
_PR_SET_PDEATHSIG = 1
PARENT_WATCH_SECONDS = 1.0
"""How often a worker looks whether the process that started the batch is still there."""


def ocr_processes_per_worker(workers: int) -> int:
    """The share of the CPUs one of ``workers`` extraction processes gives to its OCR.

    The OCR of a scan runs a Tesseract process per page up to the CPU count; in each of two workers
    on two cores that made four Tesseracts fighting for two cores, besides the workers' own reading
    (measured: an OCR-heavy batch ran no faster with two workers than with one).
    """
    return max(1, (os.cpu_count() or 1) // max(1, workers))


def die_with_parent(batch_pid: int) -> None:
    """End this worker when the batch's process ends, however it ends (``kill -9`` included).

    A worker is a child of the fork server, which exits when the batch's process is gone; the kernel
    then sends the worker SIGKILL (``PR_SET_PDEATHSIG``).  A thread also checks that the batch's
    process exists, for the moment between fork and ``prctl`` and for systems without ``prctl``.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)

    def watch() -> None:
        while True:
            try:
                os.kill(batch_pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:
                pass  # exists, owned by someone else: cannot be ours, but never kill a worker on a guess
            time.sleep(PARENT_WATCH_SECONDS)

    threading.Thread(target=watch, name="kehoach-parent-watch", daemon=True).start()


def init_worker(ocr_processes: int | None = None, batch_pid: int | None = None) -> None:
    """Import the extractors and compile their rule tables once per worker process, not once per document.

    ``ocr_processes`` caps this worker's Tesseract processes (see :func:`ocr_processes_per_worker`)
    unless the user set ``KEHOACH_OCR_WORKERS`` themselves; ``batch_pid`` is the process whose death
    ends this worker (see :func:`die_with_parent`).

    Extraction matches on characters and needs no spaCy Doc, so the NLP models
    are not loaded here (a worker used to spend ~150 MB and seconds on them).
    Never raises: an initializer that fails breaks the whole process pool, so
    a problem is left to fail (and be reported) per document.
    """
    if batch_pid is not None:
        die_with_parent(batch_pid)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops the pool
    if ocr_processes is not None:
        os.environ.setdefault(OCR_PROCESSES_VARIABLE, str(ocr_processes))
    try:
        from kehoach.extractors.agencies import find_mentions

        find_mentions("Sở Xây dựng")  # compiles the grammar and registry patterns
    except Exception:  # noqa: BLE001, S110 - see docstring
        pass


WorkResult = tuple[str, Extraction | None, str | None, str | None]
"""(path, extraction, error class, error message): exactly one of extraction / error is set."""


def extract_file(path: str, limits: Limits = DEFAULT_LIMITS) -> WorkResult:
    """Read and extract one file within ``limits``; never raises (a worker must not die on a bad document)."""
    from kehoach.extractors.extract import extract
    from kehoach.pipeline.ingest import read_document

    try:
        with memory_cap(limits.max_memory), time_limit(path, limits.max_seconds):
            return path, extract(read_document(path, limits=limits)), None, None
    except KehoachError as exc:
        return path, None, type(exc).__name__, getattr(exc, "reason", None) or str(exc)
    except MemoryError:
        return path, None, "MemoryLimitExceeded", memory_message(limits)
    except RecursionError:
        return path, None, "RecursionError", "nested too deeply to be read (maximum recursion depth exceeded)"
    except Exception as exc:  # noqa: BLE001 - reported as an ingest_errors row, batch goes on
        return path, None, type(exc).__name__, str(exc) or repr(exc)


def worker_count(requested: int | None, documents: int) -> int:
    """Processes to extract ``documents`` with: never more than the documents, and by default only as
    many as pay back their start-up (the fork server imports the readers and extractors, ~0.5 s)."""
    if requested is not None:
        return max(1, min(requested, documents))
    return max(1, min(os.cpu_count() or 1, documents // DOCUMENTS_PER_AUTO_WORKER))


def _extract_in_process(paths: list[str], limits: Limits = DEFAULT_LIMITS) -> Iterator[WorkResult]:
    init_worker()
    for path in paths:
        yield extract_file(path, limits)


WORKER_PRELOAD = [
    "kehoach.pipeline.pool",
    "kehoach.extractors.extract",
    "kehoach.pipeline.ingest.pdf",
    "kehoach.pipeline.ingest.docx",
    "kehoach.pipeline.ingest.text",
]
"""Modules the fork server imports once, so that every worker forked from it starts with them loaded."""


def _pool_context() -> multiprocessing.context.BaseContext:
    """Workers forked from a fork server that has imported the readers and extractors.

    Forking the batch's own process would copy its database connections and threads into every worker,
    and spawning starts a fresh interpreter that imports everything again (~0.5 s CPU a worker, paid again
    at every recycling).  A fork server pays the imports once per run, and its forked children share those
    pages copy-on-write.  It also ends when the batch does, which is what ends the workers (see
    :func:`die_with_parent`).
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(WORKER_PRELOAD)
    return context


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0  # reported when the worker reads it


def _extract_in_pool(paths: list[str], workers: int, limits: Limits = DEFAULT_LIMITS) -> Iterator[WorkResult]:
    """Results in completion order from ``workers`` supervised processes (:mod:`kehoach.pipeline.supervisor`).

    The largest files go first (longest job first): a 60-page PDF left for the end of a batch kept one
    worker busy while the others had nothing left to do.  Results are stored as they arrive in any case.
    The supervisor enforces the time limit (it kills the worker and starts another); the worker itself
    keeps the memory cap, so a bomb fails with a message rather than through the OOM killer.
    """
    supervisor = Supervisor(
        _pool_context(),
        workers,
        extract_file,
        (limits,),
        initializer=init_worker,
        initargs=(ocr_processes_per_worker(workers), os.getpid()),
        max_seconds=limits.max_seconds,
        timeout_message=time_message,
    )
    return supervisor.run(sorted(paths, key=_size))  # taken from the end: largest first


def extraction_results(paths: list[str], workers: int | None, limits: Limits = DEFAULT_LIMITS) -> Iterator[WorkResult]:
    """Every path's :data:`WorkResult`, in completion order, from as many processes as pay off."""
    count = worker_count(workers, len(paths))
    return _extract_in_process(paths, limits) if count <= 1 else _extract_in_pool(paths, count, limits)
