"""The rule tables of target extraction, compiled: units, qualifiers, cue words (``resources/units.json``).

Kept apart from the scanning code so that the number grammar (Vietnamese
decimal comma, thousands dot) and the vocabulary can be read, tested and
extended without touching how sentences are resolved. Everything here is
data-driven: a new unit or qualifier is a JSON edit, not a code change.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

RESOURCE = Path(__file__).parent / "resources" / "units.json"

# --------------------------------------------------------------------------- resources


def _alternation(phrases: list[str]) -> str:
    """Regex alternation, longest first, with flexible white space inside phrases."""
    ordered = sorted(set(phrases), key=len, reverse=True)
    return "|".join(r"\s+".join(re.escape(word) for word in phrase.split()) for phrase in ordered)


def _starts_with_any(phrases: list[str]) -> re.Pattern[str]:
    return re.compile(rf"^(?:{_alternation(phrases)})(?![^\W_])", re.IGNORECASE)


def _anywhere(phrases: list[str]) -> re.Pattern[str]:
    return re.compile(rf"(?<![^\W_])(?:{_alternation(phrases)})(?![^\W_])", re.IGNORECASE)


def _ends_with_any(phrases: list[str]) -> re.Pattern[str]:
    return re.compile(rf"(?<![^\W_])(?:{_alternation(phrases)})$", re.IGNORECASE)


@dataclass(frozen=True)
class UnitRule:
    unit: str
    kind: str
    not_followed_by: re.Pattern[str] | None


class Rules:
    """The compiled form of ``resources/units.json``."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.variant_unit: dict[str, UnitRule] = {}
        variants: list[str] = []
        for entry in data["units"]:
            avoid = entry.get("not_followed_by") or []
            rule = UnitRule(
                unit=entry["unit"],
                kind=entry["kind"],
                not_followed_by=re.compile(rf"^\s*(?:{_alternation(avoid)})(?![^\W_])", re.IGNORECASE)
                if avoid
                else None,
            )
            for variant in entry["variants"]:
                self.variant_unit[fold_key(variant)] = rule
                variants.append(variant)
        self.qualifier_of: dict[str, str] = {}
        for canonical, phrases in data["qualifiers"].items():
            for phrase in phrases:
                self.qualifier_of[fold_key(phrase)] = canonical
        self.post_qualifier_of: dict[str, str] = {}
        for canonical, phrases in data["post_qualifiers"].items():
            for phrase in phrases:
                self.post_qualifier_of[fold_key(phrase)] = canonical

        number = r"\d{1,3}(?:\.\d{3})+(?:,\d+)?(?![\d.])|\d+(?:[.,]\d+)?"
        unit = rf"(?:{_alternation(variants)})(?![^\W_])"
        qualifier = _alternation(list(self.qualifier_of))
        post = _alternation(list(self.post_qualifier_of))
        self.quantity = re.compile(
            rf"(?:(?<![^\W_])(?P<qual>{qualifier})\s+)?"
            rf"(?:(?<![^\W_])(?P<from>từ)\s+)?"
            rf"(?<![\w.,/+\-–—])(?P<a>{number})(?!\s*/\s*\d)"
            rf"(?:(?:\s*(?P<ua>{unit}))?\s*(?:-|–|—|(?<![^\W_])(?:đến|tới)(?![^\W_]))\s*(?P<b>{number})(?!\s*/\s*\d))?"
            rf"\s*(?P<unit>{unit})"
            rf"(?:\s+(?P<post>{post})(?![^\W_]))?",
            re.IGNORECASE,
        )

        def years(name: str) -> str:
            return rf"(?P<{name}>(?:19|20)\d{{2}})(?!\d)(?!\s*[-–—]\s*(?:19|20)?\d{{2}}(?!\d))(?!\s*/)"

        self.year_cue = re.compile(
            rf"(?<![^\W_])(?:(?:{_alternation(data['year_prepositions'])})\s+{years('y')}"
            rf"|(?:đến|tới|vào)\s+{years('y2')})",
            re.IGNORECASE,
        )
        deadline = _alternation(data["deadline_prepositions"])
        self.date_cue = re.compile(
            rf"(?<![^\W_])(?:{deadline})\s+(?:ngày\s+\d{{1,2}}\s*[/\-.]\s*\d{{1,2}}|ngày\s+\d{{1,2}}\s+tháng\s+\d{{1,2}}"
            rf"|tháng\s+\d{{1,2}}|quý\s+(?:[IV]+|\d))\s*(?:/|-|\s+năm\s+)\s*(?P<y>(?:19|20)\d{{2}})(?!\d)",
            re.IGNORECASE,
        )
        self.period_cue = re.compile(
            r"(?<![^\W_])giai\s+đoạn\s+(?:19|20)\d{2}\s*[-–—]\s*(?P<end>(?:19|20)\d{2})(?!\d)", re.IGNORECASE
        )
        self.printed_date = re.compile(r"(?:tháng|ngày)\s+\d{1,2}\s+$|(?:ngày|tháng)\s+\d{1,2}\s*/\s*$", re.IGNORECASE)
        self.year_exclusion = _ends_with_any(data["year_exclusions"] + data["period_words"])
        self.label_before = _ends_with_any(data["number_preceded_by"])
        self.baseline = re.compile(rf"(?<![^\W_])(?:{_alternation(data['baseline_cues'])})(?![^\W_])", re.IGNORECASE)
        self.sentence_baseline = re.compile(
            rf"(?<![^\W_])(?:{_alternation(data['sentence_baseline_cues'])})(?![^\W_])", re.IGNORECASE
        )
        self.head = _starts_with_any(data["indicator_heads"])
        self.verb_start = _starts_with_any(data["verb_starts"])
        self.clause_starter = _starts_with_any(data["clause_starters"])
        self.after_stop = re.compile(rf"(?<![^\W_])(?:{_alternation(data['after_stops'])})(?![^\W_])", re.IGNORECASE)
        self.lead_filler = re.compile(rf"^(?:{_alternation(data['lead_fillers'])})(?![^\W_])[\s,]*", re.IGNORECASE)
        self.linking_end = re.compile(rf"[\s,]*(?<![^\W_])(?:{_alternation(data['linking_words'])})$", re.IGNORECASE)
        self.skip_block = [re.compile(p, re.IGNORECASE) for p in data["skip_block_patterns"]]
        self.end_of_body = _starts_with_any(data["end_of_body"])
        self.appendix = _starts_with_any(data["appendix_starts"])
        self.table_indicator = _starts_with_any(data["table_indicator_headers"])
        self.table_unit = _starts_with_any(data["table_unit_headers"])
        self.work_verb_end = _ends_with_any(data["work_verbs"])
        self.frequency = _anywhere(data["frequency_cues"])
        self.financing = _anywhere(data["financing_cues"])
        self.money_goal = _anywhere(data["money_goal_cues"])
        self.per_unit_stops = {fold_key(word) for word in data["per_unit_stops"]}

    def unit_rule(self, printed: str) -> UnitRule:
        return self.variant_unit[fold_key(printed)]


def fold_key(phrase: str) -> str:
    return " ".join(unicodedata.normalize("NFC", phrase).lower().split())


@lru_cache(maxsize=1)
def rules() -> Rules:
    """Load the rule tables once per process."""
    return Rules(json.loads(RESOURCE.read_text(encoding="utf-8")))


# --------------------------------------------------------------------------- numbers


def parse_number(printed: str) -> float:
    """Read a number the Vietnamese way: "1.234,5" → 1234.5, "5,79" → 5.79, "1.000" → 1000, "06" → 6.

    A dot followed by groups of exactly three digits separates thousands; any
    other dot or comma is the decimal mark (plans copied from English sources
    write "1.5").
    """
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", printed):
        return float(printed.replace(".", "").replace(",", "."))
    return float(printed.replace(",", "."))


# --------------------------------------------------------------------------- text geometry

SENTENCE_END = re.compile(r"[.!?…]+[\"”)]*\s+")
CLAUSE_MARK = re.compile(r"[;:()]|,(?!\d)|…")
LIST_MARKER = re.compile(r"^\s*(?:[-–—+•*·]+|\(?[a-zđ]\)|\(?\d{1,2}(?:\.\d{1,2})*[.)]|[IVX]+[.\-)])\s*", re.IGNORECASE)
MARKDOWN = re.compile(r"[*_#`|]+")
SPACE = re.compile(r"\s+")
SPAN_TRIM = " \t\n,;:.*"


def sentence_starts(text: str) -> list[int]:
    """Offsets where sentences begin: after . ! ? … followed by space and a capital, digit or list mark."""
    starts = [0]
    for match in SENTENCE_END.finditer(text):
        end = match.end()
        if end < len(text):
            nxt = text[end]
            if nxt.isupper() or nxt.isdigit() or nxt in '*"“(-+•–':
                starts.append(end)
    return starts


def clause_marks(text: str) -> list[int]:
    return [m.start() for m in CLAUSE_MARK.finditer(text)]


def split_words(text: str) -> list[str]:
    return text.split()


def clean_phrase(text: str) -> str:
    return SPACE.sub(" ", MARKDOWN.sub(" ", text)).strip(" ,;:.-–")


def lower_first(text: str) -> str:
    """Lower-case the first letter, unless it opens an acronym (DDCI) or a proper name (Sở Xây dựng)."""
    if not text:
        return text
    words = text.split(" ", 2)
    if sum(c.isupper() for c in words[0]) >= 2 or (len(words) > 1 and words[1][:1].isupper()):
        return text
    return text[0].lower() + text[1:]
