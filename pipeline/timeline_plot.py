"""Gantt charts of the timeline: a PNG (matplotlib) and an interactive HTML page (plotly).

Both drawings come from one layout, :func:`gantt_layout`, so the PNG and the
HTML page show the same rows in the same order with the same colours:

- tasks are grouped under a header row per plan (plans ordered by their first
  due date, tasks by start then due date), because an analyst reads a plan's
  schedule as one block;
- labels are wrapped at word boundaries (never cut inside a word: a cut
  Vietnamese syllable reads as another word) and shortened with "…" after a
  whole word;
- the :data:`TOP_LEADS` lead agencies with most bars get distinct colours, the
  rest share one "other agencies" colour and tasks without a lead are grey, so
  no two legend entries look alike;
- the time axis spans the bars actually drawn (plus a small margin), not the
  calendar of every plan.

A bar runs from the task's start (else the plan's date, else 30 days before
the due date) to the last day of its due period ("tháng 3/2022" ends on
2022-03-31).  matplotlib and plotly are imported inside the drawing functions,
so importing this module costs nothing for commands that do not draw.
"""

from __future__ import annotations

import math
import textwrap
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from kehoach.pipeline.timeline import as_date

TOP_LEADS = 8
"""Lead agencies that get a colour of their own; the others are "other agencies"."""
LEAD_PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf")
"""matplotlib's tab10 without its grey and olive, which are kept for "(no lead)" and "other agencies"."""
OTHER_COLOUR = "#bcbd22"
NO_LEAD_COLOUR = "#a8a8a8"
NO_LEAD = "(no lead)"
OTHER = "other agencies"
MAX_PLOTTED_TASKS = 400
"""Beyond this a chart is a wall of bars: the title says how many were left out."""
TASK_LABEL_WIDTH = 52
PLAN_LABEL_WIDTH = 46
LEGEND_LABEL_WIDTH = 30
TASK_LABEL_LINES = 2
PLAN_LABEL_LINES = 3
# Vertical space, in inches, per label line and around each row (fonts are fixed in points, so a chart of 3
# tasks and one of 300 have the same text size; the figure grows instead).
LINE_INCHES = 0.14
ROW_PAD_INCHES = 0.05
FIGURE_WIDTH_INCHES = 9.0
"""900 px: shown 1:1 in a README or a notebook, so an 8 pt label stays 11 px high."""
LEGEND_COLUMNS = 3
TASK_FONT_POINTS = 8.0
PLAN_FONT_POINTS = 8.5
DPI = 100


class PlotError(Exception):
    """A chart that cannot be written (missing plotly, unknown picture format, unwritable path): one line."""


@dataclass(frozen=True)
class Bar:
    """One task as drawn."""

    task_id: object
    plan: str
    text: str
    lead: str
    """All lead agencies, "; "-joined, or "(no lead)"."""
    colour_key: str
    """The legend entry: the first lead if it is among the top leads, else "other agencies" or "(no lead)"."""
    start: date
    end: date
    due_text: str
    due_on: date
    label: str
    """The y-axis label: the task text wrapped at word boundaries."""


@dataclass(frozen=True)
class Row:
    """A line of the chart: a plan header (``bar`` is None) or a task."""

    label: str
    centre: float
    """Distance from the top of the plot, in inches."""
    height: float
    bar: Bar | None = None

    @property
    def is_header(self) -> bool:
        return self.bar is None


@dataclass(frozen=True)
class GanttLayout:
    """Everything both drawings need: rows top to bottom, colours, the time window."""

    rows: list[Row]
    colours: dict[str, str]
    """Legend entries in legend order (top leads by bar count, then "other agencies", then "(no lead)")."""
    window: tuple[date, date] | None
    """First start and last end of the drawn bars, with a margin; None when no task is dated."""
    omitted: int = 0
    """Dated tasks left out beyond ``max_tasks``."""
    undated: int = 0
    height: float = field(default=0.0)
    """Total height of the rows, in inches."""

    @property
    def bars(self) -> list[Bar]:
        return [row.bar for row in self.rows if row.bar is not None]

    def shaded_bands(self) -> list[tuple[float, float]]:
        """(top, bottom) of every other plan's block: alternate shading shows where one plan ends."""
        tops = [row.centre - row.height / 2 for row in self.rows if row.is_header]
        bottoms = [*tops[1:], self.height] if tops else []
        return list(zip(tops, bottoms, strict=True))[::2]


def wrap_label(text: object, width: int, max_lines: int) -> str:
    """``text`` on at most ``max_lines`` lines of ``width`` characters, broken and shortened between words only."""
    flat = " ".join(str(text or "").split())
    if not flat:
        return ""
    lines = textwrap.wrap(
        flat, width, max_lines=max_lines, placeholder=" …", break_long_words=False, break_on_hyphens=False
    )
    if lines and lines[0].strip() == "…":  # a first word longer than the line: show it whole rather than nothing
        words = flat.split()
        return words[0] + (" …" if len(words) > 1 else "")
    return "\n".join(lines)


def _records(frame: Any) -> list[Mapping[str, object]]:
    """Rows of a pandas DataFrame or any iterable of mappings."""
    if hasattr(frame, "to_dict"):
        return list(frame.to_dict("records"))
    return list(frame)


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _leads(value: object) -> list[str]:
    return [part for part in _text(value).split("; ") if part.strip()]


def _span(row: Mapping[str, object]) -> tuple[date, date] | None:
    """(start, end) of a task's bar, or None when it has no due date."""
    due_on = as_date(row.get("due_on"))
    if due_on is None:
        return None
    end = as_date(row.get("due_last_day")) or due_on
    start = as_date(row.get("start_on"))
    if start is None or start > end:
        issued = as_date(row.get("plan_issued_on"))
        start = issued if issued is not None and issued <= end else end - timedelta(days=30)
    return start, end


def gantt_layout(frame: Any, *, max_tasks: int = MAX_PLOTTED_TASKS, top_leads: int = TOP_LEADS) -> GanttLayout:
    """Rows (plan headers and their tasks), colours and time window for the dated tasks of ``frame``.

    ``frame`` is the result of :func:`kehoach.pipeline.timeline.timeline` (a
    DataFrame with the ``v_timeline`` columns) or any iterable of such rows.
    """
    records = _records(frame)
    dated: list[tuple[Mapping[str, object], tuple[date, date]]] = []
    undated = 0
    for record in records:
        span = _span(record)
        if span is None:
            undated += 1
        else:
            dated.append((record, span))
    dated.sort(key=lambda item: (as_date(item[0].get("due_on")), str(item[0].get("task_id"))))
    omitted = max(0, len(dated) - max_tasks)
    dated = dated[:max_tasks]

    firsts = [(_leads(record.get("lead")) or [NO_LEAD])[0] for record, _ in dated]
    ranking = [name for name, _ in Counter(n for n in firsts if n != NO_LEAD).most_common()]
    colours = {name: LEAD_PALETTE[i] for i, name in enumerate(ranking[: min(top_leads, len(LEAD_PALETTE))])}
    if len(ranking) > len(colours):
        colours[OTHER] = OTHER_COLOUR
    if NO_LEAD in firsts:
        colours[NO_LEAD] = NO_LEAD_COLOUR

    groups: dict[str, list[Bar]] = {}
    for (record, (start, end)), first in zip(dated, firsts, strict=True):
        plan = _text(record.get("plan")) or "(untitled plan)"
        leads = _leads(record.get("lead"))
        groups.setdefault(plan, []).append(
            Bar(
                task_id=record.get("task_id"),
                plan=plan,
                text=" ".join(_text(record.get("text")).split()),
                lead="; ".join(leads) or NO_LEAD,
                colour_key=first if first in colours else OTHER,
                start=start,
                end=end,
                due_text=_text(record.get("due_text")),
                due_on=as_date(record.get("due_on")) or end,
                label=wrap_label(record.get("text"), TASK_LABEL_WIDTH, TASK_LABEL_LINES),
            )
        )
    rows: list[Row] = []
    top = 0.0
    ordered = sorted(groups.values(), key=lambda bars: (min(b.due_on for b in bars), bars[0].plan))
    for bars in ordered:
        header = wrap_label(bars[0].plan, PLAN_LABEL_WIDTH, PLAN_LABEL_LINES)
        for label, bar in [(header, None), *((b.label, b) for b in sorted(bars, key=_bar_order))]:
            height = LINE_INCHES * max(1, label.count("\n") + 1) + 2 * ROW_PAD_INCHES
            rows.append(Row(label=label, centre=top + height / 2, height=height, bar=bar))
            top += height
    window = None
    if dated:
        first_day = min(b.start for bars in groups.values() for b in bars)
        last_day = max(b.end for bars in groups.values() for b in bars)
        margin = timedelta(days=max(7, round((last_day - first_day).days * 0.02)))
        window = (first_day - margin, last_day + margin)
    return GanttLayout(rows=rows, colours=colours, window=window, omitted=omitted, undated=undated, height=top)


def _bar_order(bar: Bar) -> tuple[date, date, str]:
    return bar.start, bar.end, str(bar.task_id)


def _title(layout: GanttLayout, title: str) -> str:
    drawn = len(layout.bars)
    parts = [f"{drawn} dated task{'s' if drawn != 1 else ''}"]
    if layout.omitted:
        parts.append(f"{layout.omitted} more not drawn")
    if layout.undated:
        parts.append(f"{layout.undated} without a due date")
    return f"{title} ({', '.join(parts)})"


def gantt_figure(frame: Any, *, title: str = "Tasks by due date", today: date | None = None):  # noqa: ANN201 - Figure
    """The Gantt chart of ``frame`` as a matplotlib Figure, and the number of tasks drawn.

    Uses the Agg canvas directly: no display, no global pyplot state, safe in
    worker processes, CI and notebooks.  ``today`` (default: the real date)
    draws a dashed line when it falls inside the window: bars ending left of
    it are overdue unless done.
    """
    from matplotlib import dates as mdates
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    layout = gantt_layout(frame)
    figure = Figure(figsize=(FIGURE_WIDTH_INCHES, max(2.5, layout.height + 1.5)), dpi=DPI)  # resized below
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0.0, 0.0, 1.0, 1.0))  # placed below, once the label widths are known
    # A one-day deadline on a ten-year axis would be invisible: every bar is at least 1/150 of the window wide.
    shortest = (layout.window[1] - layout.window[0]).days / 150 if layout.window else 1
    for row in layout.rows:
        if row.bar is None:
            continue
        bar = row.bar
        axes.barh(
            row.centre,
            max((bar.end - bar.start).days + 1, shortest),
            left=bar.start,
            height=min(row.height * 0.7, 0.2),
            color=layout.colours[bar.colour_key],
            zorder=2,
        )
    for top, bottom in layout.shaded_bands():
        axes.axhspan(top, bottom, color="#f2f2f2", zorder=0, linewidth=0)
    axes.set_yticks([row.centre for row in layout.rows], [row.label for row in layout.rows])
    for row, tick in zip(layout.rows, axes.get_yticklabels(), strict=True):
        tick.set_fontsize(PLAN_FONT_POINTS if row.is_header else TASK_FONT_POINTS)
        if row.is_header:
            tick.set_fontweight("bold")
    axes.tick_params(axis="y", length=0)
    axes.set_ylim(max(layout.height, 1.0), 0)
    if layout.window is not None:
        axes.set_xlim(*layout.window)
        locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
        axes.xaxis.set_major_locator(locator)
        axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        today = today or date.today()
        if layout.window[0] <= today <= layout.window[1]:
            axes.axvline(today, color="#444444", linestyle="--", linewidth=0.8, zorder=3)
            axes.annotate(
                f"today {today.isoformat()}",
                (today, 0),
                xytext=(2, -2),
                textcoords="offset points",
                fontsize=7,
                va="top",
                color="#444444",
            )
    axes.tick_params(axis="x", labelsize=8, top=True, labeltop=True)
    axes.grid(axis="x", alpha=0.3, zorder=1)
    heading = figure.text(0, 1, _title(layout, title), fontsize=10, ha="left", va="top")
    handles = [
        Patch(color=colour, label=wrap_label(name, LEGEND_LABEL_WIDTH, 3)) for name, colour in layout.colours.items()
    ]
    legend = None
    if handles:
        columns = min(LEGEND_COLUMNS, len(handles))
        legend = figure.legend(
            handles=handles, fontsize=7.5, ncols=columns, loc="upper left", title="Lead agency", title_fontsize=8,
            alignment="left", frameon=False,
        )  # fmt: skip
    _arrange(figure, axes, heading, legend, max(layout.height, 1.0))
    return figure, len(layout.bars)


def _arrange(figure: Any, axes: Any, heading: Any, legend: Any, plot_height: float) -> None:
    """Size the figure and place title, legend and plot in inches, from the measured label and legend sizes.

    From the top: the title, the legend (in columns, so the plot keeps the full width), the upper date axis,
    the rows at their fixed height, the lower date axis.  Fonts are in points, so the figure grows with the
    rows instead of the text shrinking.
    """
    renderer = figure.canvas.get_renderer()
    dpi = figure.dpi
    labels = max((t.get_window_extent(renderer).width for t in axes.get_yticklabels()), default=0.0) / dpi
    # Left-aligned labels read as a list: push them out by the widest label instead of right-aligning them.
    for tick in axes.get_yticklabels():
        tick.set_horizontalalignment("left")
    axes.tick_params(axis="y", pad=labels * 72 + 4)
    title_h, gap, date_axis, bottom, edge = 0.35, 0.1, 0.35, 0.4, 0.12
    legend_h = legend.get_window_extent(renderer).height / dpi if legend is not None else 0.0
    width = figure.get_size_inches()[0]
    height = title_h + legend_h + gap + date_axis + plot_height + bottom
    figure.set_size_inches(width, height)
    left = labels + 0.2
    axes.set_position((left / width, bottom / height, (width - left - edge) / width, plot_height / height))
    heading.set_position((edge / width, 1 - 0.1 / height))
    if legend is not None:
        legend.set_bbox_to_anchor((edge / width, 1 - title_h / height), transform=figure.transFigure)


def plot_gantt(frame: Any, path: Path, *, title: str = "Tasks by due date") -> int:
    """Save the Gantt chart of ``frame`` to ``path`` (PNG, or anything matplotlib writes); return tasks drawn."""
    figure, drawn = gantt_figure(frame, title=title)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=DPI)
    return drawn


def gantt_html_figure(frame: Any, *, title: str = "Tasks by due date", today: date | None = None):  # noqa: ANN201
    """The interactive Gantt chart: same rows and colours as the PNG; hovering a bar shows task, lead and due date."""
    import plotly.graph_objects as go

    layout = gantt_layout(frame)
    figure = go.Figure()
    day_ms = 86_400_000
    shortest = (layout.window[1] - layout.window[0]).days / 150 if layout.window else 1
    for name, colour in layout.colours.items():
        rows = [row for row in layout.rows if row.bar is not None and row.bar.colour_key == name]
        if not rows:
            continue
        bars = [row.bar for row in rows if row.bar is not None]
        figure.add_trace(
            go.Bar(
                name=wrap_label(name, LEGEND_LABEL_WIDTH, 3).replace("\n", "<br>"),
                orientation="h",
                y=[row.centre for row in rows],
                base=[bar.start.isoformat() for bar in bars],
                x=[max((bar.end - bar.start).days + 1, shortest) * day_ms for bar in bars],
                width=[min(row.height * 0.7, 0.2) for row in rows],
                marker_color=colour,
                customdata=[
                    [
                        "<br>".join(textwrap.wrap(bar.text, 80)),
                        bar.lead,
                        bar.due_text or bar.due_on.isoformat(),
                        bar.end.isoformat(),
                        bar.plan,
                    ]
                    for bar in bars
                ],
                hovertemplate=(
                    "<b>%{customdata[4]}</b><br>%{customdata[0]}<br>"
                    "<b>Lead:</b> %{customdata[1]}<br><b>Due:</b> %{customdata[2]} (until %{customdata[3]})"
                    "<extra></extra>"
                ),
            )
        )
    shapes = [
        {
            "type": "rect",
            "xref": "paper",
            "yref": "y",
            "x0": 0,
            "x1": 1,
            "y0": top,
            "y1": bottom,
            "fillcolor": "#f2f2f2",
            "line": {"width": 0},
            "layer": "below",
        }
        for top, bottom in layout.shaded_bands()
    ]
    today = today or date.today()
    if layout.window is not None and layout.window[0] <= today <= layout.window[1]:
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": today,
                "x1": today,
                "y0": 0,
                "y1": 1,
                "line": {"color": "#444444", "dash": "dash", "width": 1},
            }
        )
    ticktext = [f"<b>{row.label}</b>" if row.is_header else row.label for row in layout.rows]
    # Pixels from the top: the title, the legend in three columns (so the plot keeps the page's width), the date
    # axis, then the rows at the PNG's heights.
    legend_rows = 1 + math.ceil(len(layout.colours) / LEGEND_COLUMNS)  # + its title
    top = 50 + 26 * legend_rows + 40
    height = top + int(max(layout.height, 1.0) * DPI) + 30
    figure.update_layout(
        title={"text": _title(layout, title), "x": 0.01, "xanchor": "left", "yref": "container", "y": 1 - 12 / height},
        barmode="overlay",
        height=height,
        xaxis={
            "type": "date",
            "side": "top",
            "range": [d.isoformat() for d in layout.window] if layout.window else None,
            "gridcolor": "#dddddd",
            "showline": True,
            "linecolor": "#888888",
        },
        yaxis={
            "tickvals": [row.centre for row in layout.rows],
            "ticktext": [t.replace("\n", "<br>") for t in ticktext],
            "range": [max(layout.height, 1.0), 0],
            "tickfont": {"size": 11},
            "showgrid": False,
        },
        legend={
            "title": {"text": "Lead agency", "side": "top left"},
            "orientation": "h",
            "x": 0.01,
            "xref": "container",
            "xanchor": "left",
            "yref": "container",
            "y": 1 - 48 / height,
            "yanchor": "top",
            "entrywidth": 1 / LEGEND_COLUMNS - 0.01,
            "entrywidthmode": "fraction",
        },
        shapes=shapes,
        plot_bgcolor="white",
        margin={"l": 10, "r": 20, "t": top, "b": 30},
    )
    return figure, len(layout.bars)


def plot_gantt_html(frame: Any, path: Path, *, title: str = "Tasks by due date") -> int:
    """Save the interactive chart to ``path`` as one self-contained HTML file (plotly.js inside: works offline)."""
    figure, drawn = gantt_html_figure(frame, title=title)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.write_html(path, include_plotlyjs=True, full_html=True)
    return drawn


def plot_timeline(frame: Any, path: Path, *, title: str = "Tasks by due date") -> int:
    """The chart ``--plot FILE`` asks for: interactive HTML for ``.html``/``.htm``, else a picture (PNG, SVG, PDF).

    Raises :class:`PlotError` with a one-line reason instead of a traceback.
    """
    try:
        if path.suffix.lower() in {".html", ".htm"}:
            try:
                import plotly  # noqa: F401 - only to say which extra is missing
            except ImportError as exc:
                raise PlotError(f'{path}: the interactive chart needs plotly: pip install "kehoach[notebook]"') from exc
            return plot_gantt_html(frame, path, title=title)
        return plot_gantt(frame, path, title=title)
    except OSError as exc:
        raise PlotError(f"{path}: cannot write the chart: {exc.strerror or exc}") from exc
    except ValueError as exc:  # matplotlib: "Format 'xyz' is not supported"
        raise PlotError(
            f"{path}: unknown chart format {path.suffix or '(none)'!r}: use .png, .svg, .pdf or .html"
        ) from exc
