"""Two writers on one PostgreSQL database never duplicate documents or agencies."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from kehoach.pipeline import run
from kehoach.pipeline.db import make_engine, upgrade
from sqlalchemy import text

pytestmark = pytest.mark.postgres

AGENCIES = [
    "Sở Xây dựng",
    "Sở Tài chính",
    "Sở Kế hoạch và Đầu tư",  # its registry successor (Sở Tài chính) is linked while others insert it
    "Sở Nội vụ",
    "Sở Y tế",
    "Công an tỉnh",
]


def test_concurrency_parallel_stores_share_agencies(postgres_url: str, make_extraction) -> None:
    engine = make_engine(postgres_url)
    upgrade(engine)
    pairs = list(itertools.permutations(AGENCIES, 2))
    # Both writers store documents 0..11; each also stores 6 of its own: 12 shared, 12 private.
    shared = [(f"{i:064x}", pairs[i]) for i in range(12)]
    own = {w: [(f"{w + 1}{i:063x}", pairs[-1 - i - 6 * w]) for i in range(6)] for w in (0, 1)}
    outcomes: dict[int, list[str]] = {0: [], 1: []}
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def writer(w: int) -> None:
        work = shared + own[w] if w == 0 else list(reversed(shared)) + own[w]
        barrier.wait()
        try:
            for sha, (lead, coordinating) in work:
                extraction = make_extraction(sha256=sha, path=f"/w{w}/{sha}.txt", lead=lead, coordinating=coordinating)
                outcomes[w].append(run.store(engine, extraction, f"/w{w}/{sha}.txt"))
        except BaseException as exc:  # noqa: BLE001 - re-raised by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert sorted(outcomes[0] + outcomes[1]).count("unchanged") == 12
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM documents")).scalar_one() == 24
        names = connection.execute(text("SELECT name FROM agencies")).scalars().all()
        successor = connection.execute(
            text("SELECT s.name FROM agencies a JOIN agencies s ON s.id = a.successor_id WHERE a.name = :n"),
            {"n": "Sở Kế hoạch và Đầu tư"},
        ).scalar_one()
    assert sorted(names) == sorted(set(AGENCIES))
    assert successor == "Sở Tài chính"


def test_concurrency_two_ingest_commands_on_overlapping_inputs(postgres_url: str, tmp_path: Path) -> None:
    dev = Path(__file__).resolve().parents[1] / "corpus" / "dev"
    texts = sorted(dev.glob("*.txt"), key=lambda p: p.stat().st_size)[:3]
    first, second = [str(p) for p in texts[:2]], [str(p) for p in texts[1:]]  # the middle file is in both
    environment = {**os.environ, "KEHOACH_DB": postgres_url}
    command = [sys.executable, "-m", "kehoach", "ingest", "--no-progress", "--workers", "1"]
    processes = [
        subprocess.Popen([*command, *inputs], env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for inputs in (first, second)
    ]
    results = [process.communicate(timeout=300) for process in processes]
    for process, (_, stderr) in zip(processes, results, strict=True):
        assert process.returncode == 0, stderr.decode()
    engine = make_engine(postgres_url)
    with engine.connect() as connection:
        documents = connection.execute(text("SELECT count(*), count(DISTINCT sha256) FROM documents")).one()
        agencies = connection.execute(text("SELECT count(*), count(DISTINCT name_folded) FROM agencies")).one()
        runs = connection.execute(text("SELECT sum(ingested), sum(unchanged), count(*) FROM ingest_runs")).one()
    assert tuple(documents) == (3, 3)
    assert agencies[0] == agencies[1]
    assert tuple(runs) == (3, 1, 2)
