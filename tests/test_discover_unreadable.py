"""A sub-folder that cannot be listed is reported and recorded, never skipped in silence (issue 13)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from kehoach.pipeline.cli import app
from kehoach.pipeline.discover import discover_all
from typer.testing import CliRunner

DEV = Path(__file__).parent / "corpus" / "dev"


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, Path]:
    """plans/ with one readable plan and a sub-folder locked/ holding another."""
    plans = tmp_path / "plans"
    locked = plans / "locked"
    locked.mkdir(parents=True)
    small = sorted(DEV.glob("*.txt"), key=lambda p: p.stat().st_size)
    (plans / "open.txt").write_bytes(small[0].read_bytes())
    (locked / "hidden.txt").write_bytes(small[1].read_bytes())
    return plans, locked


@pytest.fixture
def unlisted(tree: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """The sub-folder fails to list as it does without read permission (root may read anything)."""
    _, locked = tree
    if os.geteuid() != 0:
        locked.chmod(0)
        yield tree
        locked.chmod(0o755)
        return
    real = os.scandir

    def scandir(path="."):  # noqa: ANN001, ANN202 - os.scandir's signature
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    yield tree


def test_discover_unreadable_folder_is_listed(unlisted: tuple[Path, Path]) -> None:
    plans, locked = unlisted
    found = discover_all([plans])
    assert [p.name for p in found.files] == ["open.txt"]
    assert found.unreadable == [(locked, "folder cannot be read (Permission denied): its documents were left out")]


def test_discover_readable_tree_has_no_unreadable(tree: tuple[Path, Path]) -> None:
    found = discover_all([tree[0]])
    assert sorted(p.name for p in found.files) == ["hidden.txt", "open.txt"] and found.unreadable == []


def test_discover_unreadable_folder_is_an_ingest_error_row(unlisted: tuple[Path, Path], tmp_path: Path) -> None:
    plans, locked = unlisted
    db = tmp_path / "k.db"
    result = CliRunner().invoke(app, ["ingest", str(plans), "--db", str(db), "--no-progress", "--workers", "1"])
    assert result.exit_code == 1, result.output
    assert f"kehoach: {locked}: folder cannot be read (Permission denied)" in result.output
    connection = sqlite3.connect(db)
    rows = connection.execute("SELECT path, error_class FROM ingest_errors").fetchall()
    assert rows == [(str(locked), "IngestError")]
    assert connection.execute("SELECT failed FROM ingest_runs").fetchone() == (1,)
    connection.close()
