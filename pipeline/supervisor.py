"""Worker processes, each with a pipe of its own, watched by the batch: a dead worker costs one file.

Why not a ready-made pool: ``concurrent.futures.ProcessPoolExecutor`` breaks for good when one
worker dies (``BrokenProcessPool``: every file in flight lost, the batch aborted), and pebble, which
survives a death, sends every worker's results down one shared pipe: a worker killed while writing
its result leaves half a message there, and the whole pool stops ("Unexpected error within the
Pool", seen in the PostgreSQL kill trials, where the parent reads results more slowly).  Here every
worker has its own pipe and its own process sentinel, so the batch always knows which file a worker
held, a half-written result spoils only that worker's pipe, and the file is reported with the cause::

    worker killed by signal 9 (SIGKILL) … while reading plans/big.pdf

A worker gets one file at a time and the next one as soon as it hands a result over (before the
parent stores that result), so workers do not wait for the database.  The time limit is kept here:
a worker past its deadline is killed and replaced.  A worker is replaced after
:data:`TASKS_PER_WORKER` files, which caps what a slow leak in a parser can grow to.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing import connection as mp_connection
from multiprocessing.context import BaseContext
from typing import Any

Result = tuple[str, Any, str | None, str | None]
"""(path, extraction, error class, error message), as :data:`kehoach.pipeline.pool.WorkResult`."""

TASKS_PER_WORKER = 200
IDLE_POLL_SECONDS = 1.0
"""Longest wait for a message when no deadline is nearer (a dead worker's sentinel wakes it at once)."""


def describe_death(exitcode: int | None, path: str) -> str:
    """Why the worker holding ``path`` is gone, from its exit code (negative: the signal that killed it)."""
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = "an unknown signal"
        hint = " (the out-of-memory killer sends it, as does kill -9)" if -exitcode == signal.SIGKILL else ""
        return f"worker killed by signal {-exitcode} ({name}){hint} while reading {path}"
    return f"worker exited with code {exitcode} while reading {path}"


def worker_main(conn: mp_connection.Connection, initializer: Callable[..., None], initargs: tuple,
                work: Callable[..., Result], work_args: tuple) -> None:  # fmt: skip
    """A worker's life: initialise, then read a path, send its result, until told to stop (None) or orphaned.

    The worker leads a process group of its own, so that killing it (its time is up) also kills what it
    started, Tesseract above all, instead of leaving those to run out their own time.
    """
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)
    initializer(*initargs)
    while True:
        try:
            path = conn.recv()
        except (EOFError, OSError):
            return  # the batch is gone
        if path is None:
            return
        result = work(path, *work_args)
        try:
            conn.send(result)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:  # a result that cannot travel
            conn.send((path, None, "WorkerError", f"the extraction could not be sent back ({exc})"))


def stop_worker(process: Any, conn: mp_connection.Connection, *, kill: bool) -> None:
    """End a worker of :func:`worker_main`: asked to stop (None), or killed with its process group; joined and its
    pipe closed."""
    if kill:
        with contextlib.suppress(OSError):  # its group: the worker and the programs it runs (see worker_main)
            if process.pid is not None and os.getpgid(process.pid) == process.pid:
                os.killpg(process.pid, signal.SIGKILL)
        if process.is_alive():
            process.kill()
    else:
        with contextlib.suppress(OSError):  # already gone: joined below all the same
            conn.send(None)
    process.join(5)
    if process.is_alive():
        process.kill()
        process.join()
    conn.close()


@dataclass
class _Worker:
    process: Any
    conn: mp_connection.Connection
    path: str | None = None
    deadline: float | None = None
    done: int = 0


class Supervisor:
    """``workers`` processes from ``context`` running ``work(path, *work_args)``; see the module docstring."""

    def __init__(
        self,
        context: BaseContext,
        workers: int,
        work: Callable[..., Result],
        work_args: tuple = (),
        *,
        initializer: Callable[..., None],
        initargs: tuple = (),
        max_seconds: float | None = None,
        timeout_message: Callable[[float], str] = lambda s: f"stopped after {s:g} s",
    ) -> None:
        self.context = context
        self.size = workers
        self.target = (initializer, initargs, work, work_args)
        self.max_seconds = max_seconds
        self.timeout_message = timeout_message
        self.workers: list[_Worker] = []

    def _start(self) -> _Worker:
        parent, child = self.context.Pipe(duplex=True)
        process = self.context.Process(  # type: ignore[attr-defined]
            target=worker_main, args=(child, *self.target), name="kehoach-worker", daemon=True
        )
        process.start()
        child.close()
        worker = _Worker(process, parent)
        self.workers.append(worker)
        return worker

    def _retire(self, worker: _Worker, *, kill: bool) -> None:
        self.workers.remove(worker)
        stop_worker(worker.process, worker.conn, kill=kill)

    def _give(self, worker: _Worker, queue: list[str]) -> None:
        """Send ``worker`` the next file of ``queue`` (popped from its end), if any."""
        if not queue:
            return
        path = queue.pop()
        try:
            worker.conn.send(path)
        except OSError:  # it died idle (its pipe is broken): the file goes to the worker started in its place
            queue.append(path)
            self._retire(worker, kill=True)
            return
        worker.path = path
        worker.deadline = time.monotonic() + self.max_seconds if self.max_seconds is not None else None

    def run(self, queue: list[str]) -> Iterator[Result]:
        """Every path of ``queue`` (taken from its end) once, as a result or a failure, in completion order."""
        queue = list(queue)
        try:
            for _ in range(min(self.size, len(queue))):
                self._give(self._start(), queue)
            while any(worker.path is not None for worker in self.workers) or queue:
                yield from self._step(queue)
        finally:
            for worker in list(self.workers):
                self._retire(worker, kill=worker.path is not None)

    def _replace(self, worker: _Worker, queue: list[str], *, kill: bool) -> None:
        self._retire(worker, kill=kill)
        if queue:
            self._give(self._start(), queue)

    def _step(self, queue: list[str]) -> Iterator[Result]:
        busy = [worker for worker in self.workers if worker.path is not None]
        idle = [worker for worker in self.workers if worker.path is None]
        for worker in idle:  # it finished when the queue was empty
            if queue:
                self._give(worker, queue)
            else:
                self._retire(worker, kill=False)
        while len(self.workers) < min(self.size, len(queue) + len(busy)) and queue:
            self._give(self._start(), queue)
        busy = [worker for worker in self.workers if worker.path is not None]
        if not busy:
            return
        now = time.monotonic()
        deadlines = [worker.deadline for worker in busy if worker.deadline is not None]
        wait = min([IDLE_POLL_SECONDS, *(max(0.0, d - now) for d in deadlines)])
        handles = [worker.conn for worker in busy] + [worker.process.sentinel for worker in busy]
        ready = set(mp_connection.wait(handles, timeout=wait))
        for worker in busy:
            path = worker.path
            assert path is not None
            if worker.conn in ready or worker.process.sentinel in ready:
                result = self._receive(worker)
                if result is None:  # died: before, while or after writing its result
                    worker.process.join(5)
                    yield path, None, "WorkerKilled", describe_death(worker.process.exitcode, path)
                    self._replace(worker, queue, kill=True)
                    continue
                worker.path, worker.deadline = None, None
                worker.done += 1
                if worker.process.sentinel in ready or not worker.process.is_alive():
                    self._replace(worker, queue, kill=True)  # it handed its result over, then died
                elif worker.done >= TASKS_PER_WORKER:
                    self._replace(worker, queue, kill=False)
                else:
                    self._give(worker, queue)  # before the parent stores this result: the worker goes on
                yield result
            elif worker.deadline is not None and time.monotonic() >= worker.deadline:
                assert self.max_seconds is not None
                yield path, None, "TimeLimitExceeded", self.timeout_message(self.max_seconds)
                self._replace(worker, queue, kill=True)

    @staticmethod
    def _receive(worker: _Worker) -> Result | None:
        """The worker's result, or None if it died without handing over a whole one."""
        try:
            if not worker.conn.poll():
                return None
            return worker.conn.recv()
        except (EOFError, OSError, pickle.UnpicklingError, AttributeError, TypeError, ValueError):
            return None
