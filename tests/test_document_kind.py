"""Files that are not administrative documents yield no tasks, and say so."""

from __future__ import annotations

from pathlib import Path

from kehoach.extractors.document_kind import not_administrative
from kehoach.extractors.extract import extract
from kehoach.pipeline.cli import app
from kehoach.pipeline.ingest import read_document
from typer.testing import CliRunner

ROOT = Path(__file__).parent.parent
DEV = Path(__file__).parent / "corpus" / "dev"


def test_the_project_readme_is_not_a_plan():
    extraction = extract(read_document(ROOT / "README.md"))
    assert extraction.tasks == [] and extraction.targets == []
    assert any("not an administrative document" in w for w in extraction.source.warnings)


def test_a_corpus_listing_is_not_a_plan():
    parsed = read_document(Path(__file__).parent / "corpus" / "README.md")
    assert not_administrative(parsed) is not None


def test_every_corpus_text_is_administrative():
    for path in sorted(DEV.glob("*.txt")):
        assert not_administrative(read_document(path)) is None, path.name


def test_the_command_line_says_why_a_file_gave_no_tasks():
    result = CliRunner().invoke(app, ["extract", str(ROOT / "README.md")])
    assert result.exit_code == 0
    assert "warning: not an administrative document" in result.output
    assert "0 tasks" in result.output
