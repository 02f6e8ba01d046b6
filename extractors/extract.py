"""Run the extractors over a ParsedDocument in their dependency order.

structure → metadata → references → agencies → dates → tasks → targets, as
DESIGN.md lays out; each step is a pure function of the document and of the
steps before it.
"""

from __future__ import annotations

import re
from importlib.metadata import PackageNotFoundError, version

from kehoach.extractors.agencies import find_mentions
from kehoach.extractors.dates import date_task, find_time_expressions
from kehoach.extractors.document_kind import not_administrative
from kehoach.extractors.metadata import extract_metadata
from kehoach.extractors.references import citation_spans, extract_references
from kehoach.extractors.structure import build_outline, extract_sections
from kehoach.extractors.targets import extract_targets
from kehoach.extractors.task_drafts import Draft
from kehoach.extractors.tasks import build_tasks, segment_tasks
from kehoach.models.document import Extraction, ParsedDocument, Span, Task, TimeExpression


def pipeline_version() -> str:
    try:
        return version("kehoach")
    except PackageNotFoundError:  # running from a source tree
        return "0+unknown"


def _inside(span: Span, spans: list[Span]) -> bool:
    return any(start <= span[0] and span[1] <= end for start, end in spans)


def _date_task(task: Task, time_spans: list[Span], times: list[TimeExpression], issued) -> Task:
    """Start, due, recurrence and their provenance (``due_rule``, ``due_span``) of one task.

    The rules live in extractors/task_window.py (``date_task``); this only hands it the task's spans.
    """
    return date_task(task, time_spans, times, issued)


_PERIOD_CUE = re.compile(r"(?:^|\s)(?:trong|trước|chậm nhất|hoàn thành|đến hết|đến)\s*$", re.IGNORECASE)
"""Words before a time that make a heading or lead-in set its items' period ("NGAY TRONG THÁNG 12/2025")."""


def _sets_period(expression: TimeExpression, content: str) -> bool:
    """A time a heading or lead-in imposes: "trong/trước/đến …" (the cue the date reader records, or read here)."""
    if expression.kind != "task":
        return False
    if getattr(expression, "cue", None) in ("within", "deadline", "until"):
        return True
    written = content[max(0, expression.span[0] - 16) : expression.span[0]]
    return bool(_PERIOD_CUE.search(written.rstrip() + " "))


def _inherit_period(task: Task, draft: Draft, times: list[TimeExpression], issued, content: str) -> Task:
    """A task that dates nothing itself takes the period its nearest heading or lead-in sets.

    Only a period the heading imposes counts ("trong tháng 12/2025", "trước
    năm 2025", "trong thời hạn 06 tháng …"); a year that merely names the
    subject ("CÁC CHỈ SỐ NĂM 2026") does not date the items.
    """
    if task.due is not None or task.start is not None:
        return task  # a recurring duty ("hằng tuần") under "… TRONG THÁNG 12/2025" still has that month as its period
    for span in draft.inherited_times:
        periods = [t for t in times if _inside(t.span, [span]) and _sets_period(t, content)]
        if periods:
            dated = _date_task(task, [t.span for t in periods], times, issued)
            if dated.due is not None or dated.start is not None:
                return dated.model_copy(update={"due_rule": "due.lead_in", "recurrence": task.recurrence})
    return task


_SEQUENCED_SECTIONS = ("schedule", "Phụ lục")
"""Sections whose tasks are steps of one timetable, so their dates should not go backwards."""


def _flag_steps_out_of_order(tasks: list[Task]) -> list[Task]:
    """Flag a timetable step dated before an earlier step ("dự thảo lần 3 … tháng 10/2020" after 8/2021)."""
    latest = None
    flagged = []
    for task in tasks:
        if task.section and task.section.startswith(_SEQUENCED_SECTIONS) and task.due is not None:
            precision = min(len(task.due.iso()), len(latest.iso())) if latest else 0
            if latest is not None and task.due.iso()[:precision] < latest.iso()[:precision]:
                task = task.model_copy(update={"flags": [*task.flags, "milestones_out_of_order"]})
            elif latest is None or task.due.sort_key() > latest.sort_key():
                latest = task.due
        flagged.append(task)
    return flagged


def extract(parsed: ParsedDocument) -> Extraction:
    """Build the Extraction of one document (pure: no I/O, no database)."""
    content = parsed.content
    outline = build_outline(parsed)
    meta = extract_metadata(parsed)
    references = extract_references(parsed, meta.number)
    cited = citation_spans(content)
    year = meta.issued_date.year if meta.issued_date else None
    mentions = find_mentions(content, 0, province=meta.province)
    times = [t for t in find_time_expressions(content, 0, default_year=year) if not _inside(t.span, cited)]
    refusal = not_administrative(parsed)
    drafts = [] if refusal else segment_tasks(parsed, mentions, outline)
    tasks = [
        _inherit_period(
            _date_task(task, draft.time_spans, times, meta.issued_date), draft, times, meta.issued_date, content
        )
        for task, draft in zip(build_tasks(parsed, drafts, mentions), drafts, strict=True)
    ]
    tasks = _flag_steps_out_of_order(tasks)
    targets = [] if refusal else extract_targets(parsed, default_year=year, title=meta.title or "")
    linked = []
    for target in targets:
        owner = next((i for i, t in enumerate(tasks) if _inside(target.span, [t.span])), None)
        linked.append(target.model_copy(update={"task": owner}))
    source = parsed.source
    if refusal:
        source = source.model_copy(update={"warnings": [*source.warnings, refusal]})
    return Extraction(
        source=source,
        content=content,
        blocks=parsed.blocks,
        document=meta,
        references=references,
        sections=extract_sections(parsed, outline),
        tasks=tasks,
        targets=linked,
        agencies=mentions,
        dates=times,
        pipeline_version=pipeline_version(),
    )
