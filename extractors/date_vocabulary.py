"""Shared vocabulary and types of the time-expression reader.

Everything the pattern, kind and window modules agree on lives here so they can
import it without importing each other: the word lists of
``resources/time_words.json``, the parsing atom and the public
:class:`TimeMention` (a ``TimeExpression`` that also says what the date is for).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from kehoach.extractors.resources import load_json
from kehoach.models.document import TimeExpression

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
    cue: str | None = None
    """Cue class of the word written before it: deadline, until, from, within, baseline (time_words.json)."""
    offset_amount: int | None = None
    """A duration counted from an event ("trong thời hạn 06 tháng, kể từ …"): the count …"""
    offset_unit: str | None = None
    """… its unit (day, month, year) …"""
    offset_from: str | None = None
    """… and the event: "issue" (this document's issue) or "effective" (a named document's effective date)."""
    completes: bool = False
    """A completion verb governs it ("hoàn thành trong Quý IV/2018", "Đến năm 2015, hoàn thành"): a finish date."""
    anchored: bool = False
    """A recurring duty with a first due: "Năm 2022 và hàng năm" (``end`` and ``recurrence`` both set)."""


@lru_cache(maxsize=1)
def vocabulary() -> dict[str, Any]:
    return load_json("time_words.json")


def _alt(words: Iterable[str]) -> str:
    """Regex alternation of words, longest first, any blank run between words."""
    unique = sorted(set(words), key=len, reverse=True)
    return "|".join(r"\s+".join(map(re.escape, word.split())) for word in unique)


def _words(text: str) -> str:
    return " ".join(text.lower().split())


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
    anchored: bool = False
    """A dated recurrence: "Năm 2022 và hàng năm" keeps its date as the first due."""
    repeat_from: int | None = None
    """Where the recurrence words of an anchored atom begin ("hàng năm" in "Năm 2022 và hàng năm")."""


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
