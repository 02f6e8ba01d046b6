"""``ingest --scheduler`` on bad input and on SQLite: one-line errors, URLs, the client as the one writer."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from kehoach.pipeline import dask_pool
from kehoach.pipeline.db import make_engine
from kehoach.pipeline.run import ingest_files
from sqlalchemy import text

from tests.dask.conftest import DEV


@pytest.mark.parametrize("spec", ["local:0", "local:", "local:two", "http://host:8786", "host:8786", ""])
def test_dask_scheduler_spec_is_checked(spec: str) -> None:
    with pytest.raises(dask_pool.SchedulerError, match="expected tcp://HOST:PORT"):
        dask_pool.check_scheduler(spec)


@pytest.mark.parametrize("spec", ["local:1", " local:4 ", "tcp://10.0.0.5:8786", "tls://scheduler.example:8786"])
def test_dask_scheduler_spec_accepted(spec: str) -> None:
    assert dask_pool.check_scheduler(spec) == spec.strip()


def _kehoach(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kehoach", *args], capture_output=True, text=True, env=env)


def test_dask_cli_bad_scheduler_is_one_line(tmp_path: Path) -> None:
    plan = shutil.copy(min(DEV.glob("*.txt"), key=lambda p: p.stat().st_size), tmp_path)
    result = _kehoach("ingest", str(plan), "--db", str(tmp_path / "k.db"), "--scheduler", "localhost:8786")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "kehoach: --scheduler 'localhost:8786': expected tcp://HOST:PORT (a running Dask scheduler) or local:N"
    ]
    assert not (tmp_path / "k.db").exists()  # nothing was written


def test_dask_cli_url_without_scheduler_is_one_line(tmp_path: Path) -> None:
    result = _kehoach("ingest", "s3://bucket/plans/", "--db", str(tmp_path / "k.db"))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "kehoach: s3://bucket/plans/: URLs are read by Dask workers: add --scheduler local:N or tcp://HOST:8786"
    )


def test_dask_cli_unreachable_scheduler_is_one_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    plan = shutil.copy(min(DEV.glob("*.txt"), key=lambda p: p.stat().st_size), tmp_path)
    env = {**os.environ, "KEHOACH_SCHEDULER": f"tcp://127.0.0.1:{port}",
           "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"}  # fmt: skip
    result = _kehoach("ingest", str(plan), "--db", str(tmp_path / "k.db"), "--no-progress", env=env)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}" in lines[0], lines
    if (tmp_path / "k.db").exists():  # the engine may create the file; no run, no schema is written
        with make_engine(f"sqlite:///{tmp_path / 'k.db'}").connect() as connection:
            assert not connection.execute(text("SELECT name FROM sqlite_master")).all()


def test_dask_fsspec_folder_is_listed_on_the_client(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    for name in ("a.txt", "sub/b.docx", "notes.xyz", ".hidden.txt"):
        (tmp_path / name).write_text("x")
    found, unlisted = dask_pool.expand_sources([tmp_path.as_uri(), f"{tmp_path.as_uri()}/*.txt", "nosuch://x/"])
    assert found == [(tmp_path / "a.txt").as_uri(), (tmp_path / "sub" / "b.docx").as_uri()]
    assert [source for source, _ in unlisted] == ["nosuch://x/"]


def test_dask_sqlite_client_writes_and_workers_may_not(tmp_path: Path) -> None:
    """SQLite has one writer: the client stores what the workers extract; asking workers to write is refused."""
    plans = [shutil.copy(path, tmp_path) for path in sorted(DEV.glob("*.txt"), key=lambda p: p.stat().st_size)[:3]]
    engine = make_engine(f"sqlite:///{tmp_path / 'k.db'}")
    with pytest.raises(dask_pool.SchedulerError, match="needs PostgreSQL"):
        dask_pool.ingest_distributed(engine, plans, scheduler="local:1", writes="workers")
    summary = ingest_files(engine, plans, scheduler="local:1")
    assert (summary.ingested, summary.failed) == (3, 0)
    with engine.connect() as connection:
        assert json.loads(connection.execute(text("SELECT args FROM ingest_runs")).scalar_one())["writes"] == "client"
        paths = set(connection.execute(text("SELECT source_path FROM documents")).scalars())
    assert paths == {str(Path(p).resolve()) for p in plans}


def test_dask_windows_grow_with_workers_that_join_later(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On SLURM or Kubernetes workers join while the batch runs: the tasks in flight follow the cluster's size."""
    from kehoach.pipeline.run import BatchSummary

    monkeypatch.setattr(dask_pool, "CAPACITY_SECONDS", 0.0)
    engine = make_engine(f"sqlite:///{tmp_path / 'k.db'}")
    with dask_pool.connect("local:1") as client:
        batch = dask_pool._Batch(engine, client, BatchSummary(run_id=0), None, dask_pool.DEFAULT_LIMITS)
        batch._top_up()
        assert batch.extract_window == dask_pool.EXTRACTIONS_PER_WORKER
        client.cluster.scale(2)
        client.wait_for_workers(2, timeout=60)
        batch._top_up()
        assert batch.extract_window == 2 * dask_pool.EXTRACTIONS_PER_WORKER


def test_dask_python_api_takes_a_scheduler_and_urls(tmp_path: Path) -> None:
    import kehoach

    plan = Path(shutil.copy(min(DEV.glob("*.txt"), key=lambda p: p.stat().st_size), tmp_path)).resolve()
    db = f"sqlite:///{tmp_path / 'k.db'}"
    with pytest.raises(dask_pool.SchedulerError, match="URLs are read by Dask workers"):
        kehoach.ingest([plan.as_uri()], db=db)
    summary = kehoach.ingest([plan.as_uri()], db=db, scheduler="local:1")
    assert (summary.ingested, summary.failed) == (1, 0)
    with make_engine(db).connect() as connection:
        assert connection.execute(text("SELECT source_path FROM documents")).scalar_one() == plan.as_uri()


def test_dask_local_cluster_listens_on_loopback_only() -> None:
    import psutil

    with dask_pool.connect("local:1") as client:
        me = psutil.Process()
        listening = [
            connection.laddr
            for process in [me, *me.children(recursive=True)]
            for connection in process.net_connections(kind="inet")
            if connection.status == psutil.CONN_LISTEN
        ]
        assert client.scheduler.address.startswith("tcp://127.0.0.1:")
    assert listening and {address.ip for address in listening} == {"127.0.0.1"}
    assert 8787 not in {address.port for address in listening}  # no dashboard on its well-known port


@pytest.mark.parametrize(
    ("left", "threads", "expected"), [(1000, 2, 8), (40, 2, 5), (7, 2, 1), (0, 1, 1), (64, 100, 1)]
)
def test_dask_files_per_task_shrink_towards_the_end(left: int, threads: int, expected: int) -> None:
    from collections import deque

    batch = dask_pool._Batch.__new__(dask_pool._Batch)  # only its queue matters here
    batch.to_extract = deque(["f"] * left)
    assert batch._files_per_task(threads) == expected


def test_dask_workers_that_cannot_reach_the_database_say_so_at_once(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    unreachable = f"postgresql+psycopg://nobody@127.0.0.1:{port}/kehoach?connect_timeout=2"
    expected = "the Dask workers could not get ready: OperationalError"
    with pytest.raises(dask_pool.SchedulerError, match=expected), dask_pool.connect("local:1", database=unreachable):
        pass


def test_dask_largest_files_go_first(tmp_path: Path) -> None:
    sizes = {"small.txt": 10, "large.txt": 1000, "middle.txt": 100}
    for name, size in sizes.items():
        (tmp_path / name).write_text("x" * size)
    order = dask_pool.largest_first(["s3://b/a.pdf", *(str(tmp_path / name) for name in sizes), "missing.txt"])
    assert order == [str(tmp_path / n) for n in ("large.txt", "middle.txt", "small.txt")] + [
        "missing.txt",
        "s3://b/a.pdf",
    ]
