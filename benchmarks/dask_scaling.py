"""How ``ingest --scheduler`` scales: Dask workers against the local pool, on one batch, into PostgreSQL.

Usage (from the project root; a few minutes on 2 cores):

    .venv/bin/python benchmarks/dask_scaling.py               # data/raw (no scan) x 6, PostgreSQL
    .venv/bin/python benchmarks/dask_scaling.py --scale 2     # quicker
    .venv/bin/python benchmarks/dask_scaling.py --pg postgresql+psycopg://postgres@127.0.0.1:5432
    .venv/bin/python benchmarks/dask_scaling.py --memory 40   # only: client and worker memory over 360 files

Printed:

- documents/s and PDF pages/s of the in-process path (``--workers 1``), the local pool
  (``--workers 2``) and Dask LocalClusters of 1 and 2 workers (``--scheduler local:N``), each into a
  fresh database; the Dask figures without the cluster's start (paid once per run, not per document);
- the scheduler's overhead per task (1,000 no-op tasks through a LocalCluster, submitted and
  collected the way a batch does) and the scaling efficiency (rate with 2 workers / 2 x rate with 1);
- what the client's writing costs: documents/s that ``store()`` alone sustains (the same
  extractions written again into an empty database) and the pickled size of an extraction, which
  bound how many workers one client can keep busy;
- PostgreSQL bytes per stored document (``pg_total_relation_size`` of every table and index, minus
  the empty schema), and the estimate for one million plans on 10 and 100 workers built from them.

The batch copies ``data/raw`` N times with distinct bytes (``ingest_benchmark.replicate``); the
scanned PDF is left out (OCR would dominate every figure: see the README's OCR measurements).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pickle
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest_benchmark import fresh_postgres_database, postgres_server, replicate  # noqa: E402

PLANS = 1_000_000


def tree_cpu(pid: int | None = None) -> float:
    """CPU seconds (user + system) of a process, its live descendants and the children they reaped
    (Tesseract, recycled extraction processes): what a run costs whatever else shares the cores."""
    import psutil

    total = 0.0
    root = psutil.Process(pid)
    for process in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            times = process.cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
    return total


def postmaster_pid(base: str) -> int | None:
    """The PostgreSQL server listening on ``base``'s port, if it runs on this machine."""
    import psutil
    from sqlalchemy.engine import make_url

    port = str(make_url(base + "/postgres").port or 5432)
    for process in psutil.process_iter(["name", "cmdline"]):
        command = process.info["cmdline"] or []
        if process.info["name"] == "postgres" and "-p" in command and port in command:
            return process.pid
    return None


@dataclass
class Run:
    name: str
    documents: int
    pages: int
    seconds: float
    startup: float = 0.0
    client_cpu: float = 0.0
    """This process (the batch's client, and a LocalCluster's scheduler; with ``--workers 2`` its pool)."""
    worker_cpu: float = 0.0
    """The Dask workers and their extraction processes."""
    postgres_cpu: float = 0.0

    @property
    def rate(self) -> float:
        return self.documents / self.seconds

    def per_document(self, cpu: float) -> float:
        return cpu / self.documents * 1000

    def line(self) -> str:
        start = f" (+{self.startup:.1f} s start)" if self.startup else ""
        client, workers, postgres = map(self.per_document, (self.client_cpu, self.worker_cpu, self.postgres_cpu))
        return (
            f"{self.name:27} {self.documents:4} docs {self.seconds:5.1f} s{start}: {self.rate:5.2f} docs/s, "
            f"{self.pages / self.seconds:5.1f} PDF pages/s; CPU ms/doc: client {client:4.0f}, "
            f"workers {workers:4.0f}, PostgreSQL {postgres:3.0f}"
        )


def _pdf_pages(engine) -> int:  # noqa: ANN001 - sqlalchemy Engine
    from sqlalchemy import text

    with engine.connect() as connection:
        query = "SELECT coalesce(sum(pages), 0) FROM documents WHERE format LIKE 'pdf%'"
        return int(connection.execute(text(query)).scalar_one())


def database_bytes(engine) -> int:  # noqa: ANN001 - sqlalchemy Engine
    """Bytes of every table of the public schema, with its indexes and TOAST (``pg_total_relation_size``)."""
    from sqlalchemy import text

    query = (
        "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'"
    )
    with engine.connect() as connection:
        return int(connection.execute(text(query)).scalar_one())


def local_run(files: list[Path], url: str, workers: int, postgres: int | None) -> Run:
    from kehoach.pipeline.db import make_engine, upgrade
    from kehoach.pipeline.run import ingest_files

    engine = make_engine(url)
    upgrade(engine)
    cpu, pg = tree_cpu(), tree_cpu(postgres) if postgres else 0.0
    began = time.perf_counter()
    summary = ingest_files(engine, files, workers=workers)
    seconds = time.perf_counter() - began
    assert summary.failed == 0, summary.failures
    result = Run(f"local pool, {workers} proc", summary.ingested, _pdf_pages(engine), seconds)
    result.client_cpu = tree_cpu() - cpu
    result.postgres_cpu = (tree_cpu(postgres) - pg) if postgres else 0.0
    engine.dispose()
    return result


def _workers_cpu(client) -> float:  # noqa: ANN001 - distributed.Client
    return sum(client.run(tree_cpu).values())


def dask_run(files: list[Path], url: str, workers: int, writes: str, postgres: int | None) -> Run:
    """A Dask run timed from its first task: the cluster's start is measured apart."""
    from kehoach.pipeline import dask_pool
    from kehoach.pipeline.db import make_engine, upgrade
    from kehoach.pipeline.run import BatchSummary, start_run

    engine = make_engine(url)
    upgrade(engine)
    began = time.perf_counter()
    database = engine.url.render_as_string(hide_password=False)
    with dask_pool.connect(f"local:{workers}", database=database) as client:
        client.run(lambda: None)
        cpu, worker_cpu = time.process_time(), _workers_cpu(client)
        pg = tree_cpu(postgres) if postgres else 0.0
        started = time.perf_counter()
        summary = BatchSummary(run_id=start_run(engine, {"benchmark": "dask_scaling"}), files=len(files))
        batch = dask_pool._Batch(engine, client, summary, None, dask_pool.DEFAULT_LIMITS, writes)
        batch.run([str(path) for path in files])
        seconds = time.perf_counter() - started
        worker_cpu = _workers_cpu(client) - worker_cpu
    assert summary.failed == 0, summary.failures
    name = f"dask local:{workers}, {writes} write"
    result = Run(name, summary.ingested, _pdf_pages(engine), seconds, started - began, worker_cpu=worker_cpu)
    result.client_cpu = time.process_time() - cpu
    result.postgres_cpu = (tree_cpu(postgres) - pg) if postgres else 0.0
    engine.dispose()
    return result


def memory_run(files: list[Path], url: str) -> list[tuple[int, float, float]]:
    """(documents done, client RSS MB, largest worker tree RSS MB) at every tenth of a long ``local:2`` batch."""
    import psutil
    from distributed import default_client
    from kehoach.pipeline.dask_pool import ingest_distributed
    from kehoach.pipeline.db import make_engine

    def tree_rss() -> float:
        root = psutil.Process()
        total = 0
        for process in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                total += process.memory_info().rss
        return total / 2**20

    samples: list[tuple[int, float, float]] = []
    step = max(1, len(files) // 10)

    def sample(done: int, total: int) -> None:
        if done % step == 0 or done == total:
            workers = default_client().run(tree_rss).values()
            samples.append((done, psutil.Process().memory_info().rss / 2**20, max(workers)))

    engine = make_engine(url)
    summary = ingest_distributed(engine, files, scheduler="local:2", on_progress=sample)
    assert summary.failed == 0, summary.failures
    engine.dispose()
    return samples


def _noop(value: int) -> int:
    return value


def scheduler_overhead(tasks: int = 1000) -> float:
    """Seconds per task of no-op tasks through a 2-worker LocalCluster, a bounded window in flight."""
    from distributed import as_completed
    from kehoach.pipeline import dask_pool

    with dask_pool.connect("local:2") as client:
        client.submit(_noop, -1).result()  # warm
        began = time.perf_counter()
        running = as_completed()
        submitted = 0
        while submitted < 8:
            running.add(client.submit(_noop, submitted, pure=False))
            submitted += 1
        for future in running:
            future.result()
            if submitted < tasks:
                running.add(client.submit(_noop, submitted, pure=False))
                submitted += 1
        return (time.perf_counter() - began) / tasks


def client_store_rate(files: list[Path], url: str) -> tuple[float, float, float, int]:
    """(documents/s of read + extract alone, documents/s that ``store()`` sustains, ms to pickle an
    extraction, pickled bytes) on this batch, in this one process."""
    from kehoach.extractors.extract import extract
    from kehoach.pipeline.db import make_engine, upgrade
    from kehoach.pipeline.ingest import read_document
    from kehoach.pipeline.run import store

    read_document(files[0])  # warm: imports and rule tables
    began = time.perf_counter()
    extractions = [extract(read_document(path)) for path in files]
    extract_rate = len(files) / (time.perf_counter() - began)
    began = time.perf_counter()
    blobs = [pickle.dumps(extraction) for extraction in extractions]
    pickle_ms = (time.perf_counter() - began) / len(blobs) * 1000
    engine = make_engine(url)
    upgrade(engine)
    began = time.perf_counter()
    for path, extraction in zip(files, extractions, strict=True):
        store(engine, extraction, str(path))
    rate = len(extractions) / (time.perf_counter() - began)
    engine.dispose()
    return extract_rate, rate, pickle_ms, sum(map(len, blobs)) // len(blobs)


def estimate(run: Run, lock: float) -> list[str]:
    """Hours for :data:`PLANS` on 10 and 100 workers from ``run``'s CPU time per document.

    Each worker on a core of its own extracts (and, when it writes, stores) at 1 / its CPU per
    document; the client, which alone looks hashes up, schedules and (when it writes) stores, caps
    the cluster at 1 / its CPU per document; every document write takes the plans' advisory lock
    (``plans.lock_plans``) for ``lock`` seconds, one writer at a time, which caps it at 1 / ``lock``
    (shown without that cap too).  PostgreSQL needs its CPU per document times the rate in cores.
    Network and disk are taken as not binding (a plan is ~100 KB).
    """
    worker = run.worker_cpu / run.documents
    client = run.client_cpu / run.documents
    lines = []
    for workers in (10, 100):
        bounds = {"the workers": workers / worker, "the client": 1 / client, "the plan lock": 1 / lock}
        bound = min(bounds, key=bounds.__getitem__)
        rate = bounds[bound]
        unlocked = min(bounds["the workers"], bounds["the client"])
        cores = rate * run.postgres_cpu / run.documents
        lines.append(
            f"  {workers:3} workers ({run.name}): {rate:5.1f} docs/s, bound by {bound}, "
            f"= {PLANS / rate / 3600:5.1f} h; PostgreSQL busy {cores:3.1f} cores; "
            f"without the lock {unlocked:5.1f} docs/s = {PLANS / unlocked / 3600:5.1f} h"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=6, help="Copies of data/raw in the batch.")
    parser.add_argument("--pg", help="PostgreSQL server URL (no database name); default: start a throwaway one.")
    parser.add_argument("--memory", type=int, metavar="SCALE", help="Only: memory over a batch of SCALE copies.")
    args = parser.parse_args()
    if args.memory:
        with tempfile.TemporaryDirectory(prefix="kehoach-dask-bench-") as tmp, contextlib.ExitStack() as stack:
            base = args.pg.rstrip("/") if args.pg else stack.enter_context(postgres_server())
            files = replicate(Path(tmp) / "inputs", args.memory, with_scanned=False)
            print(f"memory over {len(files)} files, dask local:2, workers write:")
            for done, client, worker in memory_run(files, fresh_postgres_database(base, "bench_memory")):
                print(
                    f"  {done:5} done: client RSS {client:6.0f} MB, largest worker (with its reader) {worker:6.0f} MB"
                )
        return
    with tempfile.TemporaryDirectory(prefix="kehoach-dask-bench-") as tmp, contextlib.ExitStack() as stack:
        base = args.pg.rstrip("/") if args.pg else stack.enter_context(postgres_server())
        files = replicate(Path(tmp) / "inputs", args.scale, with_scanned=False)
        print(
            f"batch: {len(files)} files (data/raw x {args.scale}, scan excluded) on {os.cpu_count()} CPUs", flush=True
        )
        runs = []
        postgres = postmaster_pid(base)
        for name, workers, writes in (
            ("local1", 1, None),
            ("local2", 2, None),
            ("dask1c", 1, "client"),
            ("dask2c", 2, "client"),
            ("dask1w", 1, "workers"),
            ("dask2w", 2, "workers"),
        ):
            url = fresh_postgres_database(base, f"bench_{name}")
            if writes is None:
                runs.append(local_run(files, url, workers, postgres))
            else:
                runs.append(dask_run(files, url, workers, writes, postgres))
            print(runs[-1].line(), flush=True)
            if name == "dask2w":
                from kehoach.pipeline.db import make_engine

                engine = make_engine(url)
                stored = database_bytes(engine)
                engine.dispose()
        empty_url = fresh_postgres_database(base, "bench_empty")
        from kehoach.pipeline.db import make_engine, upgrade

        engine = make_engine(empty_url)
        upgrade(engine)
        empty = database_bytes(engine)
        engine.dispose()
        bytes_per_doc = (stored - empty) / runs[-1].documents
        overhead = scheduler_overhead()
        measured = client_store_rate(files, fresh_postgres_database(base, "bench_store"))
        extract_rate, store_rate, pickle_ms, pickled = measured
    local1, _, dask1c, dask2c, dask1, dask2 = runs
    print(
        f"scheduler overhead: {overhead * 1000:.2f} ms per task (no-op tasks, 2 workers); "
        "a file costs 2 tasks when the client writes, 1/8 to 1 when the workers do"
    )
    print(
        f"Dask against the in-process path (1 worker, workers write): "
        f"{(1 / dask1.rate - 1 / local1.rate) * 1000:+.0f} ms/doc"
    )
    print(
        f"scaling efficiency 1 -> 2 Dask workers (wall time; 2 cores shared with the client and PostgreSQL): "
        f"workers write {dask2.rate / (2 * dask1.rate):.2f}, client writes {dask2c.rate / (2 * dask1c.rate):.2f}"
    )
    print(f"one process, wall: read + extract {extract_rate:.1f} docs/s; store() alone {store_rate:.1f} docs/s")
    print(f"an extraction pickles to {pickled / 1024:.0f} KiB in {pickle_ms:.1f} ms")
    print(f"PostgreSQL: {stored - empty:,} bytes for {dask2.documents} documents = {bytes_per_doc:,.0f} bytes/doc")
    # the lock is held for the write itself: the client's CPU for storing (client writes minus workers write)
    # plus PostgreSQL's, per document; wall time on an idle machine would be near that
    lock = (dask1c.client_cpu - dask1.client_cpu + dask1c.postgres_cpu) / dask1c.documents
    print(f"a document write holds the plan lock ~{lock * 1000:.0f} ms (CPU) / {1000 / store_rate:.0f} ms (wall, here)")
    print(f"estimate for {PLANS:,} plans like these, from CPU time per document:")
    for line in [*estimate(dask1, lock), *estimate(dask1c, lock)]:
        print(line)
    print(f"  PostgreSQL size: {bytes_per_doc / 1024:.0f} KiB/document -> {bytes_per_doc * PLANS / 2**30:.0f} GiB")


if __name__ == "__main__":
    main()
