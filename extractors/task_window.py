"""From the time expressions of one task to its (start, due, recurrence), and anomaly flags."""

from __future__ import annotations

import calendar
import re

from extractors.date_parsing import schedule_expressions
from models.document import PartialDate, TimeExpression


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
    timed = schedule_expressions(expressions)
    recurrence = _recurrence_text(timed)
    dated = [e for e in timed if (not e.recurrence or _attr(e, "anchored")) and (e.start or e.end)]
    if recurrence:
        dated = [e for e in dated if _firm(e)]
    dated = _without_spans_of_finishes(dated)
    ends = [e.end for e in dated if e.end is not None]
    if not ends:
        starts = [e.start for e in dated if e.start is not None]
        return (min(starts, key=_lower) if starts else None), None, recurrence
    due = max(ends, key=lambda d: (_upper(d), _PRECISION[d.precision]))
    if len(dated) == 1:
        only = dated[0]
        start = only.start if only.start is not None and only.start != only.end else None
        return start, due, recurrence
    fine = [e for e in dated if _PRECISION[_anchor(e).precision] >= _PRECISION[due.precision]]
    first = min(fine, key=lambda e: (_lower(_anchor(e)), e.start is not None))
    return first.start, due, recurrence


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
