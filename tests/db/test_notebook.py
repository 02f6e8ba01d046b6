"""The example notebook runs from top to bottom against a database built from the bundled samples."""

from __future__ import annotations

import io
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from kehoach.pipeline.cli import app
from kehoach.pipeline.db import make_engine
from nbclient import NotebookClient
from sqlalchemy import text
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "timeline_exploration.ipynb"
RAW = ROOT / "data" / "raw"
"""Every rendering (TXT, DOCX, PDF, the scan): the notebook must count each plan once."""


@pytest.mark.slow
def test_notebook_runs_on_sample_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "kehoach.db"
    result = CliRunner().invoke(app, ["ingest", "--no-progress", "--workers", "1", "--db", str(db), str(RAW)])
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
    # Counts are per plan, not per rendering: the first table and the lead ranking agree with v_tasks.
    engine = make_engine(f"sqlite:///{db}", read_only=True)
    with engine.connect() as connection:
        plans, tasks = connection.execute(
            text("SELECT (SELECT count(*) FROM plans), (SELECT count(*) FROM v_tasks)")
        ).one()
        top_led = connection.execute(
            text(
                "SELECT count(DISTINCT ta.task_id) AS n FROM task_agencies ta JOIN v_tasks t ON t.task_id = ta.task_id"
                " WHERE ta.role = 'lead' GROUP BY ta.agency_id ORDER BY n DESC LIMIT 1"
            )
        ).scalar_one()
    engine.dispose()
    tables = [
        pd.read_html(io.StringIO(o["data"]["text/html"]))[0]
        for o in outputs
        if "<table" in o.get("data", {}).get("text/html", "")
    ]
    summary, per_lead = tables[0], tables[1]
    assert plans < summary.loc[0, "documents"]  # data/raw holds plans in several renderings
    assert (summary.loc[0, "plans"], summary.loc[0, "tasks"]) == (plans, tasks)
    assert per_lead["tasks_led"].max() == top_led
