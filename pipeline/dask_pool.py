"""Batch ingest on a Dask cluster: ``kehoach ingest PATH… --scheduler tcp://HOST:8786`` (or ``local:N``).

The client never reads a document: it lists fsspec folders and keeps a
bounded number of tasks in flight (``as_completed``), so memory stays flat
however long the batch; the workers open the files
(:mod:`kehoach.pipeline.dask_tasks`).  Who writes the database:

- PostgreSQL: the workers.  A task (one file, or up to 8 while much of a
  long batch is left) hashes each file, skips it if those bytes are stored,
  else extracts it and writes it in one transaction through the same
  ``run.store()`` as a local run (idempotent on sha256, agencies upserted
  with ``ON CONFLICT``); a small outcome per file comes back.
- SQLite (one writer): the client.  A task hashes each file, the client
  looks the hashes up in chunks of 500, a second task extracts each new
  file, and the client stores the returned extraction.

Measured (README, "Scaling out with Dask"): a client that stores every
document spends ~50 ms of CPU on each, so it caps a cluster at ~20
documents/s whatever its size; with the workers writing the client spends
a few ms per file.  ``KEHOACH_DASK_WRITES=client|workers`` overrides.

Faults: a worker that dies mid-task (``kill -9``) is replaced by its nanny
and Dask runs the task again elsewhere; after ``ALLOWED_FAILURES`` such
deaths the file is recorded as failed instead of retried forever.  A file
that hangs or crashes the extraction is stopped by the worker's own
extraction process (a per-document time limit) and becomes one
``ingest_errors`` row.  A client killed mid-run leaves every document either
fully written or absent: the rerun skips the stored hashes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from kehoach.pipeline.errors import KehoachError
from kehoach.pipeline.limits import DEFAULT_LIMITS, Limits, display_path
from kehoach.pipeline.pool import ocr_processes_per_worker
from kehoach.pipeline.run import (
    HASH_LOOKUP_CHUNK,
    BatchInterrupted,
    BatchSummary,
    Failure,
    is_older,
    record_error,
    start_run,
    stored_versions,
)
from kehoach.pipeline.store import canonical_path
from sqlalchemy import Engine

SCHEDULER_VARIABLE = "KEHOACH_SCHEDULER"
WRITES_VARIABLE = "KEHOACH_DASK_WRITES"
PLUGIN_NAME = "kehoach-extractors"
ALLOWED_FAILURES = 2
"""Worker deaths a task may cause before its file is recorded as failed (Dask's ``allowed-failures``)."""
EXTRACTIONS_PER_WORKER = 2
"""Extraction tasks in flight per worker thread: one running, one queued, so no worker waits on the client."""
FILES_PER_TASK = 8
"""Most files one ``ingest`` task takes when the workers write: the scheduler's and the client's work per
file shrinks by as much (benchmarks/dask_scaling.py measures it); a worker killed mid-task costs a rerun of
the files it had not stored yet (those it had are found stored)."""
TASKS_AHEAD = 4
"""Tasks per worker thread that must remain before files are grouped: the end of a batch goes one by one."""
HASHES_PER_WORKER = 4
"""Hash tasks in flight per worker thread (cheap: one read of the file)."""
CAPACITY_SECONDS = 5.0
"""How often the client recounts the cluster's worker threads."""
CONNECT_SECONDS = 60
"""How long a ``local:N`` cluster may take to start its workers."""
DASK_SETTINGS = {
    # the worker's own extraction process (dask_tasks.ExtractorPlugin) needs a non-daemonic worker
    "distributed.worker.daemon": False,
    "distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
    # a worker killed mid-task is reported at once, not after the default 5-minute TTL
    "distributed.scheduler.worker-ttl": "60s",
}
"""Applied to a ``local:N`` cluster; a remote cluster's operator sets the same (README, "Scaling out")."""
_LOCAL = re.compile(r"^local:(\d+)$")
_REMOTE = re.compile(r"^(tcp|tls)://\S+$")


def is_url(source: str) -> bool:
    """An fsspec URL (``s3://``, ``file://``, …) rather than a plain path."""
    return "://" in source


class SchedulerError(KehoachError):
    """A ``--scheduler`` that is malformed or cannot be reached."""


def check_scheduler(spec: str) -> str:
    """``spec`` stripped, or :class:`SchedulerError` naming the two accepted forms."""
    spec = spec.strip()
    local = _LOCAL.match(spec)
    if (local and int(local.group(1)) >= 1) or _REMOTE.match(spec):
        return spec
    raise SchedulerError(f"--scheduler {spec!r}: expected tcp://HOST:PORT (a running Dask scheduler) or local:N")


def scheduler_problem(scheduler: str | None, urls: list[str]) -> str | None:
    """What is wrong with ``ingest``'s ``--scheduler`` and URL inputs, as one line, or None."""
    if not scheduler:
        return f"{urls[0]}: URLs are read by Dask workers: add --scheduler local:N or tcp://HOST:8786" if urls else None
    try:
        check_scheduler(scheduler)
    except SchedulerError as exc:
        return str(exc)
    return None


@contextlib.contextmanager
def _workers_ignore_sigint() -> Iterator[None]:
    """Start a LocalCluster's worker processes with Ctrl-C ignored (a spawned Python keeps an ignored SIGINT).

    A terminal sends Ctrl-C to the whole process group: the batch handles it (it stops between documents),
    and workers that died of it would only print their tracebacks.  The handler is back once they run.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def connect(spec: str, *, limits: Limits = DEFAULT_LIMITS, database: str | None = None) -> Iterator[object]:
    """A ``distributed.Client`` on ``spec`` whose workers carry the extraction plugin; closed on exit.

    ``database`` (a URL, password included) is given to the workers when they write their own results.

    ``local:N`` starts a LocalCluster of N single-threaded worker processes on 127.0.0.1 with no
    dashboard (the scheduler's HTTP health endpoint takes a free 127.0.0.1 port, not 8787): nothing
    listens beyond this machine, nothing is fetched.
    """
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise SchedulerError("--scheduler needs Dask: pip install 'kehoach[dask]'") from exc
    from kehoach.pipeline.dask_tasks import ExtractorPlugin

    spec = check_scheduler(spec)
    local = _LOCAL.match(spec)
    with dask.config.set(DASK_SETTINGS), contextlib.ExitStack() as stack:
        try:
            if local:
                workers = int(local.group(1))
                stack.enter_context(_workers_ignore_sigint())
                cluster = stack.enter_context(
                    LocalCluster(
                        n_workers=workers,
                        threads_per_worker=1,
                        processes=True,
                        host="127.0.0.1",
                        dashboard_address="127.0.0.1:0",
                        scheduler_kwargs={"dashboard": False},
                        silence_logs=logging.ERROR,
                    )
                )
                client = stack.enter_context(Client(cluster))
                ocr = ocr_processes_per_worker(workers)
            else:
                client = stack.enter_context(Client(spec))  # waits distributed.comm.timeouts.connect
                ocr = None
        except OSError as exc:  # includes asyncio/Dask connection timeouts
            raise SchedulerError(f"cannot reach the Dask scheduler at {spec} ({exc})") from exc
        plugin = ExtractorPlugin(limits, ocr, database, own_workers=bool(local))
        try:
            client.register_plugin(plugin, name=PLUGIN_NAME)
        except Exception as exc:  # noqa: BLE001 - e.g. the workers cannot reach the database
            first = str(exc).splitlines()[0] if str(exc) else ""
            raise SchedulerError(f"the Dask workers could not get ready: {type(exc).__name__}: {first}") from exc
        if local:
            client.wait_for_workers(int(local.group(1)), timeout=CONNECT_SECONDS)
        yield client


def expand_sources(sources: Iterable[str | Path]) -> tuple[list[str], list[tuple[str, str]]]:
    """(sources to ingest, (source, reason) of URLs that cannot be listed): an fsspec folder or glob
    becomes the document-like files under it, a local path its canonical form.

    Listing happens on the client (names only); the bytes are read by the workers.
    """
    from kehoach.pipeline.discover import is_candidate

    found: list[str] = []
    unreadable: list[tuple[str, str]] = []
    for raw in sources:
        source = str(raw)
        if not is_url(source):
            found.append(canonical_path(source))
            continue
        try:
            found.extend(_list_url(source, is_candidate))
        except (OSError, ValueError, ImportError) as exc:
            unreadable.append((source, f"cannot be listed ({type(exc).__name__}: {exc})"))
    return list(dict.fromkeys(found)), unreadable


def largest_first(sources: list[str]) -> list[str]:
    """Local files by decreasing size (longest job first, as the local pool does: a 60-page scan left for the
    end keeps one worker busy while the others idle); URLs, whose size the client does not ask, after them."""

    def size(source: str) -> int:
        if is_url(source):
            return -1
        try:
            return os.path.getsize(source)
        except OSError:
            return 0  # reported when a worker reads it

    return sorted(sources, key=size, reverse=True)


def _list_url(url: str, is_candidate: Callable[[Path], bool]) -> list[str]:
    import fsspec

    fs, path = fsspec.core.url_to_fs(url)
    if fs.isdir(path):
        names = [name for name in sorted(fs.find(path)) if is_candidate(Path(name))]
    elif any(char in path for char in "*?["):
        names = [name for name in sorted(fs.glob(path)) if fs.isfile(name) and is_candidate(Path(name))]
    else:
        return [url]  # one file, taken as named (its bytes decide what it is)
    chain = url[: url.rindex("::") + 2] if "::" in url else ""  # simplecache::s3://… stays chained
    return [chain + fs.unstrip_protocol(name) for name in names]


class _Batch:
    """The client's side of one distributed run: what is hashed, looked up, extracted, stored."""

    def __init__(
        self,
        engine: Engine,
        client: object,
        summary: BatchSummary,
        on_progress: Callable[[int, int], None] | None,
        limits: Limits,
        writes: str = "client",
        force: bool = False,
        stop: threading.Event | None = None,
    ) -> None:
        from distributed import as_completed

        self.engine, self.client, self.summary, self.limits, self.writes = engine, client, summary, limits, writes
        self.on_progress, self.done, self.force, self.stop = on_progress, 0, force, stop or threading.Event()
        self.threads, self.counted = 1, float("-inf")
        self.to_hash: deque[str] = deque()
        self.to_look_up: list[tuple[str, str]] = []
        self.to_extract: deque[str] = deque()
        self.sha256: dict[str, str] = {}  # of the files being extracted (freed as each is stored)
        self.queued: set[str] = set()
        self.again: set[str] = set()  # stored sources extracted again (older kehoach, or force)
        self.kind: dict[str, tuple[str, list[str]]] = {}  # future key -> ("hash" | "extract" | "ingest", files)
        self.futures: dict[str, object] = {}
        self.running = as_completed()

    def advance(self) -> None:
        self.done += 1
        if self.on_progress:
            self.on_progress(self.done, self.summary.files)

    def fail(self, path: str, sha256: str | None, error_class: str, message: str) -> None:
        failure = Failure(display_path(path), sha256, error_class, message)  # a non-UTF-8 name is escaped
        self.summary.failures.append(failure)
        record_error(self.engine, self.summary.run_id, failure)

    def run(self, sources: list[str]) -> None:
        # workers that write also hash and look up (one task per few files); else the client looks hashes up
        (self.to_extract if self.writes == "workers" else self.to_hash).extend(sources)
        self._top_up()
        while self.kind and not self.stop.is_set():
            future = next(self.running)
            kind, sources = self.kind.pop(future.key)
            del self.futures[future.key]
            if kind == "hash":
                self._hashed(future, sources[0])
            elif kind == "ingest":
                self._ingested(future, sources)
            else:
                self._extracted(future, sources[0])
            future.release()
            if not self.stop.is_set():
                self._top_up()
        left = self.kind or self.to_hash or self.to_look_up or self.to_extract
        if self.stop.is_set() and left:  # Ctrl-C: nothing new starts; a task already writing commits or rolls back
            self.client.cancel(list(self.futures.values()))  # type: ignore[attr-defined]
            self.summary.interrupted = True

    def _submit(self, kind: str, sources: list[str]) -> None:
        """One task: ``hash`` or ``extract`` one file (client writes), or ``ingest`` a few (workers write)."""
        from kehoach.pipeline import dask_tasks

        key = f"kehoach-{kind}-{uuid.uuid4().hex}"
        priority = 0 if kind == "hash" else 1  # a worker extracts what was looked up before hashing more
        if kind == "hash":
            future = self.client.submit(dask_tasks.hash_source, sources[0], self.limits, key=key, priority=priority)  # type: ignore[attr-defined]
        elif kind == "extract":
            future = self.client.submit(dask_tasks.extract_source, sources[0], self.limits, key=key, priority=priority)  # type: ignore[attr-defined]
        else:
            arguments = (sources, self.limits, self.force)
            future = self.client.submit(dask_tasks.ingest_sources, *arguments, key=key, priority=priority)  # type: ignore[attr-defined]
        self.kind[key] = (kind, sources)
        self.futures[key] = future
        self.running.add(future)

    def _in_flight(self, kind: str) -> int:
        return sum(1 for k, _ in self.kind.values() if k == kind)

    def _files_per_task(self, threads: int) -> int:
        """Files per ``ingest`` task: up to :data:`FILES_PER_TASK` while much is left, one at the end of the
        batch (and in small batches), so that the last tasks still spread over every worker."""
        return max(1, min(FILES_PER_TASK, len(self.to_extract) // (TASKS_AHEAD * threads)))

    def _capacity(self) -> int:
        """Worker threads in the cluster, asked again every few seconds: on SLURM or Kubernetes the workers
        join (and leave) while the batch runs, and the windows grow with them."""
        if time.monotonic() - self.counted > CAPACITY_SECONDS:
            self.threads = max(1, sum(self.client.nthreads().values()))  # type: ignore[attr-defined]
            self.counted = time.monotonic()
        return self.threads

    def _top_up(self) -> None:
        """Keep the windows full; look hashes up in chunks, or at once when extraction would starve."""
        threads = self._capacity()
        self.extract_window, self.hash_window = EXTRACTIONS_PER_WORKER * threads, HASHES_PER_WORKER * threads
        if self.writes == "workers":
            ingesting = self._in_flight("ingest")
            while self.to_extract and ingesting < self.extract_window:
                size = self._files_per_task(threads)
                self._submit("ingest", [self.to_extract.popleft() for _ in range(min(size, len(self.to_extract)))])
                ingesting += 1
            return
        extracting, hashing = self._in_flight("extract"), self._in_flight("hash")
        starving = len(self.to_extract) < self.extract_window - extracting
        if self.to_look_up and (len(self.to_look_up) >= HASH_LOOKUP_CHUNK or starving or not hashing):
            self._look_up()
        while self.to_extract and extracting < self.extract_window:
            self._submit("extract", [self.to_extract.popleft()])
            extracting += 1
        backlog = len(self.to_extract) + len(self.to_look_up)
        while self.to_hash and hashing < self.hash_window and backlog < HASH_LOOKUP_CHUNK:
            self._submit("hash", [self.to_hash.popleft()])
            hashing += 1

    def _look_up(self) -> None:
        from kehoach.extractors.extract import pipeline_version

        stored = stored_versions(self.engine, [sha256 for _, sha256 in self.to_look_up])
        running = pipeline_version()
        for source, sha256 in self.to_look_up:
            if sha256 in self.queued or (sha256 in stored and not (self.force or is_older(stored[sha256], running))):
                self.summary.unchanged += 1
                self.advance()
            else:
                if sha256 in stored:
                    self.again.add(source)
                self.queued.add(sha256)
                self.sha256[source] = sha256
                self.to_extract.append(source)
        self.to_look_up.clear()

    def _hashed(self, future: object, source: str) -> None:
        try:
            _, sha256, error_class, reason = future.result()  # type: ignore[attr-defined]
        except Exception as exc:  # noqa: BLE001 - KilledWorker and the like: this file failed, the batch goes on
            sha256, error_class, reason = None, "WorkerCrashed", _task_failure(exc)
        if sha256 is None:
            self.fail(source, None, error_class or "IngestError", reason or "cannot be read")
            self.advance()
        else:
            self.to_look_up.append((source, sha256))

    def _extracted(self, future: object, source: str) -> None:
        """An extraction came back (client writes): store it here."""
        from kehoach.pipeline.dask_tasks import store_result

        looked_up = self.sha256.pop(source, None)
        again = source in self.again
        self.again.discard(source)
        try:
            _, outcome, pages, sha256, error_class, message = store_result(
                self.engine,
                future.result(),  # type: ignore[attr-defined]
                reextract=again,
            )
        except Exception as exc:  # noqa: BLE001 - see _hashed
            outcome, pages, sha256, error_class, message = None, 0, None, "WorkerCrashed", _task_failure(exc)
        self._count((source, outcome, pages, sha256 or looked_up, error_class, message))

    def _ingested(self, future: object, sources: list[str]) -> None:
        """A worker ingested (hashed, looked up, extracted, stored) a few files: count each."""
        try:
            results = future.result()  # type: ignore[attr-defined]
        except Exception as exc:  # noqa: BLE001 - see _hashed
            results = [(source, None, 0, None, "WorkerCrashed", _task_failure(exc)) for source in sources]
        for stored in results:
            self._count(stored)

    def _count(self, stored: tuple[str, str | None, int, str | None, str | None, str | None]) -> None:
        source, outcome, pages, sha256, error_class, message = stored
        if outcome is None:
            self.fail(source, sha256, error_class or "Error", message or "")
        else:
            self.summary.count(outcome)  # type: ignore[arg-type]
            self.summary.pages += pages
        self.advance()


def _task_failure(exc: BaseException) -> str:
    from distributed import KilledWorker

    if isinstance(exc, KilledWorker):  # the scheduler's allowed-failures (2 for local:N) deaths, plus one
        return "every Dask worker that ran this file died (the scheduler's allowed-failures reached)"
    return f"{type(exc).__name__}: {exc}"


def write_mode(engine: Engine, writes: str | None = None) -> str:
    """Who writes the documents: ``workers`` (PostgreSQL's default: one client's writes cap a cluster at a
    few workers, see the README) or ``client`` (SQLite's only mode: one writer); ``KEHOACH_DASK_WRITES``."""
    dialect = engine.dialect.name
    mode = writes or os.environ.get(WRITES_VARIABLE) or ("workers" if dialect == "postgresql" else "client")
    if mode not in ("workers", "client"):
        raise SchedulerError(f"{WRITES_VARIABLE}={mode!r}: expected workers or client")
    if mode == "workers" and dialect != "postgresql":
        raise SchedulerError(f"{WRITES_VARIABLE}=workers needs PostgreSQL: on {dialect} the client is the one writer")
    return mode


def ingest_distributed(
    engine: Engine,
    sources: Iterable[str | Path],
    *,
    scheduler: str,
    args: dict | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    unreadable: Iterable[tuple[Path | str, str]] = (),
    limits: Limits = DEFAULT_LIMITS,
    writes: str | None = None,
    force: bool = False,
) -> BatchSummary:
    """Ingest ``sources`` (paths the workers see, or fsspec URLs) on the Dask cluster ``scheduler``.

    The same contract as :func:`kehoach.pipeline.run.ingest_files`: schema upgraded first, one
    ``ingest_runs`` row, one transaction per document, a failure per ``ingest_errors`` row.
    """
    from kehoach.pipeline.db import upgrade
    from kehoach.pipeline.run import _stop_on_sigint, finish_run

    began = time.perf_counter()
    scheduler = check_scheduler(scheduler)
    mode = write_mode(engine, writes)
    keys, unlisted = expand_sources(sources)
    secret = engine.url.render_as_string(hide_password=False) if mode == "workers" else None
    with connect(scheduler, limits=limits, database=secret) as client, _stop_on_sigint() as stop:
        upgrade(engine)  # once the cluster answers: a scheduler that cannot be reached leaves no run row
        database = engine.url.render_as_string(hide_password=True)
        run_id = start_run(engine, {"db": database, "scheduler": scheduler, "writes": mode, **(args or {})})
        summary = BatchSummary(run_id=run_id, files=len(keys))
        batch = _Batch(engine, client, summary, on_progress, limits, mode, force, stop)
        for folder, reason in [*unreadable, *unlisted]:
            batch.fail(str(folder), None, "IngestError", reason)
        try:
            batch.run(largest_first(keys))
        except KeyboardInterrupt:  # a second Ctrl-C: what the client was writing has rolled back
            summary.interrupted = True
        summary.seconds = time.perf_counter() - began
        finish_run(engine, summary)
    if summary.interrupted:
        raise BatchInterrupted(summary)
    return summary
