"""Durations counted from an event: "trong thời hạn 06 tháng, kể từ ngày Nghị định … có hiệu lực".

Decrees and the letters that implement them set deadlines as a duration from an event
rather than a date.  The event is either the effective date of a document the text
names, which the text itself usually states ("Nghị định số 178/2026/NĐ-CP …, có hiệu lực
thi hành từ ngày 06/7/2026"), or the issue of the present document ("kể từ ngày ký", or no
event at all).  The first is resolved here, from the text alone; the second needs the
document's issue date, which only the metadata extractor knows, so the expression keeps
its duration (``offset_amount``/``offset_unit``) and :func:`resolve_from_issue` dates it.
Working days stay undated: counting them needs the holiday calendar.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta
from functools import lru_cache

from kehoach.extractors.date_vocabulary import TimeMention, _alt, _words, vocabulary
from kehoach.models.document import PartialDate

_NUMBER = re.compile(r"\d{1,5}(?:/\d{4})?(?:\s*/\s*[A-ZĐ][\w&]*(?:\s*-\s*[A-ZĐ][\w&]*)*)+")
"""A document number: "178/2026/NĐ-CP", "97/NQ-CP", "06- NQ/TW" is not needed here."""


@lru_cache(maxsize=1)
def _regexes() -> dict[str, re.Pattern[str]]:
    rel = vocabulary()["relative"]
    numwords = _alt(vocabulary()["number_words"])
    units = _alt([*rel["working_days"], *rel["units"]])
    flags = re.IGNORECASE
    return {
        "duration": re.compile(
            rf"(?<![^\W_])(?P<opener>{_alt(rel['openers'])})\s+(?P<n>\d{{1,3}}|{numwords})\s+(?P<unit>{units})(?![^\W_])"
            rf"(?:\s*,?\s*(?:được\s+tính\s+)?kể\s+từ\s+(?:ngày\s+)?(?P<event>[^;.]{{0,160}}?"
            rf"(?:{_alt(rel['effective'])}|{_alt(rel['issue'])}))(?![^\W_]))?",
            flags,
        ),
        "effective": re.compile(rf"(?:{_alt(rel['effective'])})\s*,?(?:\s+(?:kể\s+)?từ)?(?:\s+ngày)?\s*$", flags),
        "effective_words": re.compile(rf"(?:{_alt(rel['effective'])})", flags),
        "since": re.compile(r"\s*,?\s*(?:được\s+tính\s+)?kể\s+từ(?![^\W_])", flags),
        "self": re.compile(rf"(?<![^\W_])(?:{_alt(rel['self'])})(?![^\W_])", flags),
    }


def _key(number: str) -> str:
    return re.sub(r"\s+", "", number).upper()


def effective_dates(text: str, offset: int, points: list[TimeMention]) -> dict[str, PartialDate]:
    """Document number (or ``"self"``) → the effective date the text states for it.

    ``points`` are the dated expressions already found; one written right after "có hiệu
    lực (thi hành) (kể) từ ngày" belongs to the last document number written before it in
    the same sentence ("Nghị định này" is the document itself).
    """
    found: dict[str, PartialDate] = {}
    regexes = _regexes()
    for point in points:
        if point.start is None or point.start.day is None:
            continue
        begin = point.span[0] - offset
        lead = re.match(r"\D*", point.text)
        head = text[max(0, begin - 400) : begin] + (lead.group(0) if lead else "")
        if not regexes["effective"].search(" ".join(head.split()) + " "):
            continue
        sentence = re.split(r"[.;](?=\s)", head)[-1]
        numbers = list(_NUMBER.finditer(sentence))
        if numbers:
            found.setdefault(_key(numbers[-1].group(0)), point.start)
        elif regexes["self"].search(sentence[-200:]):
            found.setdefault("self", point.start)
    return found


def _shift(start: PartialDate, amount: int, unit: str) -> PartialDate:
    """``start`` + ``amount`` units, at ``start``'s precision (a month keeps month precision)."""
    if unit == "day":
        if start.day is None or start.month is None:
            return start
        day = date(start.year, start.month, start.day) + timedelta(days=amount)
        return PartialDate(year=day.year, month=day.month, day=day.day)
    months = amount * (12 if unit == "year" else 1)
    if start.month is None:
        return PartialDate(year=start.year + months // 12) if months % 12 == 0 else start
    index = start.year * 12 + (start.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    if start.day is None:
        return PartialDate(year=year, month=month)
    return PartialDate(year=year, month=month, day=min(start.day, calendar.monthrange(year, month)[1]))


def find_durations(text: str, offset: int, points: list[TimeMention]) -> list[TimeMention]:
    """Durations from an event, dated where the event's date is in the text (see the module)."""
    regexes = _regexes()
    effective = effective_dates(text, offset, points)
    units = {_words(k): v for k, v in vocabulary()["relative"]["units"].items()}
    out: list[TimeMention] = []
    for match in regexes["duration"].finditer(text):
        unit = units.get(_words(match["unit"]))
        token = _words(match["n"])
        amount = int(token) if token.isdigit() else vocabulary()["number_words"].get(token)
        if unit is None or not amount:  # working days, or an unreadable count
            continue
        event = match["event"] or ""
        end: PartialDate | None = None
        anchor: str | None = "issue"
        if event and regexes["effective_words"].search(event):
            anchor = "effective"
            numbers = list(_NUMBER.finditer(event))
            start = None
            if numbers:
                start = effective.get(_key(numbers[-1].group(0)))
            elif regexes["self"].search(event):
                start = effective.get("self")
            # any other event ("kể từ ngày quy định … khác đó có hiệu lực") has no date in the text
            end = _shift(start, amount, unit) if start is not None else None
        elif not event and regexes["since"].match(text, match.end()):
            anchor = None  # counted from an event the grammar does not know ("kể từ khi nhận được …")
        out.append(
            TimeMention(
                text=match.group(0),
                span=(offset + match.start(), offset + match.end()),
                end=end,
                deadline=True,
                cue="deadline",
                offset_amount=amount,
                offset_unit=unit,
                offset_from=anchor,
            )
        )
    return out


def resolve_from_issue(expression: TimeMention, issued: PartialDate | None) -> TimeMention:
    """Date a duration counted from the document's own issue ("trong thời hạn 30 ngày")."""
    if expression.offset_from != "issue" or expression.end is not None or issued is None:
        return expression
    if expression.offset_amount is None or expression.offset_unit is None:
        return expression
    return expression.model_copy(update={"end": _shift(issued, expression.offset_amount, expression.offset_unit)})
