"""Tasks across plans on one time axis, filtered by agency and period (the charts are in ``timeline_plot``).

Agency filters follow the 2025 reorganisation both ways: asking for "Sở Tài
chính" also finds tasks given to its predecessor "Sở Kế hoạch và Đầu tư"
(successor links stored in ``agencies.successor_id`` plus whatever the
registry's ``successors``/``predecessors`` know).  Names are compared folded
(no diacritics, lower case) in Python, because SQLite folds ASCII only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
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


def plot_gantt(frame: pd.DataFrame, path: Path, *, title: str = "Tasks by due date") -> int:
    """The chart ``path`` asks for (PNG, or interactive HTML for ``.html``); see ``timeline_plot.plot_timeline``."""
    from kehoach.pipeline.timeline_plot import plot_timeline

    return plot_timeline(frame, path, title=title)
