"""The example notebook runs from top to bottom against a database built from the bundled samples."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from kehoach.pipeline.cli import app
from nbclient import NotebookClient
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "timeline_exploration.ipynb"
SAMPLES = sorted((ROOT / "data" / "raw").glob("*.txt"))
"""The text renderings only: the same plans as the PDFs and DOCX files, at a fraction of the time."""


@pytest.mark.slow
def test_notebook_runs_on_sample_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert SAMPLES, "data/raw holds the bundled sample plans"
    db = tmp_path / "kehoach.db"
    result = CliRunner().invoke(app, ["ingest", "--no-progress", "--workers", "1", "--db", str(db), *map(str, SAMPLES)])
    assert result.exit_code == 0, result.output
    monkeypatch.setenv("KEHOACH_DB", str(db))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        notebook, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert "AGENCY" in html and "DATE" in html  # the displaCy view shows both kinds of mention
    assert any("image/png" in o.get("data", {}) for o in outputs)  # the Gantt chart
    # The interactive chart: plotly's own output, each bar with its hover text (task, lead, due date).
    plotly = [
        o["data"]["application/vnd.plotly.v1+json"]
        for o in outputs
        if "application/vnd.plotly.v1+json" in o.get("data", {})
    ]
    assert plotly, "the notebook shows the interactive timeline"
    hover = [entry for trace in plotly[0]["data"] for entry in trace["customdata"]]
    assert hover and all(len(entry) == 5 and entry[0] and entry[1] for entry in hover)
    assert "Lead:" in plotly[0]["data"][0]["hovertemplate"]
