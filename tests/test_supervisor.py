"""The supervisor on its own (issue 10, item 1): every way a worker can end, with a work function that chooses it.

The work function reads its instruction from the "path" it is given: ``ok``, ``segv`` (the worker
segfaults), ``exit`` (it exits with code 3), ``hang`` (it never returns), ``big`` (a 20 MB result).
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import time

import pytest
from kehoach.pipeline import pool, supervisor
from kehoach.pipeline.supervisor import Supervisor


def _init(marker: str) -> None:
    os.environ["SUPERVISOR_TEST"] = marker


def work(path: str, suffix: str) -> tuple[str, object, str | None, str | None]:
    kind = path.split(":")[0]
    if kind == "segv":
        ctypes.string_at(0)  # reads address 0: SIGSEGV, as a crash in a C library does
    if kind == "exit":
        os._exit(3)
    if kind == "hang":
        time.sleep(300)
    if kind == "big":
        return path, b"x" * (20 << 20), None, None
    return path, f"{os.environ['SUPERVISOR_TEST']}{suffix}:{os.getpid()}", None, None


def _run(paths: list[str], workers: int = 2, max_seconds: float | None = 30) -> dict[str, tuple]:
    context = pool._pool_context()  # the fork server every test of this session shares: same preload for all
    run = Supervisor(context, workers, work, ("!",), initializer=_init, initargs=("ready",), max_seconds=max_seconds)
    results = list(run.run(paths))
    assert len(results) == len(paths)
    return {path: (value, error, message) for path, value, error, message in results}


def test_supervisor_each_death_costs_its_file_only() -> None:
    paths = ["ok:1", "segv:2", "ok:3", "exit:4", "ok:5", "hang:6", "big:7", "ok:8"]
    began = time.monotonic()
    results = _run(paths, max_seconds=3)
    assert time.monotonic() - began < 60
    assert results["segv:2"] == (None, "WorkerKilled", "worker killed by signal 11 (SIGSEGV) while reading segv:2")
    assert results["exit:4"] == (None, "WorkerKilled", "worker exited with code 3 while reading exit:4")
    assert results["hang:6"] == (None, "TimeLimitExceeded", "stopped after 3 s")
    assert len(results["big:7"][0]) == 20 << 20
    for path in ("ok:1", "ok:3", "ok:5", "ok:8"):
        value, error, _ = results[path]
        assert error is None and value.startswith("ready!:"), results[path]  # initialised, and given its arguments


def test_supervisor_recycles_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(supervisor, "TASKS_PER_WORKER", 2)
    results = _run([f"ok:{n}" for n in range(6)], workers=1)
    pids = {value.rsplit(":", 1)[1] for value, _, _ in results.values()}
    assert len(pids) == 3  # a fresh worker every two files


def test_supervisor_leaves_no_worker_behind() -> None:
    before = {child.pid for child in multiprocessing.active_children()}
    _run(["ok:1", "hang:2"], max_seconds=1)
    assert {child.pid for child in multiprocessing.active_children()} - before == set()
