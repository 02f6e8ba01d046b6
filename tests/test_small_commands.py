"""``kehoach query`` prints what SQLite's own shell prints (issue 8 item 5: rows straight from the cursor).

The small commands no longer go through pandas, so their output must be checked against an
independent reader of the same database: Debian's ``sqlite3`` shell, in its CSV and JSON modes,
on the sample plans ingested by the real pipeline.  (Their speed is measured beside sqlite3 in
``benchmarks/small_commands.py``, not in a timed test.)
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
QUERIES = [
    "SELECT * FROM v_timeline ORDER BY task_id",
    "SELECT lead, count(*) AS n FROM v_tasks GROUP BY lead ORDER BY n DESC, lead",
    "SELECT * FROM v_targets ORDER BY target_id",
    "SELECT id, number, issued_on, recipients, pages FROM documents ORDER BY id",
]

pytestmark = pytest.mark.skipif(shutil.which("sqlite3") is None, reason="needs sqlite3 (apt-get install sqlite3)")


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("small") / "k.db"
    files = [str(p) for p in sorted(RAW.glob("*.txt"))] + [str(RAW / "000_8544ea3e62a3c3aa.docx")]
    done = subprocess.run(
        [sys.executable, "-m", "kehoach", "-q", "ingest", *files, "--db", str(path)], cwd=ROOT, capture_output=True
    )
    assert done.returncode == 0, done.stderr
    return path


def kehoach(database: Path, sql: str, fmt: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "kehoach", "query", sql, "--db", str(database), "--format", fmt],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def sqlite3_shell(database: Path, sql: str, mode: str) -> str:
    done = subprocess.run(["sqlite3", f"-{mode}", "-header", str(database), sql], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("sql", QUERIES)
def test_csv_is_what_sqlite3_prints(database: Path, sql: str) -> None:
    ours = list(csv.reader(io.StringIO(kehoach(database, sql, "csv"))))
    theirs = list(csv.reader(io.StringIO(sqlite3_shell(database, sql, "csv"))))
    assert len(ours) > 1
    assert ours == theirs


@pytest.mark.parametrize("sql", QUERIES)
def test_json_and_jsonl_have_sqlite3s_values_and_types(database: Path, sql: str) -> None:
    theirs = json.loads(sqlite3_shell(database, sql, "json") or "[]")
    ours = json.loads(kehoach(database, sql, "json"))
    lines = [json.loads(line) for line in kehoach(database, sql, "jsonl").splitlines()]
    assert ours == theirs == lines
    assert any(isinstance(v, int) for row in ours for v in row.values())  # ints stay ints, NULL is null
