"""The Gantt charts (PNG and interactive HTML) on a database built from data/raw: what a reader sees.

The figure is inspected, not compared with a stored picture: labels hold
whole words only, rows are grouped by plan, legend colours are distinct with
"(no lead)" grey, the axis spans the bars, and the HTML carries each bar's
hover text.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from kehoach.pipeline.cli import app
from kehoach.pipeline.db import make_engine
from kehoach.pipeline.timeline import timeline
from kehoach.pipeline.timeline_plot import (
    LEAD_PALETTE,
    NO_LEAD,
    NO_LEAD_COLOUR,
    OTHER,
    OTHER_COLOUR,
    TOP_LEADS,
    gantt_figure,
    gantt_html_figure,
    gantt_layout,
    wrap_label,
)
from matplotlib.colors import to_hex
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"


@pytest.fixture(scope="module")
def raw_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample plans of data/raw through the real ingest command (the scan is skipped without Tesseract)."""
    db = tmp_path_factory.mktemp("timeline") / "raw.db"
    done = CliRunner().invoke(app, ["ingest", "--no-progress", "--workers", "1", "--db", str(db), str(RAW)])
    assert done.exit_code == 0, done.output
    return db


@pytest.fixture(scope="module")
def tasks(raw_db: Path):  # noqa: ANN201 - DataFrame
    engine = make_engine(f"sqlite:///{raw_db}", read_only=True)
    frame, _ = timeline(engine)
    engine.dispose()
    assert frame["due_on"].notna().sum() > 20, "data/raw has dated tasks to draw"
    return frame


def words_of(label: str) -> list[str]:
    return label.replace("\n", " ").removesuffix(" …").split()


def test_labels_hold_whole_words_of_the_task_and_plan(tasks) -> None:  # noqa: ANN001
    layout = gantt_layout(tasks)
    shortened = 0
    for row in layout.rows:
        source = row.bar.text if row.bar else next(r.bar.plan for r in layout.rows if r.bar and r.centre > row.centre)
        words = words_of(row.label)
        assert words == source.split()[: len(words)], f"{row.label!r} is not a word prefix of {source!r}"
        assert len(row.label.split("\n")) <= 3
        shortened += row.label.endswith("…")
    assert shortened, "the samples have task texts longer than two lines: they end in …"


def test_rows_are_grouped_by_plan_in_one_block_each(tasks) -> None:  # noqa: ANN001
    layout = gantt_layout(tasks)
    plans_in_order: list[str] = []
    for row in layout.rows:
        if row.bar is None:
            plans_in_order.append("")
        else:
            assert not plans_in_order[-1] or plans_in_order[-1] == row.bar.plan
            plans_in_order[-1] = row.bar.plan
    assert len(plans_in_order) == len(set(plans_in_order)) == tasks.dropna(subset=["due_on"])["plan"].nunique()
    centres = [row.centre for row in layout.rows]
    assert centres == sorted(centres) and layout.height >= centres[-1]


def test_png_colours_legend_and_axis(tasks) -> None:  # noqa: ANN001
    layout = gantt_layout(tasks)
    figure, drawn = gantt_figure(tasks, today=date(2024, 6, 1))
    axes = figure.axes[0]
    bars = [patch for patch in axes.patches if patch.get_zorder() == 2]
    assert drawn == len(bars) == len(layout.bars) == tasks["due_on"].notna().sum()
    (box,) = figure.legends
    legend = {text.get_text().replace("\n", " "): to_hex(handle.get_facecolor()) for text, handle in zip(
        box.get_texts(), box.get_patches(), strict=True)}  # fmt: skip
    assert len(set(legend.values())) == len(legend), f"a colour repeats in the legend: {legend}"
    assert legend.get(NO_LEAD) == NO_LEAD_COLOUR
    named = [name for name in legend if name not in (NO_LEAD, OTHER)]
    assert len(named) <= TOP_LEADS
    if OTHER in legend:
        assert legend[OTHER] == OTHER_COLOUR and len(named) == TOP_LEADS
    for patch, bar in zip(bars, layout.bars, strict=True):
        assert to_hex(patch.get_facecolor()) == layout.colours[bar.colour_key]
        first = bar.lead.split("; ")[0]
        assert bar.colour_key == (first if first in layout.colours else OTHER)
    # The axis spans the bars (with a small margin), not the calendar.
    low, high = (date(1970, 1, 1) + timedelta(days=v) for v in axes.get_xlim())
    first, last = min(b.start for b in layout.bars), max(b.end for b in layout.bars)
    margin = max(timedelta(days=7), (last - first) * 0.03)
    assert first - margin <= low <= first and last <= high <= last + margin
    # Everything fits in the figure: no label clipped at the left edge, the legend and title above the plot.
    renderer = figure.canvas.get_renderer()
    assert min(tick.get_window_extent(renderer).x0 for tick in axes.get_yticklabels()) >= 0
    plot = axes.get_window_extent(renderer)
    assert box.get_window_extent(renderer).y0 > plot.y1 and box.get_window_extent(renderer).y1 <= figure.bbox.y1
    labels_right = max(tick.get_window_extent(renderer).x1 for tick in axes.get_yticklabels())
    assert labels_right <= plot.x0 and plot.x1 <= figure.bbox.x1


def test_png_is_written_at_a_readable_size(tasks, tmp_path: Path) -> None:  # noqa: ANN001
    from kehoach.pipeline.timeline_plot import plot_gantt
    from PIL import Image

    out = tmp_path / "timeline.png"
    drawn = plot_gantt(tasks, out)
    width, height = Image.open(out).size
    assert width == 900  # 9 in at 100 dpi, shown 1:1 in the README: an 8 pt label is 11 px high
    rows = len(gantt_layout(tasks).rows)
    assert drawn and height >= rows * 15  # each row at least one text line high


def test_html_carries_hover_text_lead_and_due_date(raw_db: Path, tasks, tmp_path: Path) -> None:  # noqa: ANN001
    out = tmp_path / "timeline.html"
    done = CliRunner().invoke(app, ["timeline", "--db", str(raw_db), "--format", "csv", "--plot", str(out)])
    assert done.exit_code == 0, done.output
    html = out.read_text(encoding="utf-8")
    assert "<script" in html and not re.search(r"<script[^>]+src=\"https?:", html)  # self-contained: offline
    figure, drawn = gantt_html_figure(tasks)
    data = [json.loads(match) for match in re.findall(r'"customdata":(\[\[.*?\]\])', html)]
    hover = [entry for trace in data for entry in trace]
    assert len(hover) == drawn == len(gantt_layout(tasks).bars)
    layout = gantt_layout(tasks)
    for bar in layout.bars:
        entry = [" ".join(bar.text.split()), bar.lead, bar.due_text or bar.due_on.isoformat(), bar.end.isoformat()]
        assert [e for e in hover if e[0].replace("<br>", " ") == entry[0] and e[1:4] == entry[1:]], entry
    assert "Lead:" in html and "Due:" in html
    assert figure.layout.xaxis.range == tuple(d.isoformat() for d in layout.window)


def test_top_leads_get_colours_the_rest_other_and_no_lead_grey() -> None:
    leads = [f"Sở Số {i}" for i in range(TOP_LEADS + 3) for _ in range(TOP_LEADS + 3 - i)]
    rows = [
        {"task_id": n, "plan": "KH 1", "text": f"việc {n}", "lead": lead, "due_on": "2025-03-01"}
        for n, lead in enumerate([*leads, None, ""])
    ]
    layout = gantt_layout(rows)
    assert list(layout.colours) == [f"Sở Số {i}" for i in range(TOP_LEADS)] + [OTHER, NO_LEAD]
    assert list(layout.colours.values()) == [*LEAD_PALETTE[:TOP_LEADS], OTHER_COLOUR, NO_LEAD_COLOUR]
    assert {bar.colour_key for bar in layout.bars if bar.lead == f"Sở Số {TOP_LEADS}"} == {OTHER}
    assert [bar.colour_key for bar in layout.bars if bar.lead == NO_LEAD] == [NO_LEAD, NO_LEAD]


def test_wrap_label_breaks_between_words_only() -> None:
    text = "Xây dựng kế hoạch chuyển đổi số giai đoạn 2026-2030 của Ủy ban nhân dân tỉnh Lạng Sơn và các huyện"
    label = wrap_label(text, 20, 2)
    assert label.endswith(" …") and all(len(line) <= 20 for line in label.split("\n"))
    assert words_of(label) == text.split()[: len(words_of(label))]
    assert wrap_label("ngắn", 20, 2) == "ngắn" and wrap_label(None, 20, 2) == ""
    assert wrap_label("Quyếtđịnhdàiliềnmộtchữkhôngcókhoảngtrắng", 10, 2) == "Quyếtđịnhdàiliềnmộtchữkhôngcókhoảngtrắng"


def test_empty_timeline_draws_an_empty_chart() -> None:
    rows = [{"task_id": 1, "plan": "KH", "text": "không hạn", "lead": None, "due_on": None}]
    figure, drawn = gantt_figure(rows)
    assert drawn == 0 and "1 without a due date" in figure.texts[0].get_text()
    interactive, drawn = gantt_html_figure(rows)
    assert drawn == 0 and "1 without a due date" in interactive.layout.title.text


def test_unknown_chart_format_is_one_line(raw_db: Path, tmp_path: Path) -> None:
    done = CliRunner().invoke(app, ["timeline", "--db", str(raw_db), "--plot", str(tmp_path / "chart.xyz")])
    assert done.exit_code == 1
    assert "unknown chart format '.xyz': use .png, .svg, .pdf or .html" in done.output
    assert "Traceback" not in done.output


@given(
    words=st.lists(st.text(alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạếệởữ", min_size=1, max_size=14), max_size=40),
    width=st.integers(min_value=8, max_value=60),
    lines=st.integers(min_value=1, max_value=3),
)
def test_wrap_label_never_cuts_a_word(words: list[str], width: int, lines: int) -> None:
    text = " ".join(words)
    label = wrap_label(text, width, lines)
    assert words_of(label) == words[: len(words_of(label))]
    assert len(label.split("\n")) <= lines
    if not label.endswith("…"):
        assert words_of(label) == words  # not shortened: every word is there


def test_html_without_plotly_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kehoach.pipeline.timeline_plot import PlotError, plot_timeline

    monkeypatch.setitem(sys.modules, "plotly", None)  # what `import plotly` meets when it is not installed
    with pytest.raises(PlotError, match=r'pip install "kehoach\[notebook\]"'):
        plot_timeline([], tmp_path / "chart.html")
    assert not (tmp_path / "chart.html").exists()
