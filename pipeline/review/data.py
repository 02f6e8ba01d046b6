"""What the review pages show, read from the database in a handful of queries per page.

Plans come from ``plans``/``v_documents`` (one row per plan, its renderings
folded); corrected values come from the views (``v_tasks_all``,
``v_targets_all``), which apply the analysts' corrections, while spans, pages
and rule ids come from the base tables, which the corrections never change.
A task that is missing from ``v_tasks_all`` has been marked "not a task".

Filtering the plans list happens in Python on folded strings: the list is
one row per plan (hundreds, not millions), and folding in Python treats
"đ" and every tone mark the same way on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from kehoach.models.schema import fold
from kehoach.pipeline.review.spans import Span
from sqlalchemy import text
from sqlalchemy.orm import Session

NAME_SEPARATOR = "; "
"""How the views join several agency names in one column."""


def split_names(value: str | None) -> list[str]:
    return [name for name in (value or "").split(NAME_SEPARATOR) if name]


@dataclass
class PlanRow:
    """One line of the plans page."""

    plan_id: int
    document_id: int
    number: str | None
    title: str | None
    issuer: str | None
    doc_type: str | None
    issued_on: date | None
    issued_text: str | None
    renderings: int
    version_kind: str | None = None
    """'signed', 'amendment' or 'revision' when this plan is a later version of another."""
    superseded: bool = False
    """A draft whose signed version is stored (the analyst views leave it out)."""
    tasks: int = 0
    without_lead: int = 0
    without_due: int = 0
    corrections: int = 0
    reviewed: bool = False
    """An analyst marked a rendering of this plan as checked (with or without corrections)."""
    leads: set[str] = field(default_factory=set)

    @property
    def year(self) -> int | None:
        return self.issued_on.year if self.issued_on else None

    def matches(self, folded_query: str) -> bool:
        haystack = fold(" ".join(filter(None, (self.number, self.title, self.issuer, self.doc_type)))) or ""
        return all(word in haystack for word in folded_query.split())


@dataclass
class PlanFilters:
    """The plans page's query string: free text and four facets (empty = any)."""

    q: str = ""
    issuer: str = ""
    doc_type: str = ""
    year: str = ""
    lead: str = ""
    reviewed: str = ""
    """"yes", "no" or "" (either)."""

    def keep(self, row: PlanRow) -> bool:
        folded = fold(self.q) or ""
        return (
            (not folded or row.matches(folded))
            and (not self.issuer or row.issuer == self.issuer)
            and (not self.doc_type or row.doc_type == self.doc_type)
            and (not self.year or str(row.year) == self.year)
            and (not self.lead or self.lead in row.leads)
            and (self.reviewed not in ("yes", "no") or row.reviewed == (self.reviewed == "yes"))
        )


def _date(value: object) -> date | None:
    """SQLite hands back DATE columns of a raw query as text."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def plan_rows(session: Session) -> list[PlanRow]:
    """Every plan with its primary rendering and its counts, newest first."""
    from kehoach.pipeline.corrections import count_corrections, reviewed_documents

    rows: dict[int, PlanRow] = {}
    for r in session.execute(
        text(
            "SELECT p.id AS plan_id, d.id AS document_id, d.number, d.title, d.issuer, d.doc_type, d.issued_on,"
            " d.issued_text,"
            " (SELECT count(*) FROM documents r WHERE r.plan_id = p.id) AS renderings, p.version_kind, p.superseded"
            " FROM plans p JOIN documents d ON d.id = p.primary_document_id"
        )
    ).mappings():
        rows[r["plan_id"]] = PlanRow(**{**r, "issued_on": _date(r["issued_on"]), "superseded": bool(r["superseded"])})
    primary = "FROM v_tasks_all t JOIN plans p ON p.primary_document_id = t.document_id"  # superseded drafts too
    for plan_id, tasks, without_lead, without_due in session.execute(
        text(
            "SELECT t.plan_id, count(*), sum(CASE WHEN t.lead IS NULL OR t.lead = '' THEN 1 ELSE 0 END),"
            f" sum(CASE WHEN t.due_on IS NULL THEN 1 ELSE 0 END) {primary} GROUP BY t.plan_id"
        )
    ).tuples():
        if (row := rows.get(plan_id)) is not None:
            row.tasks, row.without_lead, row.without_due = tasks, without_lead, without_due
    for plan_id, lead in session.execute(
        text(f"SELECT DISTINCT t.plan_id, t.lead {primary} WHERE t.lead IS NOT NULL")
    ).tuples():
        if plan_id in rows:
            rows[plan_id].leads.update(split_names(lead))
    plan_of = dict(session.execute(text("SELECT id, plan_id FROM documents")).tuples().all())
    for document_id, count in count_corrections(session).items():
        row = rows.get(plan_of.get(document_id))  # type: ignore[arg-type]
        if row is not None:
            row.corrections += count
    for document_id in reviewed_documents(session):
        row = rows.get(plan_of.get(document_id))  # type: ignore[arg-type]
        if row is not None:
            row.reviewed = True
    return sorted(rows.values(), key=lambda r: (r.issued_on or date.min, r.plan_id), reverse=True)


def facet_values(rows: list[PlanRow]) -> dict[str, list[str]]:
    """The choices of each filter, from the plans themselves."""
    return {
        "issuer": sorted({r.issuer for r in rows if r.issuer}),
        "doc_type": sorted({r.doc_type for r in rows if r.doc_type}),
        "year": sorted({str(r.year) for r in rows if r.year}, reverse=True),
        "lead": sorted({name for r in rows for name in r.leads}, key=lambda n: fold(n) or ""),
    }


@dataclass
class TaskView:
    """A task row of the plan page: where it is (base table) and what it says now (corrected view)."""

    id: int
    ordinal: int
    text: str
    span_start: int
    span_end: int
    page: int | None
    section: str | None
    rules: list[str]
    lead: list[str]
    coordinating: list[str]
    start: str | None
    due: str | None
    recurrence: str | None
    corrected: bool
    not_task: bool
    added: bool
    flags: list[str] = field(default_factory=list)
    """The extractor's anomaly flags ("due_before_issue", …): where a reviewer should look first."""
    why: dict[str, str] = field(default_factory=dict)
    """``"lead:<name>"`` → how the extractor found it (the mention as written and the rule); none for a correction's."""

    def missing(self, what: str) -> bool:
        """For the plan page's task filters: ``without_lead`` / ``without_due`` / ``flagged``."""
        if what == "without_lead":
            return not self.not_task and not self.lead
        if what == "without_due":
            return not self.not_task and not self.due
        return what == "flagged" and bool(self.flags)


@dataclass
class TargetView:
    id: int
    text: str
    span_start: int
    span_end: int
    indicator: str
    min_value: float | None
    max_value: float | None
    unit: str | None
    qualifier: str | None
    year: int | None
    corrected: bool


@dataclass
class PlanPage:
    """Everything the plan page draws."""

    document: dict
    renderings: list[dict]
    tasks: list[TaskView]
    targets: list[TargetView]
    spans: list[Span]
    corrections: list
    has_page_images: bool
    reviewed: bool = False


def _source_exists(path: str | None) -> bool:
    try:
        return bool(path) and Path(path).is_file()  # type: ignore[arg-type]
    except OSError:
        return False


def _document(session: Session, document_id: int) -> dict | None:
    row = (
        session.execute(
            text(
                "SELECT id, plan_id, sha256, source_path, format, pages, doc_type, number, issuer, issued_text,"
                " title, signer, pipeline_version, content FROM documents WHERE id = :id"
            ),
            {"id": document_id},
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def _rule_ids(session: Session, document_id: int) -> tuple[dict[int, list[str]], dict[int, dict[str, str]]]:
    """Per task: the role rules in order of mention, and why each agency got its role ("lead:Sở X" → rule)."""
    rules: dict[int, list[str]] = defaultdict(list)
    why: dict[int, dict[str, str]] = defaultdict(dict)
    for task_id, role, name, mention, rule in session.execute(
        text(
            "SELECT ta.task_id, ta.role, a.name, ta.mention, ta.rule FROM task_agencies ta"
            " JOIN tasks t ON t.id = ta.task_id JOIN agencies a ON a.id = ta.agency_id"
            " WHERE t.document_id = :d ORDER BY ta.id"
        ),
        {"d": document_id},
    ).tuples():
        if rule and rule not in rules[task_id]:
            rules[task_id].append(rule)
        why[task_id].setdefault(f"{role}:{name}", f"written “{mention}”" + (f", {rule}" if rule else ""))
    return rules, why


def _tasks(session: Session, document_id: int) -> list[TaskView]:
    corrected = {
        r["task_id"]: r
        for r in session.execute(
            text(
                "SELECT task_id, lead, coordinating, start_text, due_text, recurrence, corrected"
                " FROM v_tasks_all WHERE document_id = :d"
            ),
            {"d": document_id},
        ).mappings()
    }
    agency_rules, why = _rule_ids(session, document_id)
    tasks = []
    for t in session.execute(
        text(
            "SELECT id, ordinal, text, span_start, span_end, page, section, rule, due_rule, flags"
            " FROM tasks WHERE document_id = :d ORDER BY span_start, ordinal"
        ),
        {"d": document_id},
    ).mappings():
        now = corrected.get(t["id"])
        rules = [r for r in (t["rule"], t["due_rule"]) if r] + agency_rules.get(t["id"], [])
        tasks.append(
            TaskView(
                id=t["id"],
                ordinal=t["ordinal"],
                text=t["text"],
                span_start=t["span_start"],
                span_end=t["span_end"],
                page=t["page"],
                section=t["section"],
                rules=rules,
                lead=split_names(now["lead"]) if now else [],
                coordinating=split_names(now["coordinating"]) if now else [],
                start=now["start_text"] if now else None,
                due=now["due_text"] if now else None,
                recurrence=now["recurrence"] if now else None,
                corrected=bool(now and now["corrected"]),
                not_task=now is None,
                added=t["rule"] == "correction.new_task",
                flags=[f for f in (t["flags"] or "").split(",") if f],
                why=why.get(t["id"], {}),
            )
        )
    return tasks


def _targets(session: Session, document_id: int) -> list[TargetView]:
    return [
        TargetView(**{**r, "corrected": bool(r["corrected"])})
        for r in session.execute(
            text(
                "SELECT target_id AS id, text, span_start, span_end, indicator, min_value, max_value, unit,"
                " qualifier, year, corrected FROM v_targets_all WHERE document_id = :d ORDER BY span_start"
            ),
            {"d": document_id},
        ).mappings()
    ]


ROLE_CSS = {"lead": "ag-lead", "coordinating": "ag-coord"}


def _agency_spans(session: Session, document_id: int) -> list[Span]:
    """Agencies coloured by role: a mention that a task gives a role is lead/coordinating, others plain."""
    roles: dict[tuple[int, int], tuple[str, str, str | None]] = {}
    for start, end, role, name, rule in session.execute(
        text(
            "SELECT ta.span_start, ta.span_end, ta.role, a.name, ta.rule FROM task_agencies ta"
            " JOIN tasks t ON t.id = ta.task_id JOIN agencies a ON a.id = ta.agency_id WHERE t.document_id = :d"
        ),
        {"d": document_id},
    ).tuples():
        if roles.get((start, end), ("",))[0] != "lead":  # lead wins when two tasks share a mention
            roles[(start, end)] = (role, name, rule)
    spans = [
        Span(start, end, ROLE_CSS[role], f"{role}: {name}" + (f" [{rule}]" if rule else ""))
        for (start, end), (role, name, rule) in roles.items()
    ]
    for start, end, name, rule in session.execute(
        text(
            "SELECT m.span_start, m.span_end, a.name, m.rule FROM agency_mentions m"
            " JOIN agencies a ON a.id = m.agency_id WHERE m.document_id = :d"
        ),
        {"d": document_id},
    ).tuples():
        if (start, end) not in roles:
            spans.append(Span(start, end, "ag-other", f"agency: {name}" + (f" [{rule}]" if rule else "")))
    return spans


def _other_spans(session: Session, document_id: int) -> list[Span]:
    spans = []
    for start, end, first, last, recurrence in session.execute(
        text(
            "SELECT span_start, span_end, start_text, end_text, recurrence FROM time_expressions WHERE document_id = :d"
        ),
        {"d": document_id},
    ).tuples():
        period = " – ".join(dict.fromkeys(filter(None, (first, last))))
        spans.append(Span(start, end, "tm", "time: " + (period or recurrence or "?")))
    for start, end, number in session.execute(
        text("SELECT span_start, span_end, number FROM legal_references WHERE document_id = :d"), {"d": document_id}
    ).tuples():
        spans.append(Span(start, end, "rf", f"cites: {number or '?'}"))
    return spans


def plan_page(session: Session, document_id: int) -> PlanPage | None:
    """The plan page of one rendering, or None when there is no such document."""
    from kehoach.pipeline.corrections import list_corrections, reviewed_documents

    document = _document(session, document_id)
    if document is None:
        return None
    renderings = [
        dict(r)
        for r in session.execute(
            text(
                "SELECT document_id AS id, format, source_path, rendering_rank, is_primary FROM v_documents"
                " WHERE plan_id = :p ORDER BY rendering_rank"
            ),
            {"p": document["plan_id"]},
        ).mappings()
    ]
    tasks = _tasks(session, document_id)
    targets = _targets(session, document_id)
    spans = [Span(t.span_start, t.span_end, "tk", task_id=t.id, page=t.page) for t in tasks if not t.not_task]
    spans += [Span(g.span_start, g.span_end, "tg", f"target: {g.indicator}", anchor=f"tg-{g.id}") for g in targets]
    spans += _agency_spans(session, document_id) + _other_spans(session, document_id)
    return PlanPage(
        document=document,
        renderings=renderings,
        tasks=tasks,
        targets=targets,
        spans=spans,
        corrections=list_corrections(session, document_id, include_undone=True),
        has_page_images=str(document["format"]).startswith("pdf") and _source_exists(document["source_path"]),
        reviewed=document_id in reviewed_documents(session),
    )


def agency_names(session: Session) -> list[str]:
    """Autocomplete choices: every registry name and alias, and every agency the database knows."""
    from kehoach.extractors.agency_registry import load_registry

    names = {name for entry in load_registry() for name in (entry.name, *entry.aliases)}
    names.update(session.execute(text("SELECT name FROM agencies")).scalars())
    return sorted(names, key=lambda n: fold(n) or "")


def plan_page_source(session: Session, document_id: int) -> dict | None:
    """Where a document's file is and what its bytes hashed to (for page images)."""
    row = (
        session.execute(text("SELECT source_path, sha256 FROM documents WHERE id = :id"), {"id": document_id})
        .mappings()
        .first()
    )
    return dict(row) if row else None


def unmatched_corrections(session: Session) -> list:
    """Active corrections that re-extraction could not re-attach to a task: listed for review, never dropped."""
    from kehoach.pipeline.corrections import list_corrections

    return list_corrections(session, status="unmatched")
