"""Repeated ``kill -9`` trials on SQLite: the parent or a worker of ``kehoach ingest --workers 2`` killed after a
random number of stored documents, the command rerun, the database compared with a clean run's.

Usage (from the project root; about a minute a trial on 2 busy cores):

    .venv/bin/python benchmarks/kill_trials.py 12

The CI tests (``tests/db/test_crash_recovery.py``) kill at fixed points on SQLite and PostgreSQL; this
draws the victim and the moment at random (seeded) to try many more.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.db.db_state import (  # noqa: E402 - the project root first
    count_documents,
    ingest_command,
    make_batch,
    run_ingest,
    sqlite_checks,
    state,
)


def main() -> None:
    trials = int(sys.argv[1]) if len(sys.argv) > 1 else 12
    with tempfile.TemporaryDirectory(prefix="kehoach-kill-") as work:
        trial_runs(Path(work), trials)


def trial_runs(work: Path, trials: int) -> None:
    folder = work / "inputs"
    make_batch(folder)
    clean_url = f"sqlite:///{work / 'clean.db'}"
    assert run_ingest(folder, clean_url).returncode == 0
    clean = state(clean_url)
    rng = random.Random(3)
    ok = 0
    for trial in range(trials):
        url = f"sqlite:///{work / f'trial-{trial}.db'}"
        target = rng.choice(["parent", "worker"])
        at = rng.randint(1, 35)
        p = subprocess.Popen(ingest_command(folder, url), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while count_documents(url) < at and p.poll() is None:
            time.sleep(0.02)
        kids = psutil.Process(p.pid).children(recursive=True) if p.poll() is None else []
        workers = [k for k in kids if k.ppid() != p.pid]
        if target == "parent":
            p.send_signal(signal.SIGKILL)
        elif workers:
            rng.choice(workers).send_signal(signal.SIGKILL)
        p.wait()
        _, alive = psutil.wait_procs(kids, timeout=10)
        partial = len(state(url)["documents"])
        rerun = run_ingest(folder, url)
        same = state(url) == clean and sqlite_checks(url) == (["ok"], []) and rerun.returncode == 0 and not alive
        ok += same
        verdict = "= clean" if same else "DIFFERS"
        print(f"trial {trial}: kill {target} after {at} documents: {partial} stored, rerun {verdict}, "
              f"orphans {len(alive)}", flush=True)  # fmt: skip
    print(f"{ok} of {trials} trials ended as a clean run")


if __name__ == "__main__":
    main()
