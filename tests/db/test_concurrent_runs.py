"""Two and four ``kehoach ingest`` commands at once over overlapping batches, into one database (issue 10, item 7).

Every file is given to at least two of the runs.  On SQLite the writers queue for the write lock
(busy timeout, ``BEGIN IMMEDIATE``) and must never fail with "database is locked"; on PostgreSQL a
run that loses the race for the same bytes counts them as unchanged.  Either way the database must
end as one clean run leaves it: each document once, nothing lost, no orphans.
(``test_concurrency.py`` covers concurrent writers inside one process and agency races.)
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.db.db_state import ingest_command, make_batch, run_ingest, sqlite_checks, state


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], dict[str, object]]:
    """The files and the state one clean run of all of them leaves (SQLite)."""
    folder = tmp_path_factory.mktemp("concurrent") / "inputs"
    files = make_batch(folder)
    url = f"sqlite:///{folder.parent / 'clean.db'}"
    done = run_ingest(folder, url)
    assert done.returncode == 0, done.stderr
    return files, state(url)


def _overlapping(files: list[Path], runs: int) -> list[list[Path]]:
    """``runs`` slices spread so that every file is in two of them (odd ones reversed: both ends contend)."""
    size = min(len(files), -(-2 * len(files) // runs))
    step = len(files) / runs
    slices = [[files[(round(i * step) + k) % len(files)] for k in range(size)] for i in range(runs)]
    return [inputs[::-1] if i % 2 else inputs for i, inputs in enumerate(slices)]


@pytest.mark.parametrize("runs", [2, 4])
def test_concurrent_runs_overlapping_batches(db_url: str, batch, runs: int) -> None:
    files, clean = batch
    slices = _overlapping(files, runs)
    assert all(sum(f in s for s in slices) >= 2 for f in files)
    processes = [
        subprocess.Popen(ingest_command(inputs, db_url, workers=1), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for inputs in slices
    ]
    outputs = [process.communicate(timeout=600) for process in processes]
    for process, (_, stderr) in zip(processes, outputs, strict=True):
        message = stderr.decode()
        assert process.returncode == 0, message
        assert "database is locked" not in message and "Traceback" not in message
    assert state(db_url) == clean
    engine = create_engine(db_url)
    with engine.connect() as connection:
        ingested, unchanged, count = connection.execute(
            text("SELECT sum(ingested), sum(unchanged), count(*) FROM ingest_runs")
        ).one()
        errors = connection.execute(text("SELECT count(*) FROM ingest_errors")).scalar_one()
    engine.dispose()
    assert (count, errors) == (runs, 0)
    assert ingested == len(files)  # each file stored by exactly one run
    assert ingested + unchanged == sum(len(s) for s in slices)  # the others counted it as unchanged
    if db_url.startswith("sqlite"):
        assert sqlite_checks(db_url) == (["ok"], [])
