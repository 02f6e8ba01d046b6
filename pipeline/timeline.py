"""Tasks across plans on one time axis, filtered by agency and period (the charts are in ``timeline_plot``).

Agency filters follow the 2025 reorganisation both ways: asking for "Sở Tài
chính" also finds tasks given to its predecessor "Sở Kế hoạch và Đầu tư"
(successor links stored in ``agencies.successor_id`` plus whatever the
registry's ``successors``/``predecessors`` know).  Names are compared folded
(no diacritics, lower case) in Python, because SQLite folds ASCII only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from sqlalchemy import Engine, bindparam, select, text

if TYPE_CHECKING:
    # Loaded where they are used: pandas (0.2-0.3 s) for --plot only; the ORM, the pydantic models and the
    # store (~0.2 s together) for an agency or period filter only, so a plain `kehoach timeline` starts as
    # fast as `kehoach query` (benchmarks/small_commands.py).
    import pandas as pd
    from kehoach.models.document import PartialDate

RoleFilter = Literal["any", "lead", "coordinating"]
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
    from kehoach.models.document import PartialDate

    try:  # the calendar decides: 2026-02-30 is an error, not 28 February
        period = PartialDate.from_iso(value)
    except ValueError as exc:
        raise TimelineError(str(exc)) from exc
    if period is None:
        raise TimelineError(f"{value!r} is not a period: use YYYY, YYYY-MM or YYYY-MM-DD")
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
    from kehoach.models import schema
    from kehoach.pipeline import agency_links

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


DATE_COLUMNS = ("due_on", "due_last_day", "start_on", "plan_issued_on")
Row = dict[str, object]


def timeline_rows(
    engine: Engine,
    *,
    agency: str | None = None,
    date_from: PartialDate | None = None,
    date_to: PartialDate | None = None,
    role: RoleFilter = "any",
) -> tuple[list[str], list[Row], AgencyMatch | None]:
    """(columns, rows, agency match) of :func:`timeline`, as plain dicts: what the CLI prints, without pandas.

    The agency and period filters run in the database (``v_timeline`` may hold millions of tasks);
    the order is made here, so that it is the same on SQLite and PostgreSQL whatever their collations.
    """
    match = match_agencies(engine, agency) if agency is not None else None
    where: list[str] = []
    params: dict[str, object] = {}
    if match is not None:
        roles = "" if role == "any" else " AND role = :role"
        where.append(f"task_id IN (SELECT task_id FROM task_agencies WHERE agency_id IN :agencies{roles})")
        params.update(agencies=sorted(match.ids), role=role)
    postgres = engine.dialect.name == "postgresql"
    if date_from is not None:
        from kehoach.pipeline.store import date_columns

        start = date_columns(date_from)[0]
        where.append("due_last_day >= :start")  # SQLite keeps ISO text, which compares as the dates do
        params["start"] = start if postgres else start.isoformat()  # type: ignore[union-attr]
    if date_to is not None:
        from kehoach.pipeline.store import last_day

        end = last_day(date_to)
        where.append("due_on <= :end")
        params["end"] = end if postgres else end.isoformat()  # type: ignore[union-attr]
    statement = text("SELECT * FROM v_timeline" + (" WHERE " + " AND ".join(where) if where else ""))
    if match is not None:
        statement = statement.bindparams(bindparam("agencies", expanding=True))
    with engine.connect() as connection:
        result = connection.execute(statement, {k: v for k, v in params.items() if f":{k}" in statement.text})
        columns = list(result.keys())
        rows: list[Row] = [dict(zip(columns, row, strict=True)) for row in result]
    for row in rows:
        for column in DATE_COLUMNS:
            if column in row:
                row[column] = as_date(row[column])
    rows.sort(key=_order)
    return columns, rows, match


def _order(row: Row) -> tuple[object, ...]:
    """Due date first (undated last), then plan, then task id."""
    return (row["due_on"] is None, row["due_on"] or date.min, row["plan"] is None, str(row["plan"]), row["task_id"])


def timeline(
    engine: Engine,
    *,
    agency: str | None = None,
    date_from: PartialDate | None = None,
    date_to: PartialDate | None = None,
    role: RoleFilter = "any",
) -> tuple[pd.DataFrame, AgencyMatch | None]:
    """Tasks ordered by due date (undated last), filtered by agency (with successors) and due period."""
    columns, rows, match = timeline_rows(engine, agency=agency, date_from=date_from, date_to=date_to, role=role)
    return to_frame(columns, rows), match


def to_frame(columns: list[str], rows: list[Row]) -> pd.DataFrame:
    """The rows as a DataFrame; date columns hold ``datetime.date`` or None (NaT is a trap for plotting)."""
    import pandas as pd

    frame = pd.DataFrame.from_records(rows, columns=columns)
    for column in DATE_COLUMNS:
        if column in frame.columns:
            frame[column] = pd.Series([row[column] for row in rows], index=frame.index, dtype=object)
    return frame


def as_date(value: object) -> date | None:
    """A ``datetime.date`` or None from what a database or pandas hands back.

    SQLite returns dates as ISO text, PostgreSQL as dates, a DataFrame may hold
    Timestamps, NaT or NaN: NaT is a ``datetime`` that is not equal to itself.
    """
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value  # type: ignore[return-value]
    if isinstance(value, datetime):
        return None if value != value else value.date()
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        return None


def _short(value: object, limit: int) -> object:
    if not isinstance(value, str):
        return value
    flat = " ".join(value.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def terminal_rows(rows: list[Row], width: int = 90) -> list[tuple[object, ...]]:
    """The rows of :data:`TABLE_COLUMNS` with one-line, shortened texts: a table an analyst can scan."""
    limits = {"plan": 28, "text": width}
    return [tuple(_short(row[c], limits[c]) if c in limits else row[c] for c in TABLE_COLUMNS) for row in rows]


def for_terminal(frame: pd.DataFrame, width: int = 90) -> pd.DataFrame:
    """The timeline with one-line, shortened texts: a table an analyst can scan."""
    view = frame[TABLE_COLUMNS].copy()
    view["plan"] = view["plan"].map(lambda v: _short(v, 28))
    view["text"] = view["text"].map(lambda v: _short(v, width))
    return view


def plot_gantt(frame: pd.DataFrame, path: Path, *, title: str = "Tasks by due date") -> int:
    """The chart ``path`` asks for (PNG, or interactive HTML for ``.html``); see ``timeline_plot.plot_timeline``."""
    from kehoach.pipeline.timeline_plot import plot_timeline

    return plot_timeline(frame, path, title=title)
