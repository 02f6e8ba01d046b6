"""From the time expressions of one task to its (start, due, recurrence), and anomaly flags."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass

from kehoach.extractors.date_parsing import schedule_expressions
from kehoach.extractors.date_vocabulary import TimeMention
from kehoach.extractors.relative_dates import resolve_from_issue
from kehoach.models.document import PartialDate, Span, Task, TimeExpression


def _upper(date: PartialDate) -> tuple[int, int, int]:
    """Last day the date can mean: 2022 → 2022-12-31, 2022-02 → 2022-02-28."""
    month = date.month or 12
    day = date.day or calendar.monthrange(date.year, month)[1]
    return (date.year, month, day)


def _lower(date: PartialDate) -> tuple[int, int, int]:
    return (date.year, date.month or 1, date.day or 1)


_PRECISION = {"year": 0, "month": 1, "day": 2}


def _recurrence_text(expressions: list[TimeExpression]) -> str | None:
    texts = [" ".join(e.recurrence.split()) for e in expressions if e.recurrence]
    if not texts:
        return None
    frequencies = [t for t in texts if re.fullmatch(r"\S+\s*lần\s*\S.*", t) and "(" not in t]
    others = [t for t in texts if t not in frequencies]
    if not others:
        return frequencies[0]
    # The most specific one: a date in it, then a unit, then bare "định kỳ".
    primary = max(others, key=lambda t: (bool(re.search(r"\d", t)), len(t)))
    extra = [f for f in frequencies if f not in primary]
    return f"{primary} ({extra[0]})" if extra else primary


@dataclass(frozen=True)
class Window:
    """A task's window and the expressions it was read from (for provenance: ``Task.due_rule``/``due_span``)."""

    start: PartialDate | None
    due: PartialDate | None
    recurrence: str | None
    due_from: TimeExpression | None = None
    """The expression whose end is the due."""
    start_from: TimeExpression | None = None


def task_window(
    expressions: list[TimeExpression],
) -> tuple[PartialDate | None, PartialDate | None, str | None]:
    """(start, due, recurrence) of one task from the expressions in its own text and milestones.

    * Names, citations, datelines and baselines are ignored (see ``kind``).
    * due = the latest end (2022 and 2022-12 end together; the more precise wins).
    * start = the start of an explicit range when there is one expression
      ("tháng 02-3/2022" → 2022-02); with several (milestones), the start of the
      earliest one, unless the earliest is open ("Đến năm 2025, …"), which
      leaves the start unknown.  Mentions coarser than the due ("năm 2021"
      beside month milestones) do not set the start.
    * A recurring duty ("định kỳ hàng tháng") has no single end: its due comes
      only from a firm date (a deadline, an explicit range, a date governed by
      "trong"/"vào" or by a completion verb, or the first due of "Năm 2022 và
      hàng năm"), not from horizon years mentioned in passing ("theo từng giai
      đoạn đến năm 2025 và năm 2030", "đảm bảo đến năm 2030 … đạt tiêu chí").
    * A span of years ("trong giai đoạn 2018 - 2020") that holds a finer completion
      date of the same task ("hoàn thành … trong Quý IV năm 2018") is the programme's span, not
      the task's window: the completion date is the due.
    """
    window = choose_window(expressions)
    return window.start, window.due, window.recurrence


def choose_window(expressions: list[TimeExpression]) -> Window:
    """:func:`task_window` with the chosen expressions kept."""
    timed = schedule_expressions(expressions)
    recurrence = _recurrence_text(timed)
    dated = [e for e in timed if (not e.recurrence or _attr(e, "anchored")) and (e.start or e.end)]
    if recurrence:
        dated = [e for e in dated if _firm(e)]
    dated = _without_spans_of_finishes(dated)
    ended = [e for e in dated if e.end is not None]
    if not ended:
        started = [e for e in dated if e.start is not None]
        first = min(started, key=lambda e: _lower(e.start)) if started else None  # type: ignore[arg-type]
        return Window(first.start if first else None, None, recurrence, None, first)
    last = max(ended, key=lambda e: (_upper(e.end), _PRECISION[e.end.precision]))  # type: ignore[arg-type]
    due = last.end
    assert due is not None
    if len(dated) == 1:
        start = last.start if last.start is not None and last.start != last.end else None
        return Window(start, due, recurrence, last, last if start else None)
    fine = [e for e in dated if _PRECISION[_anchor(e).precision] >= _PRECISION[due.precision]]
    first = min(fine, key=lambda e: (_lower(_anchor(e)), e.start is not None))
    return Window(first.start, due, recurrence, last, first if first.start else None)


def _attr(expression: TimeExpression, name: str) -> object:
    """A TimeMention field, with its default for plain TimeExpression objects built elsewhere."""
    return getattr(expression, name, None)


def _is_range(expression: TimeExpression) -> bool:
    return expression.start is not None and expression.end is not None and expression.start != expression.end


def _firm(expression: TimeExpression) -> bool:
    """A date that binds a recurring duty (see task_window)."""
    return bool(
        (expression.deadline and expression.end)
        or _is_range(expression)
        or _attr(expression, "anchored")
        or _attr(expression, "completes")
        or _attr(expression, "cue") == "within"
    )


def _without_spans_of_finishes(dated: list[TimeExpression]) -> list[TimeExpression]:
    """Drop a period that holds a completion date of the same task (see task_window)."""
    finishes = [e.end for e in dated if _attr(e, "completes") and e.end is not None]
    if not finishes:
        return dated

    def holds(period: TimeExpression) -> bool:
        assert period.start is not None and period.end is not None
        # a finer date (a month, a quarter, a day) inside a span of years: "giai đoạn 2018 - 2020" ∋ "Quý IV/2018"
        coarse = period.end.precision == "year"
        return coarse and any(
            f.precision != "year" and _lower(period.start) <= _lower(f) and _upper(f) <= _upper(period.end)
            for f in finishes
        )

    return [e for e in dated if not (_is_range(e) and not _attr(e, "completes") and holds(e))]


def _anchor(expression: TimeExpression) -> PartialDate:
    """Where an expression sits on the time line: its start, else its end."""
    anchor = expression.start or expression.end
    assert anchor is not None
    return anchor


# --------------------------------------------------------------------------- anomalies


def _before(a: PartialDate, b: PartialDate) -> bool:
    """a < b compared at the coarser precision of the two (2022 is not before 2022-03)."""
    level = min(_PRECISION[a.precision], _PRECISION[b.precision])
    return a.sort_key()[: level + 1] < b.sort_key()[: level + 1]


def flag_anomalies(
    issued: PartialDate | None,
    due: PartialDate | None,
    milestones: list[tuple[str, PartialDate | None]],
) -> list[str]:
    """``due_before_issue`` and ``milestones_out_of_order`` (a dated milestone earlier than
    the latest dated one before it, e.g. "dự thảo lần 3 trong tháng 10/2020" after drafts of 2021)."""
    flags: list[str] = []
    if issued is not None and due is not None and _before(due, issued):
        flags.append("due_before_issue")
    latest: PartialDate | None = None
    for _, date in milestones:
        if date is None:
            continue
        if latest is not None and _before(date, latest):
            flags.append("milestones_out_of_order")
            break
        if latest is None or _before(latest, date):
            latest = date
    return flags


# --------------------------------------------------------------------------- tasks


def _inside(span: Span, spans: list[Span]) -> bool:
    return any(start <= span[0] and span[1] <= end for start, end in spans)


def _due_rule(task: Task, chosen: TimeExpression, milestone_spans: list[Span]) -> str:
    """Stable id of where the chosen expression sits and how it was dated.

    ``due.relative_to_issue`` / ``due.relative_to_effective``: a duration counted from
    the document's issue or a named document's effective date; ``due.own_text``: in the
    task's own text; ``due.milestone``: in a milestone only; ``due.table_cell``: in a
    time cell of the task's table row; ``due.lead_in``: outside the task's text in
    prose (a lead-in or heading whose period passes to its items).
    """
    origin = _attr(chosen, "offset_from")
    if origin in ("issue", "effective"):
        return f"due.relative_to_{origin}"
    if _inside(chosen.span, [task.span]):
        return "due.own_text"
    if _inside(chosen.span, milestone_spans):
        return "due.milestone"
    return "due.table_cell" if task.rule == "task.table_row" else "due.lead_in"


def date_task(task: Task, time_spans: list[Span], times: list[TimeExpression], issued: PartialDate | None) -> Task:
    """The task with start, due, recurrence, milestone dates, anomaly flags, ``due_rule`` and ``due_span``.

    ``time_spans`` are where the task's own time is written (its text, its time cell);
    expressions in its milestones count too.  A duration counted from the issue
    ("trong thời hạn 30 ngày") is dated from ``issued`` here, the one place that knows it.
    """

    def dated(expressions: list[TimeExpression]) -> list[TimeExpression]:
        return [resolve_from_issue(e, issued) if isinstance(e, TimeMention) else e for e in expressions]

    milestone_spans = [m.span for m in task.milestones]
    milestones = []
    for milestone in task.milestones:
        found = dated([t for t in times if _inside(t.span, [milestone.span])])
        start, due, _ = task_window(found) if found else (None, None, None)
        milestones.append(milestone.model_copy(update={"start": start, "due": due}))
    own = [t for t in times if _inside(t.span, time_spans)]
    milestone_times = [t for t in times if _inside(t.span, milestone_spans) and t not in own]
    window = choose_window(dated(own + milestone_times))
    chosen = window.due_from or window.start_from
    flags = flag_anomalies(issued, window.due, [(m.text, m.due) for m in milestones])
    return task.model_copy(
        update={
            "start": window.start,
            "due": window.due,
            "recurrence": window.recurrence,
            "milestones": milestones,
            "flags": flags,
            "due_rule": _due_rule(task, chosen, milestone_spans) if chosen is not None else None,
            "due_span": chosen.span if chosen is not None else None,
        }
    )
