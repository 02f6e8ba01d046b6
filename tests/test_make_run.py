"""The main job on a fresh machine: `make run` without Tesseract ingests everything else and exits 0.

Tesseract (and apt-get) are hidden by running with a PATH made of links to
every other program, which is what a machine without the package looks like
to kehoach: ``shutil.which("tesseract")`` finds nothing.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
SCAN = RAW / "003_3286ee62c434ea9b.scanned.pdf"


def path_without(tmp_path: Path, *hidden: str) -> str:
    """A PATH holding every program of the current PATH except ``hidden``."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        if not os.path.isdir(directory):
            continue
        for entry in os.scandir(directory):
            target = folder / entry.name
            if entry.name in hidden or target.exists() or not os.access(entry.path, os.X_OK):
                continue
            target.symlink_to(entry.path)
    return str(folder)


def ingest(db: Path, *paths: Path, path: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PATH=path or os.environ["PATH"], COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-m", "kehoach", "ingest", "--no-progress", "--db", str(db), *map(str, paths)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def counts(db: Path) -> tuple[int, list[tuple[str, str]]]:
    with sqlite3.connect(db) as connection:
        documents = connection.execute("SELECT count(*) FROM documents").fetchone()[0]
        errors = connection.execute("SELECT path, error_class FROM ingest_errors").fetchall()
    return documents, errors


@pytest.mark.slow
def test_ingest_without_tesseract_skips_the_scan_with_a_warning_and_exits_0(tmp_path: Path) -> None:
    assert SCAN.exists()
    db = tmp_path / "k.db"
    done = ingest(db, RAW, path=path_without(tmp_path, "tesseract"))
    assert done.returncode == 0, done.stderr
    warning = [line for line in done.stderr.splitlines() if SCAN.name in line]
    assert len(warning) == 1 and "warning" in warning[0] and "skipped" in warning[0]
    assert "tesseract-ocr-vie" in warning[0]  # the package to install
    assert "Traceback" not in done.stderr
    header, row = (line for line in done.stdout.splitlines() if "│" in line or "┃" in line)
    table = dict(zip(header.replace("┃", " ").split(), row.replace("│", " ").split(), strict=True))
    files = sum(1 for p in RAW.iterdir() if p.is_file() and not p.name.startswith("."))
    assert table["files"] == str(files) and table["skipped"] == "1" and table["failed"] == "0"
    documents, errors = counts(db)
    assert documents == files - 1  # everything but the scan
    assert [(Path(p).name, cls) for p, cls in errors] == [(SCAN.name, "MissingDependencyError")]

    if shutil.which("tesseract") is None:
        return
    again = ingest(db, RAW)  # the tool installed: the skipped scan is read, the rest is unchanged
    assert again.returncode == 0, again.stderr
    assert counts(db)[0] == files


def test_a_real_failure_still_exits_1_beside_a_skipped_scan(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SCAN, folder / SCAN.name)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj <<")
    done = ingest(tmp_path / "k.db", folder, path=path_without(tmp_path, "tesseract"))
    assert done.returncode == 1
    assert f"warning: {folder / SCAN.name}: skipped:" in done.stderr
    assert "broken.pdf" in done.stderr and "warning: " + str(folder / "broken.pdf") not in done.stderr


def make(*args: str, path: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "-s", "-C", str(ROOT), *args],
        env=dict(os.environ, PATH=path),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.skipif(shutil.which("make") is None or shutil.which("dpkg") is None, reason="needs make and dpkg")
def test_run_deps_without_apt_warns_and_goes_on(tmp_path: Path) -> None:
    done = make(
        "run-deps", "RUN_PACKAGES=tesseract-ocr kehoach-no-such-package", path=path_without(tmp_path, "apt-get")
    )
    assert done.returncode == 0, done.stderr
    assert "warning: missing system packages: kehoach-no-such-package" in done.stdout
    assert "tesseract-ocr " not in done.stdout.split("packages:")[1]  # installed ones are not listed


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_run_installs_the_notebook_extra_and_the_run_time_packages() -> None:
    done = make("-n", "-B", "run", path=os.environ["PATH"])  # -B: as on a fresh clone, every step is due
    assert done.returncode == 0, done.stderr
    assert 'pip install --quiet -e ".[notebook]"' in done.stdout
    assert "tesseract-ocr-vie" in done.stdout and "postgresql" not in done.stdout  # the run-time subset
    assert done.stdout.rstrip().endswith("kehoach ingest data/raw")
