"""Where extraction runs: in this process, or in a pool of worker processes.

Extraction (the slow, CPU-bound part: PDF parsing, OCR, matching) runs in
worker processes forked from a server that imported the readers and
extractors once, the largest files first; they share the CPUs with their own
OCR.  Results come back in completion order with at most a few extractions in
flight, and workers are recycled, so memory stays flat over thousands of
files.  The parent (``kehoach.pipeline.run``) alone writes to the database.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from kehoach.models.document import Extraction
from kehoach.pipeline.errors import KehoachError

TASKS_PER_WORKER = 200
"""Documents a worker extracts before it is replaced: caps what a slow leak in a parser can grow to."""
DOCUMENTS_PER_AUTO_WORKER = 16
"""Without ``--workers``, one worker process per this many documents to extract (up to the CPU count):
below that, starting the fork server and the workers costs more than it saves (12 text-layer PDFs on
2 cores: 3.5 s in-process, 3.8 s with two workers)."""
OCR_PROCESSES_VARIABLE = "KEHOACH_OCR_WORKERS"
"""``pipeline.ingest.ocr_pool.WORKERS_VARIABLE``: Tesseract processes one document may run at a time."""


def ocr_processes_per_worker(workers: int) -> int:
    """The share of the CPUs one of ``workers`` extraction processes gives to its OCR.

    The OCR of a scan runs a Tesseract process per page up to the CPU count; in each of two workers
    on two cores that made four Tesseracts fighting for two cores, besides the workers' own reading
    (measured: an OCR-heavy batch ran no faster with two workers than with one).
    """
    return max(1, (os.cpu_count() or 1) // max(1, workers))


def init_worker(ocr_processes: int | None = None) -> None:
    """Import the extractors and compile their rule tables once per worker process, not once per document.

    ``ocr_processes`` caps this worker's Tesseract processes (see :func:`ocr_processes_per_worker`)
    unless the user set ``KEHOACH_OCR_WORKERS`` themselves.

    Extraction matches on characters and needs no spaCy Doc, so the NLP models
    are not loaded here (a worker used to spend ~150 MB and seconds on them).
    Never raises: an initializer that fails breaks the whole process pool, so
    a problem is left to fail (and be reported) per document.
    """
    if ocr_processes is not None:
        os.environ.setdefault(OCR_PROCESSES_VARIABLE, str(ocr_processes))
    try:
        from kehoach.extractors.agencies import find_mentions

        find_mentions("Sở Xây dựng")  # compiles the grammar and registry patterns
    except Exception:  # noqa: BLE001, S110 - see docstring
        pass


WorkResult = tuple[str, Extraction | None, str | None, str | None]
"""(path, extraction, error class, error message): exactly one of extraction / error is set."""


def extract_file(path: str) -> WorkResult:
    """Read and extract one file; never raises (a worker must not die on a bad document)."""
    from kehoach.extractors.extract import extract
    from kehoach.pipeline.ingest import read_document

    try:
        return path, extract(read_document(path)), None, None
    except KehoachError as exc:
        return path, None, type(exc).__name__, getattr(exc, "reason", None) or str(exc)
    except Exception as exc:  # noqa: BLE001 - reported as an ingest_errors row, batch goes on
        return path, None, type(exc).__name__, str(exc) or repr(exc)


def worker_count(requested: int | None, documents: int) -> int:
    """Processes to extract ``documents`` with: never more than the documents, and by default only as
    many as pay back their start-up (the fork server imports the readers and extractors, ~0.5 s)."""
    if requested is not None:
        return max(1, min(requested, documents))
    return max(1, min(os.cpu_count() or 1, documents // DOCUMENTS_PER_AUTO_WORKER))


def _extract_in_process(paths: list[str]) -> Iterator[WorkResult]:
    init_worker()
    for path in paths:
        yield extract_file(path)


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

    ``max_tasks_per_child`` rules out plain fork, and Python then spawns each worker: a fresh interpreter
    importing everything again (~0.5 s CPU a worker, paid again at every recycling).  A fork server pays
    the imports once per run, and its forked children share those pages copy-on-write.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(WORKER_PRELOAD)
    return context


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0  # reported when the worker reads it


def _extract_in_pool(paths: list[str], workers: int) -> Iterator[WorkResult]:
    """Results in completion order, with at most ``2 × workers`` extractions held at once.

    A worker that dies (segfault, out of memory) breaks the pool: the files
    in flight are retried once in a fresh pool, then reported as failures.

    The largest files go first (longest job first): a 60-page PDF left for the end of a batch kept one
    worker busy while the others had nothing left to do.  Results are stored as they arrive in any case.
    """
    queue = sorted(paths, key=_size)  # popped from the end: largest first
    attempts: dict[str, int] = {}
    window = 2 * workers
    while queue:
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=_pool_context(),
            initializer=init_worker,
            initargs=(ocr_processes_per_worker(workers),),
            max_tasks_per_child=TASKS_PER_WORKER,
        ) as pool:
            pending: dict[Future[WorkResult], str] = {}
            broken = False
            while (queue or pending) and not broken:
                while queue and len(pending) < window:
                    path = queue.pop()
                    pending[pool.submit(extract_file, path)] = path
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    path = pending.pop(future)
                    try:
                        yield future.result()
                    except BrokenProcessPool:
                        broken = True
                        attempts[path] = attempts.get(path, 0) + 1
                        if attempts[path] > 1:
                            yield path, None, "WorkerCrashed", "the extraction process died on this file"
                        else:
                            queue.append(path)
            if broken:
                for future, path in pending.items():
                    future.cancel()
                    queue.append(path)


def extraction_results(paths: list[str], workers: int | None) -> Iterator[WorkResult]:
    """Every path's :data:`WorkResult`, in completion order, from as many processes as pay off."""
    count = worker_count(workers, len(paths))
    return _extract_in_process(paths) if count <= 1 else _extract_in_pool(paths, count)
