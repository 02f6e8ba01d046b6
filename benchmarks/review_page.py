"""How long the review app takes to draw a plan page, measured where the time is spent: on the server.

Usage (from the project root):

    .venv/bin/python benchmarks/review_page.py                  # ingests data/raw into a temporary SQLite file
    .venv/bin/python benchmarks/review_page.py --db URL --runs 50

For the largest plan in the database (most characters; the primary rendering) and for the
plans list, prints the median and 90th percentile of the app's own time per request (the
``Server-Timing`` header the app sets: queries, span rendering and the template, without the
network), the page size, and the number of tasks and characters.  Requests go through
Starlette's in-process test client, so no socket or browser time is counted.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _server_ms(response) -> float:  # noqa: ANN001 - httpx Response
    return float(response.headers["server-timing"].split("dur=")[1])


def _measure(client, url: str, runs: int) -> tuple[float, float, int]:  # noqa: ANN001 - TestClient
    client.get(url)  # warm: templates compiled, registry loaded
    times = sorted(_server_ms(client.get(url)) for _ in range(runs))
    return statistics.median(times), times[int(0.9 * (len(times) - 1))], len(client.get(url).content)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="database URL (default: data/raw ingested into a temporary SQLite file)")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    from fastapi.testclient import TestClient
    from kehoach.pipeline.db import make_engine, resolve_url
    from kehoach.pipeline.review.app import Settings, create_app
    from sqlalchemy import text

    with tempfile.TemporaryDirectory() as folder:
        url = args.db
        if url is None:
            url = f"sqlite:///{folder}/sample.db"
            command = [sys.executable, "-m", "kehoach", "ingest", str(ROOT / "data" / "raw"), "--db", url]
            subprocess.run([*command, "--no-progress"], check=True, capture_output=True)
        url = resolve_url(url)
        engine = make_engine(url, read_only=True)
        with engine.connect() as conn:
            document_id, name, characters = conn.execute(
                text(
                    "SELECT d.id, d.source_path, length(d.content) FROM documents d"
                    " JOIN plans p ON p.primary_document_id = d.id ORDER BY length(d.content) DESC"
                )
            ).first()
            tasks = conn.execute(text("SELECT count(*) FROM tasks WHERE document_id = :d"), {"d": document_id}).scalar()
        engine.dispose()
        with TestClient(create_app(Settings(url=url))) as client:
            plan = _measure(client, f"/plans/{document_id}", args.runs)
            plans = _measure(client, "/", args.runs)
    print(f"largest plan: {Path(name).name}, {characters:,} characters, {tasks} tasks, {args.runs} requests")
    print(f"plan page : median {plan[0]:.1f} ms, p90 {plan[1]:.1f} ms, {plan[2] / 1024:.0f} KiB")
    print(f"plans list: median {plans[0]:.1f} ms, p90 {plans[1]:.1f} ms, {plans[2] / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
