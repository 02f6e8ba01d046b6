"""Tasks across plans on one time axis, filtered by agency and period, and drawn as a Gantt chart.

Agency filters follow the 2025 reorganisation both ways: asking for "Sở Tài
chính" also finds tasks given to its predecessor "Sở Kế hoạch và Đầu tư"
(successor links stored in ``agencies.successor_id`` plus whatever the
registry's ``successors``/``predecessors`` know).  Names are compared folded
(no diacritics, lower case) in Python, because SQLite folds ASCII only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

import pandas as pd
from kehoach.models import schema
from kehoach.models.document import PartialDate
from kehoach.pipeline import agency_links
from kehoach.pipeline.store import date_columns, last_day
from sqlalchemy import Engine, select

RoleFilter = Literal["any", "lead", "coordinating"]
_PERIOD = re.compile(r"^(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?$")
TIMELINE_COLUMNS = [
    "task_id",
    "plan",
    "plan_issued_on",
    "section",
    "start_text",
    "due_text",
    "due_on",
    "due_last_day",
    "lead",
    "coordinating",
    "text",
]
TABLE_COLUMNS = ["task_id", "plan", "section", "due_text", "lead", "coordinating", "text"]
"""The terminal table shows these, texts shortened; csv/json carry every column of TIMELINE_COLUMNS."""
MAX_PLOTTED_TASKS = 400


class TimelineError(Exception):
    """A filter the user must correct (bad period, unknown agency)."""


def parse_period(value: str) -> PartialDate:
    """ "2022", "2022-01" or "2022-01-15" as a partial date."""
    match = _PERIOD.match(value.strip())
    if not match:
        raise TimelineError(f"{value!r} is not a period: use YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = (int(g) if g else None for g in match.groups())
    period = PartialDate(year=year, month=month, day=day)  # type: ignore[arg-type]
    if date_columns(period)[0] is None or (month is not None and not 1 <= month <= 12):
        raise TimelineError(f"{value!r} is not a valid date")
    return period


@dataclass(frozen=True)
class AgencyMatch:
    requested: str
    direct: tuple[str, ...]
    """Agencies whose name or alias matches the request."""
    linked: tuple[str, ...]
    """Predecessors and successors reached from them."""
    ids: frozenset[int]


def match_agencies(engine: Engine, name: str) -> AgencyMatch:
    """Agencies named ``name`` (folded; substring if nothing matches exactly) and their reorganisation kin."""
    wanted = schema.fold(name) or ""
    with engine.connect() as connection:
        agencies = connection.execute(
            select(schema.Agency.id, schema.Agency.name, schema.Agency.name_folded, schema.Agency.successor_id)
        ).all()
        aliases = connection.execute(select(schema.AgencyAlias.agency_id, schema.AgencyAlias.alias_folded)).all()
    by_id = {row.id: row for row in agencies}
    by_folded: dict[str, set[int]] = {}
    for row in agencies:
        by_folded.setdefault(row.name_folded, set()).add(row.id)
    for agency_id, folded in aliases:
        by_folded.setdefault(folded, set()).add(agency_id)
    direct = set(by_folded.get(wanted, set()))
    if not direct:
        direct = {i for folded, ids in by_folded.items() if wanted and wanted in folded for i in ids}
    # Close over successor links in both directions, from the database and from the registry.
    neighbours: dict[int, set[int]] = {}
    for row in agencies:
        if row.successor_id is not None:
            neighbours.setdefault(row.id, set()).add(row.successor_id)
            neighbours.setdefault(row.successor_id, set()).add(row.id)
    found = set(direct)
    frontier = list(direct)
    registry_names = [wanted] if not direct else []
    while frontier or registry_names:
        names = [by_id[i].name for i in frontier] + registry_names
        registry_names = []
        reached: set[int] = set()
        for i in frontier:
            reached |= neighbours.get(i, set())
        for agency_name in names:
            for kin in agency_links.successors(agency_name) + agency_links.predecessors(agency_name):
                reached |= by_folded.get(schema.fold(kin) or "", set())
        frontier = list(reached - found)
        found |= reached
    return AgencyMatch(
        requested=name,
        direct=tuple(sorted(by_id[i].name for i in direct)),
        linked=tuple(sorted(by_id[i].name for i in found - direct)),
        ids=frozenset(found),
    )


def timeline(
    engine: Engine,
    *,
    agency: str | None = None,
    date_from: PartialDate | None = None,
    date_to: PartialDate | None = None,
    role: RoleFilter = "any",
) -> tuple[pd.DataFrame, AgencyMatch | None]:
    """Tasks ordered by due date (undated last), filtered by agency (with successors) and due period."""
    with engine.connect() as connection:
        frame = pd.read_sql_query("SELECT * FROM v_timeline", connection)
    match = None
    if agency is not None:
        match = match_agencies(engine, agency)
        statement = select(schema.TaskAgency.task_id).where(schema.TaskAgency.agency_id.in_(match.ids))
        if role != "any":
            statement = statement.where(schema.TaskAgency.role == role)
        with engine.connect() as connection:
            task_ids = set(connection.scalars(statement))
        frame = frame[frame["task_id"].isin(task_ids)]
    for column in ("due_on", "due_last_day", "start_on", "plan_issued_on"):
        frame[column] = _dates(frame[column])
    if date_from is not None:
        start = date_columns(date_from)[0]
        frame = frame[frame["due_last_day"].map(lambda d: d is not None and d >= start)]
    if date_to is not None:
        end = last_day(date_to)
        frame = frame[frame["due_on"].map(lambda d: d is not None and d <= end)]
    frame = frame.assign(_undated=frame["due_on"].isna()).sort_values(
        ["_undated", "due_on", "plan", "task_id"], na_position="last"
    )
    return frame.drop(columns="_undated").reset_index(drop=True), match


def _dates(column: pd.Series) -> pd.Series:
    """A column of ``datetime.date`` or None (SQLite returns text, PostgreSQL dates; NaT is a trap)."""
    parsed = pd.to_datetime(column, errors="coerce")
    return pd.Series([None if pd.isna(v) else v.date() for v in parsed], index=column.index, dtype=object)


def for_terminal(frame: pd.DataFrame, width: int = 90) -> pd.DataFrame:
    """The timeline with one-line, shortened texts: a table an analyst can scan."""

    def short(value: object, limit: int) -> object:
        if not isinstance(value, str):
            return value
        flat = " ".join(value.split())
        return flat if len(flat) <= limit else flat[: limit - 1] + "…"

    view = frame[TABLE_COLUMNS].copy()
    view["plan"] = view["plan"].map(lambda v: short(v, 28))
    view["text"] = view["text"].map(lambda v: short(v, width))
    return view


def first_lead(lead: object) -> str:
    return str(lead).split("; ")[0] if isinstance(lead, str) and lead else "(no lead)"


def plot_gantt(frame: pd.DataFrame, path: Path, *, title: str = "Tasks by due date") -> int:
    """Save the Gantt chart of ``frame`` to ``path`` (PNG); return the number of tasks drawn."""
    figure, drawn = gantt_figure(frame, title=title)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110, bbox_inches="tight")  # "tight" keeps long labels and the outside legend
    return drawn


def gantt_figure(frame: pd.DataFrame, *, title: str = "Tasks by due date"):  # noqa: ANN201 - matplotlib Figure
    """Dated tasks as bars (start or plan date → end of the due period), one colour per lead agency.

    Returns (figure, tasks drawn).  Uses the Agg canvas directly: no display,
    no global pyplot state, safe in worker processes, CI and notebooks.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    dated = frame[frame["due_on"].notna()].head(MAX_PLOTTED_TASKS)
    dated = dated.sort_values(["plan_issued_on", "plan", "due_on"], na_position="last")
    leads = [first_lead(v) for v in dated["lead"]]
    ranking = pd.Series(leads).value_counts().index.tolist() if leads else []
    shown = ranking[:12]
    palette = [f"C{i}" for i in range(10)] + ["tab:olive", "tab:cyan"]
    colour = {name: palette[i] for i, name in enumerate(shown)}
    figure = Figure(figsize=(13, max(3.0, 0.22 * len(dated) + 1.8)))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    labels: list[str] = []
    for y, (row, lead) in enumerate(zip(dated.itertuples(index=False), leads, strict=True)):
        end: date = row.due_last_day or row.due_on
        start: date | None = row.start_on
        if start is None or start > end:
            plan_date: date | None = row.plan_issued_on
            start = plan_date if plan_date is not None and plan_date <= end else end - timedelta(days=30)
        axes.barh(y, (end - start).days + 1, left=start, color=colour.get(lead, "lightgray"), height=0.7)
        text = " ".join(str(row.text).split())
        labels.append(f"{str(row.plan)[:22]} · {text[:48]}{'…' if len(text) > 48 else ''}")
    axes.set_yticks(range(len(labels)), labels, fontsize=7)
    axes.invert_yaxis()
    axes.set_title(title)
    axes.grid(axis="x", alpha=0.3)
    handles = [Patch(color=colour[name], label=name) for name in shown]
    if len(ranking) > len(shown):
        handles.append(Patch(color="lightgray", label="other agencies"))
    if handles:
        axes.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), title="Lead agency")
    return figure, len(dated)
