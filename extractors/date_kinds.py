"""Pass 3 of the time-expression reader: what a date is *for*.

Dates that are not a schedule are labelled so task dating can skip them:
``name`` (part of a plan or document name), ``citation`` (the date of a cited
legal document), ``dateline`` (the document's own place and date),
``baseline`` ("so với năm 2021").
"""

from __future__ import annotations

import re
from functools import lru_cache

from kehoach.extractors.date_vocabulary import Kind, _alt, _Atom, vocabulary


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
