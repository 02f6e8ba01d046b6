"""Pass 1 of the time-expression reader: atoms.

Each pattern of ``_patterns()`` finds one kind of expression (full date,
month, month range, quarter, part of a year, year, labelled period,
recurrence) and a handler turns its match into an :class:`_Atom`; the cue word
written before it ("trong", "trước", "đến", "từ"…) is then taken in, and
overlapping finds keep the longest.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from functools import lru_cache
from typing import Any

from kehoach.extractors.date_vocabulary import (
    _DASH,
    _GUARD,
    _alt,
    _Atom,
    _cue_classes,
    _label_classes,
    _part_names,
    _words,
    _Ymd,
    vocabulary,
)


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
    groups = match.groupdict()
    last = (year, _number(groups["m2"]), None) if groups.get("m2") else first
    if groups.get("m3"):
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


def _continuing(match: re.Match[str]) -> _Atom | None:
    """ "các năm tiếp theo": the duty dated just before it repeats in the years after."""
    return _Atom(match.start(), match.end(), None, None, recurrence=True, every_year=True)


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
    # "Quý III/2022", "Quý III năm 2022", "Quý III, năm 2022"
    year_tail = rf"(?:\s*(?:/|,?\s*năm)\s*(?P<y>{year}))?"
    quarter = _alt(voc["quarter_words"])
    continuing = _alt(voc["recurrence"]["continuing"])
    point_cues = _alt(w for cls in ("deadline", "until", "from") for w in voc["cues"][cls])
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
        # "Trước 15/12 hằng năm", "Từ 20/4 - 30/4/2026": a day/month after a point cue needs no "ngày"
        (rf"(?<![^\W_])(?P<cue>{point_cues})\s+(?P<d>\d{{1,2}}) ?/ ?(?P<m>\d{{1,2}}){_GUARD}", _numeric),
        # a time cell's "8/2024", "10-11/2019": month (range) and year without "tháng"; not a scale "tỷ lệ 1/2000"
        (
            rf"(?<!tỷ lệ )(?<!tỉ lệ )(?<![\w/.,\-])(?P<m>\d{{1,2}})(?:\s*{_DASH}\s*(?P<m2>\d{{1,2}}))?"
            rf"\s*/\s*(?P<y>{year}){_GUARD}",
            _month,
        ),
        (
            rf"(?<!\d\s)(?<![^\W_])(?:(?P<part>{parts})(?:\s*(?P<week>\d{{1,2}}))?\s+)?tháng(?:\s+tháng)*\s*"
            rf"(?P<m>\d{{1,2}})(?:\s*{_DASH}\s*(?P<m2>\d{{1,2}}))?{year_tail}"
            rf"(?:\s*{_DASH}\s*(?:tháng\s*)?(?P<m3>\d{{1,2}})\s*/\s*(?P<y3>{year}))?{_GUARD}",
            _month,
        ),
        (
            rf"(?<![^\W_])(?:(?P<part>{parts})\s+)?(?:{quarter})\s*(?P<q>{roman}|[1-4])"
            rf"(?:\s*(?:{_DASH}|,|và|đến)\s*(?:(?:{quarter})\s*)?(?P<q2>{roman}|[1-4]))?{year_tail}{_GUARD}",
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
        (rf"(?<![^\W_])(?:{continuing})(?![^\W_])", _continuing),
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


@lru_cache(maxsize=1)
def _ocr_digit() -> tuple[re.Pattern[str], dict[str, str]]:
    letters = vocabulary()["ocr_digits"]
    cls = "".join(map(re.escape, letters))
    # a look-alike letter inside a run of digits: "2O26", "3l/12" (a digit on one side, a digit or "/" on the other)
    return re.compile(rf"(?<=\d)[{cls}](?=[\d{cls}]*\d)|(?<=\d)[{cls}](?=/\d)"), letters


def read_digits(text: str) -> str:
    """``text`` with OCR look-alike letters inside numbers read as digits; the same length, so spans hold."""
    pattern, letters = _ocr_digit()
    return pattern.sub(lambda m: letters[m.group(0)], text)


def _find_atoms(text: str) -> list[_Atom]:
    text = read_digits(text)
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
