"""Vietnamese time expressions → partial-date intervals with their precision.

Plans schedule work as "trong tháng 02-3/2022", "Trung tuần tháng 3/2022",
"Quý III/2024", "6 tháng đầu năm", "trước ngày 30/10/2025", "đến năm 2030",
"định kỳ hàng tháng, quý, năm".  Hand-written on purpose: dateparser,
duckling-style parsers and underthesea all turn a date into one
``datetime`` (a fake 1st of the month for "tháng 3/2022", nothing at all
for "Quý III" or "6 tháng cuối năm"), and none of them keeps the precision
the text gives, reads month ranges sharing a year ("tháng 02-3/2022"), or
tells a deadline from a window.  Here every result is an interval of
:class:`PartialDate` (year, month?, day?) as precise as the text and no more.

How it works, in three passes, all regular expressions over the raw text:

1. *atoms*: each pattern of ``_patterns()`` finds one kind of expression
   (full date, month, month range, quarter, part of a year, year, labelled
   period, recurrence), with the cue word written before it ("trong",
   "trước", "đến", "từ"…); overlapping finds keep the longest.
2. *combination*: "từ tháng 01 đến tháng 3 năm 2022" joins two atoms into one
   range, the left one borrowing the year; "tháng 5 và tháng 6/2022" lends the
   year leftwards; a date without a year followed by "hàng năm" becomes a
   recurrence ("trước ngày 15 tháng 12 hàng năm").
3. *kind*: dates that are not a schedule are labelled so task dating can
   skip them: ``name`` (part of a plan or document name: "thời kỳ 2021 -
   2030", "tầm nhìn đến năm 2050", "Chiến lược … đến năm 2030", "… đến năm
   2035, tỷ lệ 1/5.000"), ``citation`` (the date of a cited legal document:
   "Quyết định số 197/QĐ-UBND ngày 25/01/2022"), ``dateline`` (the document's
   own "Lạng Sơn, ngày … tháng … năm …"), ``baseline`` ("so với năm 2021").

Every word list lives in ``resources/time_words.json``; ``datetime`` and
``calendar`` only validate (day ≤ days in the month).
"""

from __future__ import annotations

import calendar
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib.resources import files
from typing import Any, Literal

from models.document import PartialDate, TimeExpression

Kind = Literal["task", "name", "citation", "dateline", "baseline"]
_Ymd = tuple[int | None, int | None, int | None]
"""(year, month, day) while parsing; the year may still be missing ("tháng 3")."""


class TimeMention(TimeExpression):
    """A :class:`TimeExpression` plus what the date is *for*.

    It is a subclass so every consumer of ``TimeExpression`` keeps working;
    the extra fields say whether the date can schedule a task (``kind ==
    "task"``) and keep the narrowing words a month-precision date cannot hold.
    """

    kind: Kind = "task"
    part: str | None = None
    """Narrowing note: "early"/"middle"/"late" (đầu/trung tuần/cuối), "week 4" (Tuần 4 tháng 4/2022)."""
    year_inferred: bool = False
    """True when the year came from ``default_year``, not from the text."""


# --------------------------------------------------------------------------- vocabulary


@lru_cache(maxsize=1)
def vocabulary() -> dict[str, Any]:
    path = files("extractors") / "resources" / "time_words.json"
    return json.loads(path.read_text(encoding="utf-8"))


def _alt(words: Iterable[str]) -> str:
    """Regex alternation of words, longest first, any blank run between words."""
    unique = sorted(set(words), key=len, reverse=True)
    return "|".join(r"\s+".join(map(re.escape, word.split())) for word in unique)


def _words(text: str) -> str:
    return " ".join(text.lower().split())


# --------------------------------------------------------------------------- atoms


@dataclass
class _Atom:
    begin: int
    stop: int
    lo: _Ymd | None
    hi: _Ymd | None
    cue: str | None = None
    """Cue class: deadline, until, from, within, baseline (see time_words.json)."""
    label: str | None = None
    """"period" (giai đoạn) or "name" (thời kỳ, tầm nhìn…)."""
    part: str | None = None
    recurrence: bool = False
    every_year: bool = False
    """A recurrence whose unit is the year: a day/month before it loses its year."""
    frequency: bool = False
    wordy: bool = False
    """Written "ngày … tháng … năm …" (the dateline form)."""


_GUARD = r"(?![^\W_]|/\d|/[^\W\d_]|[.,]\d|\s*%)"
"""After a number: not glued to a word, a code ("/NQ-CP"), a decimal or a percent."""
_DASH = r"[-–—]"


@lru_cache(maxsize=1)
def _cue_classes() -> dict[str, str]:
    classes: dict[str, str] = {}
    for cls, words in vocabulary()["cues"].items():
        for word in words:
            classes[_words(word)] = cls
    return classes


@lru_cache(maxsize=1)
def _label_classes() -> dict[str, str]:
    return {_words(w): cls for cls, words in vocabulary()["labels"].items() for w in words}


@lru_cache(maxsize=1)
def _part_names() -> dict[str, str]:
    return {_words(w): v for w, v in vocabulary()["parts"].items()}


def _number(token: str | None) -> int | None:
    if token is None:
        return None
    token = _words(token)
    if token.isdigit():
        return int(token)
    roman = vocabulary()["roman"]
    if token.upper() in roman:
        return roman[token.upper()]
    return vocabulary()["number_words"].get(token)


def _year(token: str | None) -> int | None:
    """The year of a 4-digit token; -1 outside ``year_range`` (the whole find is then dropped)."""
    if token is None:
        return None
    low, high = vocabulary()["year_range"]
    year = int(token)
    return year if low <= year <= high else -1


def _cue_of(match: re.Match[str]) -> str | None:
    cue = match.groupdict().get("cue")
    return _cue_classes().get(_words(cue)) if cue else None


def _part_of(match: re.Match[str]) -> str | None:
    part = match.groupdict().get("part")
    if not part:
        return None
    name = _part_names().get(_words(part), _words(part))
    week = match.groupdict().get("week")
    return f"{name} {int(week)}" if week else name


Handler = Callable[[re.Match[str]], _Atom | None]


def _atom(match: re.Match[str], lo: _Ymd | None, hi: _Ymd | None, **extra: Any) -> _Atom:
    return _Atom(match.start(), match.end(), lo, hi, cue=_cue_of(match), **extra)


def _full_words(match: re.Match[str]) -> _Atom | None:
    """ngày 27 tháng 5 năm 2023 / ngày tháng 02 năm 2022 (blank day) / ngày  tháng  năm 2025."""
    day, month, year = _number(match["d"]), _number(match["m"]), _year(match["y"])
    if day is not None and month is None:
        return None
    if month is None and year is None:
        return None
    if day is None and month is not None and year is None:
        return None
    point = (year, month, day)
    return _atom(match, point, point, wordy=True)


def _numeric(match: re.Match[str]) -> _Atom | None:
    """03/6/2020, ngày 15/11/2025, ngày 15/12 (no year), ngày /02/2022 (blank day)."""
    day = _number(match.groupdict().get("d"))
    point = (_year(match.groupdict().get("y")), _number(match["m"]), day)
    return _atom(match, point, point)


def _month(match: re.Match[str]) -> _Atom | None:
    """(Đầu|Tuần 4) tháng 3/2022, tháng 02-3/2022, tháng 11/2022 - 02/2023, tháng tháng 4/2022."""
    year = _year(match["y"])
    first = (year, _number(match["m"]), None)
    last = (year, _number(match["m2"]), None) if match["m2"] else first
    if match["m3"]:
        last = (_year(match["y3"]), _number(match["m3"]), None)
    return _atom(match, first, last, part=_part_of(match))


def _quarter(match: re.Match[str]) -> _Atom | None:
    """Quý III/2024, quý 3 năm 2024, quý I và II năm 2024 → the quarter's months."""
    year = _year(match["y"])
    first_q = _number(match["q"])
    last_q = _number(match["q2"]) if match["q2"] else first_q
    if not first_q or not last_q or not (1 <= first_q <= last_q <= 4):
        return None
    return _atom(match, (year, 3 * first_q - 2, None), (year, 3 * last_q, None), part=_part_of(match))


def _year_fraction(match: re.Match[str]) -> _Atom | None:
    """6 tháng đầu năm 2024 → 01..06; 6 tháng cuối năm → 07..12; nửa đầu năm → 01..06."""
    year = _year(match["y"])
    if match.groupdict().get("half"):
        first, last = vocabulary()["halves"][_words(match["half"])]
    else:
        count = _number(match["n"])
        if not count or not 1 <= count <= 12:
            return None
        side = vocabulary()["half_year"][_words(match["side"])]
        first, last = (1, count) if side == "first" else (13 - count, 12)
    return _atom(match, (year, first, None), (year, last, None))


def _year_part(match: re.Match[str]) -> _Atom | None:
    """đầu/giữa/cuối năm 2024: year precision, the part kept as a note."""
    year = _year(match["y"])
    return _atom(match, (year, None, None), (year, None, None), part=_part_of(match))


def _years(match: re.Match[str]) -> _Atom | None:
    """năm 2025, giai đoạn 2021 - 2025, thời kỳ 2021-2030, tầm nhìn đến năm 2050, 2021-2030."""
    first = _year(match["y"])
    last = _year(match["y2"]) if match.groupdict().get("y2") else first
    if first is None or last is None or last < first:
        return None
    label = match.groupdict().get("label")
    label_class = _label_classes().get(_words(label)) if label else None
    lo: _Ymd | None = (first, None, None)
    if label and _words(label).endswith(("đến", "tới")) and not match.groupdict().get("y2"):
        lo = None  # "tầm nhìn đến năm 2050": open start
    return _atom(match, lo, (last, None, None), label=label_class)


@lru_cache(maxsize=1)
def _every_year() -> re.Pattern[str]:
    return re.compile(rf"(?:{_alt(vocabulary()['recurrence']['every'])})\s+năm$", re.IGNORECASE)


def _recurrence(match: re.Match[str]) -> _Atom | None:
    every_year = bool(_every_year().search(_words(match.group(0))))
    return _Atom(match.start(), match.end(), None, None, recurrence=True, every_year=every_year)


def _frequency(match: re.Match[str]) -> _Atom | None:
    return _Atom(match.start(), match.end(), None, None, recurrence=True, frequency=True)


def _day_of_month(match: re.Match[str]) -> _Atom | None:
    """ngày 5 hàng tháng: a monthly recurrence anchored on a day."""
    return _Atom(match.start(), match.end(), None, None, cue=_cue_of(match), recurrence=True)


@lru_cache(maxsize=1)
def _patterns() -> list[tuple[re.Pattern[str], Handler]]:
    voc = vocabulary()
    parts = _alt(voc["parts"])
    numwords = _alt(voc["number_words"])
    every = _alt(voc["recurrence"]["every"])
    units = _alt(voc["recurrence"]["units"])
    unit_or_months = rf"(?:\d{{1,2}}|{numwords})\s+tháng|{units}"
    periodic = _alt(voc["recurrence"]["periodic"])
    labels = _alt(w for words in voc["labels"].values() for w in words)
    halves = _alt(voc["halves"])
    sides = _alt(voc["half_year"])
    roman = r"XII|XI|IX|X|VIII|VII|VI|IV|V|III|II|I"
    year = r"\d{4}"
    year_tail = rf"(?:\s*(?:/|năm)\s*(?P<y>{year}))?"
    # One list of units with optional "hàng" after the first: "hàng tháng, quý, năm".
    unit_list = (
        rf"(?:{every})\s+(?:{unit_or_months})(?![^\W_])"
        rf"(?:\s*(?:,|và|hoặc|/)\s*(?:(?:{every})\s+)?(?:{unit_or_months})(?!\s*\d|[^\W_]))*"
    )
    times = voc["recurrence"]["frequency"]
    frequency = rf"(?:\d{{1,2}}|{numwords})\s*{times}\s*(?:/|(?:trong\s+)?(?:một|mỗi|1)\s+)\s*(?:{units})(?![^\W_])"
    flags = re.IGNORECASE
    table: list[tuple[str, Handler]] = [
        (
            rf"(?<![^\W_])ngày\s*(?P<d>\d{{1,2}})?\s*tháng\s*(?P<m>\d{{1,2}})?\s*(?:năm\s*(?P<y>{year}))?{_GUARD}",
            _full_words,
        ),
        (
            rf"(?:(?<![^\W_])ngày\s*)?(?<![\w/.,])(?P<d>\d{{1,2}}) ?(?P<sep>[/.\-]) ?"
            rf"(?P<m>\d{{1,2}}) ?(?P=sep) ?(?P<y>{year}){_GUARD}",
            _numeric,
        ),
        (rf"(?<![^\W_])ngày\s*(?P<d>\d{{1,2}}) ?/ ?(?P<m>\d{{1,2}}){_GUARD}", _numeric),
        (rf"(?<![^\W_])ngày\s*/ ?(?P<m>\d{{1,2}})? ?/ ?(?P<y>{year}){_GUARD}", _numeric),
        (
            rf"(?<!\d\s)(?<![^\W_])(?:(?P<part>{parts})(?:\s*(?P<week>\d{{1,2}}))?\s+)?tháng(?:\s+tháng)*\s*"
            rf"(?P<m>\d{{1,2}})(?:\s*{_DASH}\s*(?P<m2>\d{{1,2}}))?{year_tail}"
            rf"(?:\s*{_DASH}\s*(?:tháng\s*)?(?P<m3>\d{{1,2}})\s*/\s*(?P<y3>{year}))?{_GUARD}",
            _month,
        ),
        (
            rf"(?<![^\W_])(?:(?P<part>{parts})\s+)?quý\s*(?P<q>{roman}|[1-4])"
            rf"(?:\s*(?:{_DASH}|,|và|đến)\s*(?:quý\s*)?(?P<q2>{roman}|[1-4]))?{year_tail}{_GUARD}",
            _quarter,
        ),
        (
            rf"(?<![^\W_])(?P<n>\d{{1,2}}|{numwords})\s+tháng\s+(?P<side>{sides})\s+năm(?:\s+(?P<y>{year}))?{_GUARD}",
            _year_fraction,
        ),
        (rf"(?<![^\W_])(?P<half>{halves})(?:\s+(?P<y>{year}))?{_GUARD}", _year_fraction),
        (rf"(?<![^\W_])(?P<part>đầu|giữa|cuối)\s+năm(?:\s+(?P<y>{year}))?{_GUARD}", _year_part),
        (
            rf"(?<![^\W_])(?:(?P<label>{labels})\s+)?(?:\d{{1,2}}\s+)?năm\s*(?P<y>{year})"
            rf"(?:\s*(?:{_DASH}|đến|tới)\s*(?:năm\s*)?(?P<y2>{year}))?{_GUARD}",
            _years,
        ),
        (
            rf"(?<![^\W_])(?P<label>{labels})\s*(?:từ\s+)?(?P<y>{year})"
            rf"(?:\s*(?:{_DASH}|đến|tới)\s*(?:năm\s*)?(?P<y2>{year}))?{_GUARD}",
            _years,
        ),
        (rf"(?<![\w/.,\-])(?P<y>{year})\s*{_DASH}\s*(?P<y2>{year}){_GUARD}", _years),
        (rf"(?<![^\W_])(?P<cue>đến|tới|đến hết|từ|kể từ)\s+(?P<y>{year}){_GUARD}", _years),
        (
            rf"(?<![^\W_])(?:(?:{periodic})\s+(?:(?:theo|vào)\s+)?)?{unit_list}(?:\s*\(\s*{frequency}\s*\))?",
            _recurrence,
        ),
        (
            rf"(?<![^\W_])(?:{periodic})(?:\s+(?:\d{{1,2}}|{numwords})\s+tháng"
            rf"(?:\s*(?:,|và|/)\s*(?:(?:{every}|cả)\s+)?(?:quý|năm)(?!\s*\d|[^\W_]))*)?(?![^\W_])",
            _recurrence,
        ),
        (
            rf"(?<![^\W_])(?:\d{{1,2}}|{numwords})\s+tháng\s*(?:,|và|/)\s*(?:(?:{every}|cả)\s+)?năm(?!\s*\d|[^\W_])",
            _recurrence,
        ),
        (rf"(?<![^\W_]){frequency}", _frequency),
        (rf"(?<![^\W_])ngày\s+(?P<d>\d{{1,2}})\s+(?:{every})\s+tháng(?![^\W_])", _day_of_month),
    ]
    return [(re.compile(pattern, flags), handler) for pattern, handler in table]


@lru_cache(maxsize=1)
def _cue_before() -> re.Pattern[str]:
    cues = _alt(w for words in vocabulary()["cues"].values() for w in words)
    return re.compile(rf"(?<![^\W_])(?P<cue>{cues})\s+$", re.IGNORECASE)


def _with_cue(text: str, atom: _Atom) -> _Atom:
    """Extend an atom leftwards over the cue word written before it ("trong", "trước ngày", "đến")."""
    if atom.cue is not None or atom.recurrence:
        return atom
    match = _cue_before().search(text, max(0, atom.begin - 40), atom.begin)
    if match is None:
        return atom
    return replace(atom, begin=match.start(), cue=_cue_classes()[_words(match["cue"])])


def _find_atoms(text: str) -> list[_Atom]:
    found: list[_Atom] = []
    for pattern, handler in _patterns():
        for match in pattern.finditer(text):
            atom = handler(match)
            if atom is not None and not _has_bad_year(atom):
                found.append(_with_cue(text, atom))
    found.sort(key=lambda a: (a.begin, -(a.stop - a.begin)))
    chosen: list[_Atom] = []
    for atom in found:  # leftmost first, longest first at the same start
        if not chosen or atom.begin >= chosen[-1].stop:
            chosen.append(atom)
    return chosen


def _has_bad_year(atom: _Atom) -> bool:
    return any(bound is not None and bound[0] == -1 for bound in (atom.lo, atom.hi))


# --------------------------------------------------------------------------- combination

_RANGE_GAP = re.compile(rf"\s*{_DASH}\s*")
_LIST_GAP = re.compile(r"\s*(?:,|và|hoặc)\s*", re.IGNORECASE)
_REC_GAP = re.compile(r"\s*,?\s*")


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
    return out


# --------------------------------------------------------------------------- kinds


@lru_cache(maxsize=1)
def _name_regexes() -> dict[str, re.Pattern[str]]:
    names = vocabulary()["names"]
    flags = re.IGNORECASE
    return {
        "noun": re.compile(rf"(?<![^\W_])(?:{_alt(names['document_nouns'])})(?![^\W_])", flags),
        "follower": re.compile(rf"\s*,\s*(?:{_alt(names['name_followers'])})", flags),
        "title": re.compile(rf"(?<![^\W_])(?:{_alt(names['title_openers'])})(?![^\W_])", flags),
        "predicate": re.compile(rf"(?<![^\W_])(?:{_alt(names['predicate_words'])})(?![^\W_])", flags),
        "break": re.compile(names["clause_break_pattern"], flags),
        "cited": re.compile(r"\s*(?:số\s*:?\s*)?[\w.\-]*\d[\w.\-]*(?:\s*/\s*[\w.&\-]+)+", flags),
    }


# The end of a document number ("197/QĐ-UBND", "06- NQ/TW,", "2276/QĐ- UBND", "số -KH/BCĐ") just
# before a date: that date belongs to the cited document.  Codes are upper case ("m²/người" is not one).
_CITED_BEFORE = re.compile(r"(?:/\s*[A-ZĐ][\w&]*(?:\s*-\s*[A-ZĐ][\w&]*)*|(?<![^\W_])(?:[Ss]ố|SỐ))\s*,?$")
# "Lạng Sơn, " at a line start, or after a column gap when a layout tool put the header's two columns
# on one line ("Số: 7432/UBND-XD      Lào Cai, ngày …").
_DATELINE_BEFORE = re.compile(r"(?:^|\n|\s{3,})[ \t|*]*[^\W\d_][^\n,;:.()/]{0,40},[ \t]*$")
_STARTS_WITH_DAY = re.compile(r"ngày\b", re.IGNORECASE)


@lru_cache(maxsize=1)
def _noun_before() -> re.Pattern[str]:
    nouns = _alt(vocabulary()["names"]["document_nouns"])
    return re.compile(rf"(?<![^\W_])(?:{nouns})(?:\s+số)?$", re.IGNORECASE)


def _kind(text: str, atom: _Atom) -> Kind:
    if atom.cue == "baseline":
        return "baseline"
    if atom.label == "name" or _name_regexes()["follower"].match(text, atom.stop):
        return "name"
    if atom.cue is None and not atom.recurrence:
        left = text[max(0, atom.begin - 80) : atom.begin]
        if atom.wordy and _DATELINE_BEFORE.search(left):
            return "dateline"
        flat = " ".join(left.split())
        if _CITED_BEFORE.search(flat):
            return "citation"
        if _STARTS_WITH_DAY.match(text, atom.begin) and _noun_before().search(flat):
            return "citation"  # "Quyết định ngày 05/3/2020": a cited document without its number
    if atom.cue not in (None, "until") or atom.recurrence or atom.hi is None or atom.hi[1] is not None:
        # A time preposition ("trong", "trước", "từ") makes it the action's own time, and names
        # carry years or periods ("Chiến lược … đến năm 2030"), never a month or a day.
        return "task"
    return "name" if _inside_name(text, atom) else "task"


def _inside_name(text: str, atom: _Atom) -> bool:
    """True when the expression ends a document or plan name begun by a noun in the same clause."""
    regexes = _name_regexes()
    look_back = vocabulary()["names"]["look_back_chars"]
    left = text[max(0, atom.begin - look_back) : atom.begin]
    breaks = list(regexes["break"].finditer(left))
    if breaks:
        left = left[breaks[-1].end() :]
    nouns = list(regexes["noun"].finditer(left))
    if not nouns:
        return False
    between = left[nouns[-1].end() :]
    if regexes["predicate"].search(between):
        return False
    if regexes["cited"].match(between):
        # "theo Nghị quyết số 81-NQ/TU … đến năm 2025" is the action's time;
        # "Kết luận số 48-KL/TW … về việc … giai đoạn 2023-2030" is the cited title.
        return bool(regexes["title"].search(between))
    return True


# --------------------------------------------------------------------------- results


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
    if start and end and start.sort_key() > end.sort_key():
        return None
    if atom.cue in ("deadline", "until"):
        start = None
    elif atom.cue == "from" and atom.lo == atom.hi:
        end = None
    surface = text[atom.begin : atom.stop]
    return TimeMention(
        text=surface,
        span=(offset + atom.begin, offset + atom.stop),
        start=None if atom.recurrence else start,
        end=None if atom.recurrence else end,
        recurrence=surface if atom.recurrence else None,
        deadline=atom.cue == "deadline",
        kind=_kind(text, atom),
        part=atom.part,
        year_inferred=inferred,
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
    mentions: list[TimeExpression] = []
    for atom in _combine(text, _find_atoms(text)):
        mention = _mention(text, atom, offset, default_year)
        if mention is not None:
            mentions.append(mention)
    return mentions


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


# --------------------------------------------------------------------------- task windows


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
      only from a deadline or an explicit range, not from horizon years mentioned
      in passing ("theo từng giai đoạn đến năm 2025 và năm 2030").
    """
    timed = schedule_expressions(expressions)
    recurrence = _recurrence_text(timed)
    dated = [e for e in timed if not e.recurrence and (e.start or e.end)]
    if recurrence:
        dated = [e for e in dated if (e.deadline and e.end) or (e.start and e.end and e.start != e.end)]
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
