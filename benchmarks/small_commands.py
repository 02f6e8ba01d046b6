"""Start-up cost of kehoach's small commands, side by side with Debian's ``sqlite3`` (issue 8 item 5).

Each command runs as a fresh process, ``--repeat`` times; wall time is measured around the
process and CPU time (user + system, the process time the issue's 0.5 s budget is about) from
the children's resource usage.  The database is the bundled ``data/raw`` samples, ingested once
into a temporary file (or ``--db FILE``).  Prints a Markdown table for the README.

    .venv/bin/python benchmarks/small_commands.py --repeat 7
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KEHOACH = Path(sys.executable).with_name("kehoach")
SQL = "SELECT lead, count(*) AS n FROM v_tasks GROUP BY lead ORDER BY n DESC"


def commands(db: Path) -> list[tuple[str, list[str]]]:
    kehoach = [str(KEHOACH)] if KEHOACH.exists() else [sys.executable, "-m", "kehoach"]
    rows = [
        ("sqlite3 -csv (count by lead)", ["sqlite3", "-csv", str(db), SQL]),
        ("kehoach query --format csv (count by lead)", [*kehoach, "query", SQL, "--db", str(db), "--format", "csv"]),
        ("kehoach query (terminal table)", [*kehoach, "query", SQL, "--db", str(db)]),
        ("sqlite3 -csv (all of v_timeline)", ["sqlite3", "-csv", "-header", str(db), "SELECT * FROM v_timeline"]),
        ("kehoach query --format csv (all of v_timeline)",
         [*kehoach, "query", "SELECT * FROM v_timeline", "--db", str(db), "--format", "csv"]),
        ("kehoach timeline --format csv", [*kehoach, "timeline", "--db", str(db), "--format", "csv"]),
        ("kehoach timeline (terminal table)", [*kehoach, "timeline", "--db", str(db)]),
        ("kehoach search \"ke hoach\"", [*kehoach, "search", "ke hoach", "--db", str(db), "--format", "csv"]),
        ("kehoach --version", [*kehoach, "--version"]),
    ]  # fmt: skip
    return [(name, argv) for name, argv in rows if shutil.which(argv[0]) or Path(argv[0]).exists()]


def measure(argv: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run of ``argv``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.decode()[:400]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--db", type=Path, help="a kehoach SQLite database (default: ingest data/raw into a temp file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = args.db
        if db is None:
            db = Path(folder) / "kehoach.db"
            kehoach = [str(KEHOACH)] if KEHOACH.exists() else [sys.executable, "-m", "kehoach"]
            ingest = [*kehoach, "-q", "ingest", str(ROOT / "data" / "raw"), "--db", str(db)]
            subprocess.run(ingest, check=True, stdout=subprocess.DEVNULL)
        print(f"{args.repeat} runs each on {db.name}; seconds\n")
        print("| command | wall best | wall median | CPU best | CPU median |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for name, argv in commands(db):
            measure(argv)  # warm the page cache
            runs = [measure(argv) for _ in range(args.repeat)]
            walls, cpus = [w for w, _ in runs], [c for _, c in runs]
            print(
                f"| {name} | {min(walls):.3f} | {statistics.median(walls):.3f} "
                f"| {min(cpus):.3f} | {statistics.median(cpus):.3f} |"
            )


if __name__ == "__main__":
    main()
