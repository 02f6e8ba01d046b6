"""The ingest batch: files in, one database transaction per document out.

The parent process hashes every file first and skips bytes already stored,
so re-running a batch costs one read per file.  Extraction runs where
``kehoach.pipeline.pool`` puts it; the parent alone writes to the database,
one transaction per document, as results arrive, after one schema check and
one lookup of the stored hashes for the run.  A file that fails becomes an
``ingest_errors`` row and the batch goes on.

Stored bytes are extracted again when the kehoach that extracted them is older
than the running one (``documents.pipeline_version``), or always with
``force``: an upgrade reaches the database without the user deleting anything.

Ctrl-C (SIGINT) stops the batch between two documents: the document being
written commits or rolls back whole, no further one is started, the run row is
recorded as ``interrupted`` and :class:`BatchInterrupted` (a
``KeyboardInterrupt``) carries the summary to the caller (the CLI exits 130).
A second Ctrl-C interrupts at once; the open transaction then rolls back.
"""

from __future__ import annotations

import hashlib
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from kehoach.models import schema
from kehoach.models.document import Extraction
from kehoach.pipeline.db import session_scope, upgrade
from kehoach.pipeline.errors import IngestError
from kehoach.pipeline.limits import DEFAULT_LIMITS, Limits, check_readable, display_path
from kehoach.pipeline.pool import extraction_results
from kehoach.pipeline.store import Outcome, canonical_path, find_document, store_extraction
from sqlalchemy import Engine, select
from sqlalchemy.exc import DBAPIError, IntegrityError

STORE_ATTEMPTS = 4
"""A document write that loses a race (deadlock, duplicate from a concurrent run) is retried this often."""
_RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock detected
EXIT_INTERRUPTED = 130
"""Exit code of an ingest stopped by Ctrl-C: 128 + SIGINT, what a shell reports for a program it interrupted."""


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
    reextracted: int = 0
    failures: list[Failure] = field(default_factory=list)
    seconds: float = 0.0
    pages: int = 0
    interrupted: bool = False

    @property
    def failed(self) -> int:
        return len(self.failures)

    def count(self, outcome: Outcome) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)


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


def stored_versions(engine: Engine, hashes: list[str]) -> dict[str, str]:
    """The pipeline version each of ``hashes`` that the database holds was extracted with (one transaction)."""
    found: dict[str, str] = {}
    with session_scope(engine) as session:
        for start in range(0, len(hashes), HASH_LOOKUP_CHUNK):
            chunk = hashes[start : start + HASH_LOOKUP_CHUNK]
            rows = session.execute(
                select(schema.Document.sha256, schema.Document.pipeline_version).where(
                    schema.Document.sha256.in_(chunk)
                )
            )
            found.update({sha256: version or "" for sha256, version in rows})
    return found


def is_older(stored: str, running: str) -> bool:
    """Whether a document extracted by kehoach ``stored`` predates the running ``running`` (PEP 440 order).

    A version that does not parse counts as older unless it is the running one: extracting again is the
    safe side.
    """
    from packaging.version import InvalidVersion, Version

    if stored == running:
        return False
    try:
        return Version(stored) < Version(running)
    except InvalidVersion:
        return True


class BatchInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped the batch; ``summary`` says what was written before (the run row says interrupted)."""

    def __init__(self, summary: BatchSummary) -> None:
        super().__init__("interrupted")
        self.summary = summary


@contextmanager
def _stop_on_sigint() -> Iterator[threading.Event]:
    """An event set by the first Ctrl-C (the batch stops at the next document); a second one interrupts at once."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop  # signal handlers belong to the main thread; elsewhere Ctrl-C is the caller's business
        return

    def handler(signum: int, frame) -> None:  # noqa: ANN001 - a frame object
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        sys.stderr.write("\nkehoach: stopping after the document in hand (Ctrl-C again to stop at once)\n")

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)


def _retryable(exc: DBAPIError) -> bool:
    sqlstate = getattr(exc.orig, "sqlstate", None)
    return sqlstate in _RETRYABLE_SQLSTATES or "database is locked" in str(exc.orig)


def store(engine: Engine, extraction: Extraction, source_path: str, *, reextract: bool = False) -> Outcome:
    """Write one extraction in one transaction, retrying races with concurrent runs.

    The text's plan signature is computed first, outside the transaction: no lock waits for it.
    """
    from kehoach.pipeline.plans import signature

    text_signature = signature(extraction.content)
    for attempt in range(STORE_ATTEMPTS):
        try:
            with session_scope(engine) as session:
                return store_extraction(
                    session, extraction, source_path=source_path, reextract=reextract, signature=text_signature
                ).outcome
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
        run.reextracted = summary.reextracted
        run.failed = summary.failed
        run.status = "interrupted" if summary.interrupted else "finished"


def ingest_files(
    engine: Engine,
    files: Iterable[Path],
    *,
    workers: int | None = None,
    args: dict | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    unreadable: Iterable[tuple[Path, str]] = (),
    limits: Limits = DEFAULT_LIMITS,
    scheduler: str | None = None,
    force: bool = False,
) -> BatchSummary:
    """Ingest ``files`` into the database behind ``engine`` (schema upgraded first).

    Stored files extracted by an older kehoach are extracted again, every stored file with ``force``.
    Raises :class:`BatchInterrupted` after Ctrl-C, once the run row says so.

    ``unreadable`` (folder, reason) pairs from the walk become failures too, so a folder left out is a row.
    ``limits`` bound what one file may cost (see :mod:`kehoach.pipeline.limits`).
    ``scheduler`` (``tcp://HOST:PORT`` or ``local:N``) runs hashing and extraction on Dask workers instead.
    """
    if scheduler:  # files may then also be fsspec URLs; see kehoach.pipeline.dask_pool
        from kehoach.pipeline.dask_pool import ingest_distributed

        return ingest_distributed(engine, files, scheduler=scheduler, args=args, on_progress=on_progress,
                                  unreadable=unreadable, limits=limits, force=force)  # fmt: skip
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
        failure = Failure(display_path(path), sha256, error_class, message)  # a non-UTF-8 name is escaped
        summary.failures.append(failure)
        record_error(engine, summary.run_id, failure)

    with _stop_on_sigint() as stop:  # from here on, Ctrl-C ends the run as "interrupted", never mid-document
        try:
            for folder, reason in unreadable:
                fail(str(folder), None, "IngestError", reason)
            to_extract, again, hashes = _select(engine, summary, files, limits, force, stop, fail, advance)
            if not stop.is_set():
                _extract_and_store(engine, summary, to_extract, again, hashes, workers, limits, stop, fail, advance)
        except KeyboardInterrupt:  # a second Ctrl-C: the open transaction has rolled back
            summary.interrupted = True
        summary.interrupted = summary.interrupted or stop.is_set()
    summary.seconds = time.perf_counter() - began
    finish_run(engine, summary)
    if summary.interrupted:
        raise BatchInterrupted(summary)
    return summary


def _select(
    engine: Engine,
    summary: BatchSummary,
    files: list[Path],
    limits: Limits,
    force: bool,
    stop: threading.Event,
    fail: Callable[[str, str | None, str, str], None],
    advance: Callable[[], None],
) -> tuple[list[str], set[str], dict[str, str]]:
    """Hash every file and choose what to extract: (paths, the stored ones among them, their hashes).

    Bytes already stored count as unchanged, unless an older kehoach extracted them or ``force``.
    """
    from kehoach.extractors.extract import pipeline_version

    hashed: list[tuple[str, str]] = []
    for path in files:
        if stop.is_set():
            break
        key = canonical_path(path)
        try:
            check_readable(path, limits)  # a FIFO or /dev/zero must not hang the hashing either
            hashed.append((key, sha256_of(path)))
        except IngestError as exc:
            fail(key, None, type(exc).__name__, exc.reason)
            advance()
        except OSError as exc:
            fail(key, None, "IngestError", f"cannot be read ({exc.strerror})")
            advance()
    running = pipeline_version()
    stored = stored_versions(engine, [sha256 for _, sha256 in hashed])
    to_extract: list[str] = []
    again: set[str] = set()
    hashes: dict[str, str] = {}
    queued: set[str] = set()
    for key, sha256 in hashed:
        if sha256 in queued or (sha256 in stored and not (force or is_older(stored[sha256], running))):
            summary.unchanged += 1
            advance()
            continue
        if sha256 in stored:
            again.add(key)
        queued.add(sha256)
        hashes[key] = sha256
        to_extract.append(key)
    return to_extract, again, hashes


def _extract_and_store(
    engine: Engine,
    summary: BatchSummary,
    to_extract: list[str],
    again: set[str],
    hashes: dict[str, str],
    workers: int | None,
    limits: Limits,
    stop: threading.Event,
    fail: Callable[[str, str | None, str, str], None],
    advance: Callable[[], None],
) -> None:
    """Extract ``to_extract`` and store each result as it arrives, until done or ``stop`` is set."""
    results = extraction_results(to_extract, workers, limits)
    try:
        for path, extraction, error_class, message in results:
            if stop.is_set():
                break  # a Ctrl-C while this one was extracted: it is not written
            if extraction is None:
                fail(path, hashes.get(path), error_class or "Error", message or "")
            else:
                try:
                    summary.count(store(engine, extraction, display_path(path), reextract=path in again))
                    summary.pages += extraction.source.pages or 0
                except Exception as exc:  # noqa: BLE001 - the document is rolled back; the batch goes on
                    first_line = str(exc).splitlines()[0] if str(exc) else ""
                    fail(path, extraction.source.sha256, type(exc).__name__, first_line)
            advance()
            if stop.is_set():
                break
    finally:
        close = getattr(results, "close", None)
        if close is not None:
            close()  # stops the worker pool
