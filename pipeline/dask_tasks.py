"""What a Dask worker runs for ``ingest --scheduler``: hash a source, read and extract it.

Sources are local paths on storage every worker mounts, or fsspec URLs
(``file://``, ``s3://…``, ``gs://…``); the worker that extracts a file
opens it itself, so no document's bytes pass through the client.

A worker keeps one extraction process of its own (:class:`_Reader`, forked
from a server that imported the readers and extractors; replaced after 200
files), not one per task, and runs each document there under a time limit:
a file that hangs is stopped at the limit and a file that crashes the process
(segfault, out of memory) costs that process only.  Both come back as a
failure for that one file, on the first attempt, instead of killing the Dask
worker, which Dask would count against every task it held and retry.
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import os
import pickle
import signal
import tempfile
import threading
from multiprocessing import connection as mp_connection
from pathlib import Path, PurePosixPath

from distributed import WorkerPlugin
from kehoach.pipeline.dask_pool import PLUGIN_NAME, is_url
from kehoach.pipeline.errors import IngestError
from kehoach.pipeline.limits import DEFAULT_LIMITS, Limits, check_readable, display_path, time_message
from kehoach.pipeline.pool import WORKER_PRELOAD, WorkResult, extract_file, init_worker
from kehoach.pipeline.supervisor import TASKS_PER_WORKER, describe_death, stop_worker, worker_main
from sqlalchemy import Engine


def is_remote(source: str) -> bool:
    """A URL that must be copied to a local file for the readers (not a path, not ``file://``)."""
    return is_url(source) and not source.startswith("file://")


def hash_source(
    source: str, limits: Limits = DEFAULT_LIMITS, copy_to: str | None = None
) -> tuple[str, str | None, str | None, str | None]:
    """(source, sha256, None, None), or (source, None, error class, reason) when it may not or cannot be
    read; runs on a worker.  A local path is checked first (a FIFO or ``/dev/zero`` would block the read).
    ``copy_to`` keeps the bytes read in that local file, so a remote document is fetched once."""
    import fsspec

    digest = hashlib.sha256()
    try:
        if not is_remote(source):
            check_readable(Path(source.removeprefix("file://")), limits)
        with fsspec.open(source, "rb") as handle, contextlib.ExitStack() as stack:
            copy = stack.enter_context(open(copy_to, "wb")) if copy_to else None  # noqa: SIM115 - closed by the stack
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
                if copy is not None:
                    copy.write(chunk)
    except IngestError as exc:
        return source, None, type(exc).__name__, exc.reason
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        return source, None, "IngestError", f"cannot be read ({reason})"
    return source, digest.hexdigest(), None, None


def local_name(source: str, folder: str) -> str:
    """Where a remote ``source`` is copied in ``folder``: its suffix kept (readers do not need it, users do)."""
    return os.path.join(folder, "document" + PurePosixPath(source.split("?", 1)[0]).suffix)


def _extract_in_child(item: str | tuple[str, str], limits: Limits = DEFAULT_LIMITS) -> WorkResult:
    """Runs in the extraction process.  ``item`` is a path or URL, or (URL, local copy of it): a remote
    URL given alone is copied to a local temporary file first, since the readers open local files."""
    source, local = item if isinstance(item, tuple) else (item, None)
    if local is None and not is_remote(source):
        _, extraction, error_class, message = extract_file(source.removeprefix("file://"), limits)
        return source, extraction, error_class, message
    with tempfile.TemporaryDirectory(prefix="kehoach-dask-") as folder:
        if local is None:
            local = local_name(source, folder)
            _, sha256, error_class, reason = hash_source(source, limits, copy_to=local)
            if sha256 is None:
                return source, None, error_class, reason
        _, extraction, error_class, message = extract_file(local, limits)
    if extraction is not None:
        extraction.source.path = source
    return source, extraction, error_class, message


Stored = tuple[str, str | None, int, str | None, str | None, str | None]
"""(source, outcome or None, PDF pages, sha256, error class, message) of one file, extracted and written."""


def store_result(engine: Engine, result: WorkResult, *, reextract: bool = False) -> Stored:
    """Write one :data:`WorkResult` (one transaction, ``run.store``; ``reextract``: rewrite the stored
    bytes' rows); never raises: a failure is returned."""
    from kehoach.pipeline.run import store

    source, extraction, error_class, message = result
    if extraction is None:
        return source, None, 0, None, error_class, message
    sha256 = extraction.source.sha256
    try:
        outcome = store(engine, extraction, display_path(source), reextract=reextract)
    except Exception as exc:  # noqa: BLE001 - the document is rolled back; the batch goes on
        return source, None, 0, sha256, type(exc).__name__, str(exc).splitlines()[0] if str(exc) else ""
    return source, outcome, extraction.source.pages or 0, sha256, None, None


_READY = ""
"""Sent to a new extraction process first: its answer says the extractors are loaded."""
START_SECONDS = 120


def _read(item: str | tuple[str, str], limits: Limits) -> WorkResult:
    """What the extraction process does with each message: answer :data:`_READY`, else extract."""
    return (item, None, None, None) if item == _READY else _extract_in_child(item, limits)


class _Reader:
    """One extraction process fed one file at a time over a pipe of its own (``supervisor.worker_main``).

    The Dask worker waits on the pipe and on the process's sentinel, with the time limit as timeout,
    so it tells a result from a death (``WorkerKilled``, with the signal) and from an overrun
    (``TimeLimitExceeded``: the process is killed); either way the next file gets a fresh process.
    """

    def __init__(self, context: multiprocessing.context.BaseContext, limits: Limits, initargs: tuple) -> None:
        self.context, self.limits, self.initargs = context, limits, initargs
        self.process: multiprocessing.process.BaseProcess | None = None
        self.conn: mp_connection.Connection | None = None
        self.done = 0

    def _start(self) -> None:
        """Start the process and wait until it has loaded the extractors: that is no document's time."""
        parent, child = self.context.Pipe(duplex=True)
        target = (child, init_worker, self.initargs, _read, (self.limits,))
        self.process = self.context.Process(target=worker_main, args=target, name="kehoach-reader", daemon=True)  # type: ignore[attr-defined]
        self.process.start()
        child.close()
        self.conn, self.done = parent, 0
        parent.send(_READY)
        if not parent.poll(START_SECONDS):
            self.stop(kill=True)
            raise RuntimeError(f"the extraction process did not start within {START_SECONDS} s")
        parent.recv()

    def stop(self, *, kill: bool = False) -> None:
        """Idempotent, and safe when the worker's plugin teardown races a task's own stop on another thread:
        the process and pipe are taken off the object before :func:`supervisor.stop_worker` waits on them."""
        process, conn = self.process, self.conn
        self.process = self.conn = None
        if process is not None and conn is not None:
            stop_worker(process, conn, kill=kill)

    def _receive(self) -> WorkResult | None:
        assert self.conn is not None
        try:
            return self.conn.recv() if self.conn.poll() else None
        except (EOFError, OSError, pickle.UnpicklingError, AttributeError, TypeError, ValueError):
            return None

    def extract(self, item: str | tuple[str, str]) -> WorkResult:
        """Extract a path or URL, or (URL, its local copy), in the process; a death or overrun is a failure."""
        source = item[0] if isinstance(item, tuple) else item
        if self.process is None or not self.process.is_alive():
            self.stop(kill=True)
            self._start()
        assert self.process is not None and self.conn is not None
        self.conn.send(item)
        ready = mp_connection.wait([self.conn, self.process.sentinel], timeout=self.limits.max_seconds)
        if not ready:
            self.stop(kill=True)
            assert self.limits.max_seconds is not None
            return source, None, "TimeLimitExceeded", time_message(self.limits.max_seconds)
        result = self._receive()
        if result is None:  # died before handing over a whole result
            self.process.join(5)
            exitcode = self.process.exitcode
            self.stop(kill=True)
            return source, None, "WorkerKilled", describe_death(exitcode, source)
        self.done += 1
        if self.done >= TASKS_PER_WORKER:  # caps what a slow leak in a parser can grow to
            self.stop()
        return result


class ExtractorPlugin(WorkerPlugin):
    """Dask worker plugin: one extraction process per worker, with the extractors loaded, for its lifetime.

    ``limits`` bound each document (``max_seconds`` is enforced here, by stopping the process);
    ``ocr_processes`` caps the Tesseract processes of one document (``None``: the worker's
    ``KEHOACH_OCR_WORKERS``, else its CPU count); ``database`` is the URL workers write to when they
    store their own results (:func:`ingest_source`), one engine per worker; ``own_workers``: the workers
    of a ``local:N`` cluster, which leave Ctrl-C to the batch.
    """

    name = PLUGIN_NAME

    def __init__(
        self,
        limits: Limits = DEFAULT_LIMITS,
        ocr_processes: int | None = None,
        database: str | None = None,
        *,
        own_workers: bool = False,
    ) -> None:
        self.limits = limits
        self.own_workers = own_workers
        self.ocr_processes = ocr_processes
        self.database = database
        self.reader: _Reader | None = None
        self.engine: Engine | None = None

    def setup(self, worker: object = None) -> None:
        """Connect to the database (when this worker writes) and prepare the extraction process (started
        at the first file; it dies with this worker).

        A daemonic worker (Dask's default for workers it did not start here) may have no children: it
        then extracts in its own thread, without the time limit (``DASK_DISTRIBUTED__WORKER__DAEMON=False``).
        """
        if self.own_workers and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a worker restarted by its nanny: Ctrl-C is the batch's
        if self.database:  # a worker that cannot reach the database says so now, not once per file
            from kehoach.pipeline.db import make_engine

            self.engine = make_engine(self.database)
            with self.engine.connect():
                pass
        if multiprocessing.current_process().daemon:
            return
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(WORKER_PRELOAD)
        self.reader = _Reader(context, self.limits, (self.ocr_processes, os.getpid()))

    def teardown(self, worker: object = None) -> None:
        if self.engine is not None:
            self.engine.dispose()
        if self.reader is not None:
            self.reader.stop()

    def extract(self, item: str | tuple[str, str]) -> WorkResult:
        return _extract_in_child(item, self.limits) if self.reader is None else self.reader.extract(item)


def extract_source(source: str, limits: Limits = DEFAULT_LIMITS) -> WorkResult:
    """Read and extract one source on this worker, in the plugin's extraction process; never raises."""
    from distributed import get_worker

    plugin = get_worker().plugins.get(PLUGIN_NAME)
    return plugin.extract(source) if plugin is not None else _extract_in_child(source, limits)


def ingest_source(source: str, limits: Limits = DEFAULT_LIMITS, force: bool = False) -> Stored:
    """Hash one source, and unless the database holds those bytes (extracted by this kehoach or a newer
    one, and no ``force``), extract and write it from this worker.

    One task per file when the workers write (PostgreSQL): the client then neither looks hashes up nor
    receives extractions, only this small tuple (outcome ``unchanged`` for stored bytes).
    """
    from distributed import get_worker
    from kehoach.extractors.extract import pipeline_version
    from kehoach.pipeline.db import make_engine
    from kehoach.pipeline.run import is_older, stored_versions

    plugin = get_worker().plugins[PLUGIN_NAME]
    if plugin.engine is None:
        plugin.engine = make_engine(plugin.database)
    with tempfile.TemporaryDirectory(prefix="kehoach-dask-") as folder:
        local = local_name(source, folder) if is_remote(source) else None  # fetched once, hashed and read here
        _, sha256, error_class, reason = hash_source(source, limits, copy_to=local)
        if sha256 is None:
            return source, None, 0, None, error_class, reason
        stored = stored_versions(plugin.engine, [sha256])
        if sha256 in stored and not (force or is_older(stored[sha256], pipeline_version())):
            return source, "unchanged", 0, sha256, None, None
        result = plugin.extract((source, local) if local else source)
    return store_result(plugin.engine, result, reextract=sha256 in stored)


def ingest_sources(sources: list[str], limits: Limits = DEFAULT_LIMITS, force: bool = False) -> list[Stored]:
    """:func:`ingest_source` for each of a few files, in one task (fewer tasks for the scheduler)."""
    return [ingest_source(source, limits, force) for source in sources]
