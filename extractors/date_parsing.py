"""Pass 2 (combination) and the results of the time-expression reader.

Atoms from :mod:`extractors.date_patterns` are joined into ranges and
recurrences, labelled by :mod:`extractors.date_kinds`, validated against the
calendar and returned as :class:`TimeMention` objects.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import replace
from functools import lru_cache

from kehoach.extractors.date_kinds import _kind
from kehoach.extractors.date_patterns import _find_atoms
from kehoach.extractors.date_vocabulary import _DASH, Kind, TimeMention, _alt, _Atom, _Ymd, vocabulary
from kehoach.extractors.relative_dates import find_durations
from kehoach.models.document import PartialDate, TimeExpression

_RANGE_GAP = re.compile(rf"\s*{_DASH}\s*")
_LIST_GAP = re.compile(r"\s*(?:,|và|hoặc)\s*", re.IGNORECASE)
_REC_GAP = re.compile(r"\s*,?\s*")
_AND_GAP = re.compile(r"\s*(?:,|và|;)\s*", re.IGNORECASE)
_YEAR_AFTER = re.compile(r"\s*(?:,|và)\s*(?:năm\s*)?(?P<y>\d{4})(?![^\W_]|/|[.,]\d|\s*%)", re.IGNORECASE)


def _fill(date: _Ymd | None, source: _Ymd | None) -> _Ymd | None:
    """Borrow the missing year (and month, for a day) from the other end of a range."""
    if date is None or source is None:
        return date
    year, month, day = date
    if year is None:
        year = source[0]
        if month is None and day is not None:
            month = source[1]
    return (year, month, day)


def _combine(text: str, atoms: list[_Atom]) -> list[_Atom]:
    out: list[_Atom] = []
    for atom in atoms:
        if not out:
            out.append(atom)
            continue
        prev = out[-1]
        gap = text[prev.stop : atom.begin]
        dated = not prev.recurrence and not atom.recurrence and prev.hi is not None
        if (
            dated
            and prev.label != "name"
            and atom.label is None
            and (
                (atom.cue == "until" and not gap.strip() and prev.cue in (None, "from", "within"))
                or (_RANGE_GAP.fullmatch(gap) and atom.cue is None and atom.lo is not None)
            )
        ):
            start = _fill(prev.lo, atom.hi)
            out[-1] = replace(prev, stop=atom.stop, lo=start, hi=atom.hi, part=None, wordy=False)
            continue
        if dated and _LIST_GAP.fullmatch(gap) and prev.hi[0] is None and atom.hi is not None:
            out[-1] = replace(prev, lo=_fill(prev.lo, atom.hi), hi=_fill(prev.hi, atom.hi))
        if (
            atom.every_year
            and not atom.frequency
            and not prev.recurrence
            and prev.label != "name"
            and prev.hi is not None
            and prev.hi[0] is not None
            and _AND_GAP.fullmatch(gap)
        ):
            # "Năm 2022 và hàng năm", "Quý IV/2025 và các năm tiếp theo": due first, then every year
            out[-1] = replace(prev, stop=atom.stop, recurrence=True, anchored=True, repeat_from=atom.begin)
            continue
        if (
            atom.recurrence
            and not prev.recurrence
            and prev.hi is not None
            and prev.hi[0] is None
            and _REC_GAP.fullmatch(gap)
            and atom.every_year
        ):
            # "trước ngày 15 tháng 12 hàng năm": a yearly deadline, not a date
            out[-1] = replace(atom, begin=prev.begin, cue=prev.cue)
            continue
        if (
            prev.every_year
            and not atom.recurrence
            and atom.hi is not None
            and atom.hi[0] is None
            and re.fullmatch(r"\s*[(,]?\s*", gap)
        ):
            # "định kỳ hàng năm (trước ngày 10/12)": the yearly recurrence's own deadline
            closing = re.match(r"\s*\)", text[atom.stop :]) if "(" in gap else None
            out[-1] = replace(prev, stop=atom.stop + (closing.end() if closing else 0))
            continue
        if atom.frequency and prev.recurrence and not prev.frequency and re.fullmatch(r"\s*\(\s*", gap):
            closing = re.match(r"\s*\)", text[atom.stop :])
            stop = atom.stop + closing.end() if closing else atom.stop
            out[-1] = replace(prev, stop=stop)
            continue
        out.append(atom)
    return _bare_year_lists(text, out)


def _bare_year_lists(text: str, atoms: list[_Atom]) -> list[_Atom]:
    """ "Quý IV/2025, 2026": a bare year listed after a dated expression extends it to that year.

    A bare four-digit number is no date on its own (it may be a count or a code), so it
    is read only in a list right after a date, and only when it is a later year.
    """
    out = list(atoms)
    for i, atom in enumerate(out):
        if atom.recurrence or atom.label == "name" or atom.hi is None or atom.hi[0] is None:
            continue
        following = out[i + 1].begin if i + 1 < len(out) else len(text)
        low, high = vocabulary()["year_range"]
        while (match := _YEAR_AFTER.match(text, atom.stop)) and match.end() <= following:
            year = int(match["y"])
            if atom.hi is None or atom.hi[0] is None or not atom.hi[0] < year <= high or year < low:
                break
            atom = replace(atom, stop=match.end(), hi=(year, None, None), part=None)
        out[i] = atom
    return out


def _partial(date: _Ymd | None) -> PartialDate | None:
    if date is None or date[0] is None:
        return None
    year, month, day = date
    if month is not None and not 1 <= month <= 12:
        return None
    if day is not None and (month is None or not 1 <= day <= calendar.monthrange(year, month)[1]):
        return None
    return PartialDate(year=year, month=month, day=day)


def _valid(date: _Ymd | None) -> bool:
    if date is None:
        return True
    year, month, day = date
    if month is not None and not 1 <= month <= 12:
        return False
    if day is not None:
        if month is None or not 1 <= day <= 31:
            return False
        if year is not None and day > calendar.monthrange(year, month)[1]:
            return False
    return True


@lru_cache(maxsize=1)
def _completion() -> tuple[re.Pattern[str], re.Pattern[str], int]:
    words = _alt(vocabulary()["completion"]["words"])
    before = re.compile(rf"(?<![^\W_])(?:{words})(?![^\W_])", re.IGNORECASE)
    after = re.compile(rf"\s*,?\s*(?:{words})(?![^\W_])", re.IGNORECASE)
    return before, after, vocabulary()["completion"]["look_back_chars"]


_CLAUSE_END = re.compile(r"[;.!?](?=\s)|\n\s*(?:[-+•*–]|[a-zđ]\)|\d+(?:\.\d+)*\.)\s|\|")


def _completes(text: str, atom: _Atom) -> bool:
    """True when a completion verb governs the date: before it in its clause, or right after it."""
    before, after, look_back = _completion()
    if after.match(text, atom.stop):
        return True
    left = text[max(0, atom.begin - look_back) : atom.begin]
    ends = list(_CLAUSE_END.finditer(left))
    return bool(before.search(left, ends[-1].end() if ends else 0))


def _mention(text: str, atom: _Atom, offset: int, default_year: int | None) -> TimeMention | None:
    if not (_valid(atom.lo) and _valid(atom.hi)):
        return None
    lo, hi = atom.lo, atom.hi
    inferred = False
    if not atom.recurrence and default_year is not None:
        if hi is not None and hi[0] is None:
            hi, inferred = (default_year, *hi[1:]), True
        if lo is not None and lo[0] is None:
            lo, inferred = (hi[0] if hi and hi[0] else default_year, *lo[1:]), True
    start, end = _partial(lo), _partial(hi)
    if start and end and start.sort_key() > (end.year, end.month or 13, end.day or 32):
        return None  # "từ tháng 6/2026 đến hết năm 2026" is a range: a coarser end closes at the end of its period
    if atom.cue in ("deadline", "until"):
        start = None
    elif atom.cue == "from" and atom.lo == atom.hi:
        end = None
    surface = text[atom.begin : atom.stop]
    return TimeMention(
        text=surface,
        span=(offset + atom.begin, offset + atom.stop),
        start=None if atom.recurrence and not atom.anchored else start,
        end=None if atom.recurrence and not atom.anchored else end,
        recurrence=text[atom.repeat_from or atom.begin : atom.stop] if atom.recurrence else None,
        deadline=atom.cue == "deadline",
        kind=_kind(text, atom),
        part=atom.part,
        year_inferred=inferred,
        cue=atom.cue,
        anchored=atom.anchored,
        completes=_completes(text, atom),
    )


def find_time_expressions(text: str, offset: int = 0, default_year: int | None = None) -> list[TimeExpression]:
    """Every time expression in ``text``: non-overlapping, longest match, in text order.

    Spans are ``offset`` + position, so a caller can pass a slice of the
    document content with the slice's offset.  ``default_year`` fills only
    expressions that give no year ("Quý III", "6 tháng đầu năm", "tháng 3");
    without it they keep ``start``/``end`` None.  Results are
    :class:`TimeMention` objects: check ``kind == "task"`` before using one
    to date work.
    """
    mentions: list[TimeMention] = []
    for atom in _combine(text, _find_atoms(text)):
        mention = _mention(text, atom, offset, default_year)
        if mention is not None:
            mentions.append(mention)
    durations = find_durations(text, offset, mentions)
    if durations:
        # a duration's event clause may hold a date of its own ("kể từ ngày 01/7/2026"): the duration wins
        kept = [m for m in mentions if not any(d.span[0] < m.span[1] and m.span[0] < d.span[1] for d in durations)]
        mentions = sorted([*kept, *durations], key=lambda m: m.span)
    return list(mentions)


def kind_of(expression: TimeExpression) -> Kind:
    """The kind of any TimeExpression (plain ones built elsewhere count as task dates)."""
    return getattr(expression, "kind", "task")


def schedule_expressions(expressions: Iterable[TimeExpression]) -> list[TimeExpression]:
    """Only the expressions that can date work (not names, citations, datelines, baselines)."""
    return [e for e in expressions if kind_of(e) == "task"]


def parse_date(text: str) -> PartialDate | None:
    """One metadata or reference date: "ngày 27 tháng 5 năm 2023", "ngày tháng 02 năm 2022" → 2022-02,
    "ngày  tháng  năm 2025" → 2025, "03/6/2020".  None when the text holds no dated expression."""
    for expression in find_time_expressions(text):
        if expression.recurrence:
            continue
        if expression.start is not None and (expression.end is None or expression.start == expression.end):
            return expression.start
        if expression.end is not None:
            return expression.end if expression.start is None else expression.start
    return None
