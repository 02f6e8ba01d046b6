"""The ingest batch: files in, one database transaction per document out.

The parent process hashes every file first and skips bytes already stored,
so re-running a batch costs one read per file.  Extraction (the slow, CPU
bound part: PDF parsing, OCR, matching) runs in worker processes forked
from a server that imported the readers and extractors once, the largest
files first; they share the CPUs with their own OCR.  The parent alone
writes to the database, one transaction per document, as results arrive,
after one schema check and one lookup of the stored hashes for the run.  At most a few
extractions are in flight at a time and workers are recycled, so memory
stays flat over thousands of files.  A file that fails becomes an
``ingest_errors`` row and the batch goes on.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from kehoach.models import schema
from kehoach.models.document import Extraction
from kehoach.pipeline.db import session_scope, upgrade
from kehoach.pipeline.errors import KehoachError
from kehoach.pipeline.store import Outcome, canonical_path, find_document, store_extraction
from sqlalchemy import Engine, select
from sqlalchemy.exc import DBAPIError, IntegrityError

TASKS_PER_WORKER = 200
"""Documents a worker extracts before it is replaced: caps what a slow leak in a parser can grow to."""
DOCUMENTS_PER_AUTO_WORKER = 16
"""Without ``--workers``, one worker process per this many documents to extract (up to the CPU count):
below that, starting the fork server and the workers costs more than it saves (12 text-layer PDFs on
2 cores: 3.5 s in-process, 3.8 s with two workers)."""
STORE_ATTEMPTS = 4
"""A document write that loses a race (deadlock, duplicate from a concurrent run) is retried this often."""
_RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock detected


@dataclass
class Failure:
    path: str
    sha256: str | None
    error_class: str
    message: str


@dataclass
class BatchSummary:
    run_id: int
    files: int = 0
    ingested: int = 0
    unchanged: int = 0
    replaced: int = 0
    failures: list[Failure] = field(default_factory=list)
    seconds: float = 0.0
    pages: int = 0

    @property
    def failed(self) -> int:
        return len(self.failures)

    def count(self, outcome: Outcome) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)


# --------------------------------------------------------------------------- worker side


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


# --------------------------------------------------------------------------- parent side


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


HASH_LOOKUP_CHUNK = 500
"""Hashes per ``IN (…)`` lookup: well under SQLite's 999-parameter limit of old builds."""


def stored_hashes(engine: Engine, hashes: list[str]) -> set[str]:
    """Which of ``hashes`` the database already holds, in one transaction for the whole batch.

    One lookup per file used to open one transaction each (on SQLite a ``BEGIN IMMEDIATE``, the write
    lock), before any extraction could start.
    """
    found: set[str] = set()
    with session_scope(engine) as session:
        for start in range(0, len(hashes), HASH_LOOKUP_CHUNK):
            chunk = hashes[start : start + HASH_LOOKUP_CHUNK]
            found.update(session.scalars(select(schema.Document.sha256).where(schema.Document.sha256.in_(chunk))))
    return found


def _retryable(exc: DBAPIError) -> bool:
    sqlstate = getattr(exc.orig, "sqlstate", None)
    return sqlstate in _RETRYABLE_SQLSTATES or "database is locked" in str(exc.orig)


def store(engine: Engine, extraction: Extraction, source_path: str) -> Outcome:
    """Write one extraction in one transaction, retrying races with concurrent runs."""
    for attempt in range(STORE_ATTEMPTS):
        try:
            with session_scope(engine) as session:
                return store_extraction(session, extraction, source_path=source_path).outcome
        except IntegrityError:
            with session_scope(engine) as session:
                if find_document(session, extraction.source.sha256) is not None:
                    return "unchanged"  # a concurrent run stored the same bytes first
            if attempt == STORE_ATTEMPTS - 1:
                raise
        except DBAPIError as exc:
            if not _retryable(exc) or attempt == STORE_ATTEMPTS - 1:
                raise
        time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def record_error(engine: Engine, run_id: int, failure: Failure) -> None:
    with session_scope(engine) as session:
        session.add(
            schema.IngestErrorRow(
                run_id=run_id,
                path=failure.path,
                sha256=failure.sha256,
                error_class=failure.error_class,
                message=failure.message[:4000],
                created_at=datetime.now(UTC),
            )
        )


def start_run(engine: Engine, args: dict) -> int:
    from kehoach.extractors.extract import pipeline_version

    with session_scope(engine) as session:
        run = schema.IngestRun(started_at=datetime.now(UTC), args=args, pipeline_version=pipeline_version())
        session.add(run)
        session.flush()
        return run.id


def finish_run(engine: Engine, summary: BatchSummary) -> None:
    with session_scope(engine) as session:
        run = session.get(schema.IngestRun, summary.run_id)
        assert run is not None
        run.finished_at = datetime.now(UTC)
        run.files = summary.files
        run.ingested = summary.ingested
        run.unchanged = summary.unchanged
        run.replaced = summary.replaced
        run.failed = summary.failed


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
    "kehoach.pipeline.run",
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


def ingest_files(
    engine: Engine,
    files: Iterable[Path],
    *,
    workers: int | None = None,
    args: dict | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    unreadable: Iterable[tuple[Path, str]] = (),
) -> BatchSummary:
    """Ingest ``files`` into the database behind ``engine`` (schema upgraded first).

    ``unreadable`` (folder, reason) pairs from the walk become failures too, so a folder left out is a row.
    """
    began = time.perf_counter()
    files = list(files)
    upgrade(engine)
    run_args = {"db": engine.url.render_as_string(hide_password=True), "workers": workers or "auto"}
    summary = BatchSummary(run_id=start_run(engine, {**run_args, **(args or {})}), files=len(files))
    done = 0

    def advance() -> None:
        nonlocal done
        done += 1
        if on_progress:
            on_progress(done, len(files))

    def fail(path: str, sha256: str | None, error_class: str, message: str) -> None:
        failure = Failure(path, sha256, error_class, message)
        summary.failures.append(failure)
        record_error(engine, summary.run_id, failure)

    for folder, reason in unreadable:
        fail(str(folder), None, "IngestError", reason)

    to_extract: list[str] = []
    hashes: dict[str, str] = {}
    queued: set[str] = set()
    hashed: list[tuple[str, str]] = []
    for path in files:
        key = canonical_path(path)
        try:
            hashed.append((key, sha256_of(path)))
        except OSError as exc:
            fail(key, None, "IngestError", f"cannot be read ({exc.strerror})")
            advance()
    stored = stored_hashes(engine, [sha256 for _, sha256 in hashed])
    for key, sha256 in hashed:
        if sha256 in stored or sha256 in queued:
            summary.unchanged += 1
            advance()
            continue
        queued.add(sha256)
        hashes[key] = sha256
        to_extract.append(key)

    workers = worker_count(workers, len(to_extract))
    results = _extract_in_process(to_extract) if workers <= 1 else _extract_in_pool(to_extract, workers)
    for path, extraction, error_class, message in results:
        if extraction is None:
            fail(path, hashes.get(path), error_class or "Error", message or "")
        else:
            try:
                summary.count(store(engine, extraction, path))
                summary.pages += extraction.source.pages or 0
            except Exception as exc:  # noqa: BLE001 - the document is rolled back; the batch goes on
                fail(path, extraction.source.sha256, type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "")
        advance()
    summary.seconds = time.perf_counter() - began
    finish_run(engine, summary)
    return summary
