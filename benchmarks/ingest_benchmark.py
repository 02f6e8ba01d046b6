"""How fast ``kehoach ingest`` runs, and whether time and memory stay linear as the batch grows.

Usage (from the project root; takes a few minutes on 2 cores):

    .venv/bin/python benchmarks/ingest_benchmark.py                  # 1x, 10x, 50x; SQLite and PostgreSQL
    .venv/bin/python benchmarks/ingest_benchmark.py --scales 1,10    # quicker
    .venv/bin/python benchmarks/ingest_benchmark.py --with-scanned   # include the OCR sample (~10 s a copy)

The bundled samples (``data/raw``) are copied N times with distinct bytes
(a line appended to text files, a comment after ``%%EOF`` in PDFs, a ZIP
comment in DOCX files: every reader still accepts them, and each copy is a
new document to the database).  Each configuration ingests into a fresh
database: SQLite, and PostgreSQL (a throwaway server started here unless
``--pg URL`` names one) with 1 and 2 worker processes.  Printed per run:
documents/s, PDF pages/s, peak RSS of the whole process tree (parent +
workers, sampled with psutil) and, per configuration, the time growth from
10x to 50x (5.0 is linear).  The scanned PDF is left out by default because
OCR (~10 s a page set) would dominate every figure.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "raw"
PG_BIN = Path(os.environ.get("KEHOACH_PG_BIN", "/usr/lib/postgresql/15/bin"))


# --------------------------------------------------------------------------- inputs


def make_copy(source: Path, target: Path, copy: int) -> None:
    """Copy ``source`` with bytes that differ per ``copy`` but read the same."""
    data = source.read_bytes()
    if data[:5] == b"%PDF-":
        target.write_bytes(data + f"\n% kehoach benchmark copy {copy}\n".encode())
    elif data[:4] == b"PK\x03\x04":
        target.write_bytes(data)
        with zipfile.ZipFile(target, "a") as archive:
            archive.comment = f"kehoach benchmark copy {copy}".encode()
    else:
        target.write_bytes(data + f"\n(Bản sao {copy})\n".encode())


def replicate(folder: Path, scale: int, with_scanned: bool) -> list[Path]:
    sources = [
        p for p in sorted(SAMPLES.iterdir()) if p.is_file() and (with_scanned or ".scanned." not in p.name.lower())
    ]
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for copy in range(scale):
        for source in sources:
            target = folder / f"c{copy:03d}_{source.name}"
            make_copy(source, target, copy)
            files.append(target)
    return files


# --------------------------------------------------------------------------- PostgreSQL


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """A throwaway PostgreSQL server (as in tests/db/conftest.py); yields its base URL."""
    root = Path(tempfile.mkdtemp(prefix="kehoach-bench-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    data, port = root / "data", _free_port()
    subprocess.run(_as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]), check=True,
                   capture_output=True)  # fmt: skip
    options = f"-c listen_addresses=127.0.0.1 -p {port} -c fsync=off -k {root}"
    subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-o", options, "-w",
                                 "start"]), check=True, capture_output=True)  # fmt: skip
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]),
                       capture_output=True)  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


def fresh_postgres_database(base: str, name: str) -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0"))
    engine.dispose()
    return f"{base}/{name}"


# --------------------------------------------------------------------------- measuring


class TreeMemory:
    """Peak resident memory of a process and all its descendants, sampled every 50 ms."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        import psutil

        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self._stop.is_set():
            total = 0
            try:
                for process in [root, *root.children(recursive=True)]:
                    with contextlib.suppress(psutil.Error):
                        total += process.memory_info().rss
            except psutil.Error:
                break
            self.peak = max(self.peak, total)
            time.sleep(0.05)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Result:
    database: str
    workers: int
    scale: int
    documents: int
    pdf_pages: int
    seconds: float
    peak_rss_mb: float
    failed: int


def count(url: str) -> tuple[int, int, int]:
    from kehoach.pipeline.db import make_engine
    from sqlalchemy import text

    engine = make_engine(url)
    with engine.connect() as connection:
        documents = connection.execute(text("SELECT count(*) FROM documents")).scalar_one()
        pages = connection.execute(text("SELECT coalesce(sum(pages), 0) FROM documents WHERE format LIKE 'pdf%'"))
        failed = connection.execute(text("SELECT count(*) FROM ingest_errors")).scalar_one()
        result = documents, int(pages.scalar_one()), failed
    engine.dispose()
    return result


def run_ingest(files_dir: Path, url: str, workers: int) -> tuple[float, float]:
    command = [sys.executable, "-m", "kehoach", "ingest", str(files_dir), "--db", url, "--workers", str(workers),
               "--no-progress"]  # fmt: skip
    began = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    with TreeMemory(process.pid) as memory:
        _, stderr = process.communicate()
    seconds = time.perf_counter() - began
    if process.returncode not in (0, 1):
        raise SystemExit(f"ingest failed ({process.returncode}): {stderr.decode()[-2000:]}")
    return seconds, memory.peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="1,10,50", help="Replication factors, comma separated.")
    parser.add_argument("--workers", default="1,2", help="Worker counts, comma separated.")
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite and/or postgresql.")
    parser.add_argument("--pg", help="PostgreSQL server URL (no database name); default: start a throwaway one.")
    parser.add_argument("--with-scanned", action="store_true", help="Include the scanned PDF (OCR, slow).")
    args = parser.parse_args()
    scales = [int(s) for s in args.scales.split(",")]
    workers_list = [int(w) for w in args.workers.split(",")]
    databases = args.databases.split(",")
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="kehoach-bench-") as tmp, contextlib.ExitStack() as stack:
        base = Path(tmp)
        pg_base = None
        if "postgresql" in databases:
            if args.pg:
                pg_base = args.pg.rstrip("/")
            elif (PG_BIN / "pg_ctl").exists():
                pg_base = stack.enter_context(postgres_server())
            else:
                print(f"PostgreSQL binaries not in {PG_BIN}: PostgreSQL runs skipped", file=sys.stderr)
                databases = [d for d in databases if d != "postgresql"]
        print(f"inputs: {SAMPLES} x {scales}" + ("" if args.with_scanned else " (scanned PDF excluded: OCR)"))
        for scale in scales:
            inputs = base / f"inputs-{scale}"
            files = replicate(inputs, scale, args.with_scanned)
            for database in databases:
                for workers in workers_list:
                    name = f"bench_{scale}_{workers}"
                    if database == "sqlite":
                        url = f"sqlite:///{base / (name + '.db')}"
                    else:
                        url = fresh_postgres_database(pg_base, name)  # type: ignore[arg-type]
                    seconds, peak = run_ingest(inputs, url, workers)
                    documents, pages, failed = count(url)
                    result = Result(database, workers, scale, documents, pages, seconds, peak, failed)
                    results.append(result)
                    print(
                        f"{database:10} workers={workers} {scale:3}x: {len(files):4} files, {documents:4} docs "
                        f"in {seconds:6.1f} s = {documents / seconds:5.2f} docs/s, {pages / seconds:6.1f} PDF pages/s, "
                        f"peak RSS {peak:6.0f} MB" + (f", {failed} FAILED" if failed else ""),
                        flush=True,
                    )
            shutil.rmtree(inputs)
    print("\ngrowth of wall time from 10x to 50x (5.0 = linear):")
    for database in databases:
        for workers in workers_list:
            by_scale = {r.scale: r for r in results if r.database == database and r.workers == workers}
            if 10 in by_scale and 50 in by_scale:
                growth = by_scale[50].seconds / by_scale[10].seconds
                memory = by_scale[50].peak_rss_mb / by_scale[10].peak_rss_mb
                print(f"  {database:10} workers={workers}: time x{growth:.2f}, peak RSS x{memory:.2f}")


if __name__ == "__main__":
    main()
