"""What a database holds after an ingest, in a form two runs can be compared by (crash and concurrency tests).

Row ids differ from run to run; what must not differ is which documents are stored (bytes and path),
what each holds (tasks, targets, sections, agency links, references), which agencies exist, and that
no row points at a row that is gone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

CORPUS = Path(__file__).resolve().parents[1] / "corpus"

CHILDREN = {
    "sections": "SELECT count(*) FROM sections s WHERE s.document_id = d.id",
    "tasks": "SELECT count(*) FROM tasks t WHERE t.document_id = d.id",
    "targets": "SELECT count(*) FROM targets t WHERE t.document_id = d.id",
    "legal_refs": "SELECT count(*) FROM legal_references r WHERE r.document_id = d.id",
    "task_agencies": (
        "SELECT count(*) FROM task_agencies ta JOIN tasks t ON t.id = ta.task_id WHERE t.document_id = d.id"
    ),
    "mentions": "SELECT count(*) FROM agency_mentions m WHERE m.document_id = d.id",
}
ORPHANS = {
    "sections": "SELECT count(*) FROM sections c LEFT JOIN documents p ON p.id = c.document_id WHERE p.id IS NULL",
    "tasks": "SELECT count(*) FROM tasks c LEFT JOIN documents p ON p.id = c.document_id WHERE p.id IS NULL",
    "targets": "SELECT count(*) FROM targets c LEFT JOIN documents p ON p.id = c.document_id WHERE p.id IS NULL",
    "milestones": "SELECT count(*) FROM milestones c LEFT JOIN tasks p ON p.id = c.task_id WHERE p.id IS NULL",
    "task_agencies": "SELECT count(*) FROM task_agencies c LEFT JOIN tasks p ON p.id = c.task_id WHERE p.id IS NULL",
    "task_agency_agencies": (
        "SELECT count(*) FROM task_agencies c LEFT JOIN agencies p ON p.id = c.agency_id WHERE p.id IS NULL"
    ),
    "mentions": "SELECT count(*) FROM agency_mentions c LEFT JOIN documents p ON p.id = c.document_id "
    "WHERE p.id IS NULL",
    "references": "SELECT count(*) FROM legal_references c LEFT JOIN documents p ON p.id = c.document_id "
    "WHERE p.id IS NULL",
    "errors": "SELECT count(*) FROM ingest_errors c LEFT JOIN ingest_runs p ON p.id = c.run_id "
    "WHERE c.run_id IS NOT NULL AND p.id IS NULL",
}


def state(url: str) -> dict[str, object]:
    """Documents (sha256, path) with their child-row counts, agency names, and orphan counts."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            counts = ", ".join(f"({sql}) AS {name}" for name, sql in CHILDREN.items())
            rows = connection.execute(text(f"SELECT d.sha256, d.source_path, {counts} FROM documents d")).all()
            agencies = sorted(connection.execute(text("SELECT name FROM agencies")).scalars())
            orphans = {name: connection.execute(text(sql)).scalar_one() for name, sql in ORPHANS.items()}
            duplicates = connection.execute(
                text("SELECT count(*) - count(DISTINCT sha256) FROM documents")
            ).scalar_one()
    finally:
        engine.dispose()
    return {
        "documents": sorted(tuple(row) for row in rows),
        "agencies": agencies,
        "orphans": {name: count for name, count in orphans.items() if count},
        "duplicates": duplicates,
    }


def sqlite_checks(url: str) -> tuple[list[str], list[tuple]]:
    """``PRAGMA integrity_check`` and ``PRAGMA foreign_key_check`` of an SQLite database."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            integrity = list(connection.exec_driver_sql("PRAGMA integrity_check").scalars())
            foreign = [tuple(row) for row in connection.exec_driver_sql("PRAGMA foreign_key_check")]
    finally:
        engine.dispose()
    return integrity, foreign


def count_documents(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM documents")).scalar_one()
    except Exception:  # noqa: BLE001 - no schema yet
        return 0
    finally:
        engine.dispose()


def make_batch(folder: Path, copies: int = 2) -> list[Path]:
    """Distinct-bytes copies of the dev texts and the text-layer dev PDFs: a batch of a few seconds."""
    folder.mkdir(parents=True, exist_ok=True)
    made: list[Path] = []
    for copy in range(copies):
        for text_file in sorted((CORPUS / "dev").glob("*.txt")):
            target = folder / f"{copy}-{text_file.name}"
            target.write_bytes(text_file.read_bytes() + b"\n" * copy)
            made.append(target)
    for pdf in sorted((CORPUS / "dev-bin").glob("*.pdf")):
        if ".scanned." not in pdf.name:
            made.append(Path(shutil.copy(pdf, folder / pdf.name)))
    return made


def ingest_command(inputs: list[Path] | Path, url: str, workers: int = 2) -> list[str]:
    paths = [str(inputs)] if isinstance(inputs, Path) else [str(p) for p in inputs]
    return [sys.executable, "-m", "kehoach", "ingest", *paths, "--db", url, "--workers", str(workers), "--no-progress"]


def run_ingest(inputs: list[Path] | Path, url: str, workers: int = 2) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ingest_command(inputs, url, workers), capture_output=True, text=True, timeout=600, check=False,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
