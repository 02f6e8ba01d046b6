"""Readers are never locked out: a long query, many short ones and an ingest writer at the same time.

Before WAL mode, 49 of 193 short ``query`` calls behind one long reader
failed on SQLite with "database is locked": the writer waiting for the long
reader held a lock that shut new readers out (issue 13).
"""

from __future__ import annotations

import threading
import time

from kehoach.pipeline import run
from kehoach.pipeline.db import make_engine, upgrade
from kehoach.pipeline.query import run_query
from kehoach.pipeline.readonly import execute_read_only
from sqlalchemy import text

LONG_QUERY = (
    "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r WHERE x < 1500000)"
    " SELECT count(*) AS n FROM r, documents"
)
"""A read that takes a second or two on either backend and keeps its transaction open throughout."""


def test_readers_writers_long_reader_short_readers_and_writer(db_url: str, make_extraction) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    run.store(engine, make_extraction(sha256="0" * 64, path="/p/seed.txt"), "/p/seed.txt")
    errors: list[BaseException] = []
    long_running = threading.Event()
    long_done = threading.Event()
    short_during_long: list[float] = []
    writes_during_long: list[float] = []

    def long_reader() -> None:
        try:
            long_running.set()
            columns, rows = execute_read_only(make_engine(db_url, read_only=True), LONG_QUERY)
            assert rows[0][0] >= 1_500_000
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            long_done.set()

    def short_readers() -> None:
        long_running.wait()
        for _ in range(40):
            try:
                started = time.monotonic()
                frame = run_query(make_engine(db_url, read_only=True), "SELECT count(*) AS n FROM documents")
                assert frame["n"].iloc[0] >= 1
                if not long_done.is_set():
                    short_during_long.append(time.monotonic() - started)
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

    def writer() -> None:
        long_running.wait()
        for i in range(1, 11):
            try:
                path = f"/p/w{i}.txt"
                assert run.store(engine, make_extraction(sha256=f"{i:064x}", path=path), path) == "ingested"
                if not long_done.is_set():
                    writes_during_long.append(time.monotonic())
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

    threads = [threading.Thread(target=target) for target in (long_reader, short_readers, short_readers, writer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors[:3]
    assert short_during_long and writes_during_long, "the long reader finished before the others ran"
    assert max(short_during_long) < 2.0  # nobody waited on a lock (the old reader waited 5 s, then failed)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM documents")).scalar_one() == 11
    engine.dispose()
