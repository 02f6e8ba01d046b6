"""Quantified targets (chỉ tiêu) of Vietnamese plans: a number with a unit, tied to an indicator and a year.

Plans state targets in running prose, several to a sentence, and rely on word
order to tie each number to its year and indicator:

* a year printed right after a value belongs to it ("đạt khoảng 11-16% vào năm
  2025, khoảng 16 - 24% vào năm 2030");
* a year opening a sentence or clause governs what follows ("Đến năm 2030 hoàn
  thành 100% …; 100% …"), even into the next sentences of the paragraph;
* a year closing a sentence governs the values before it ("… 80% hộ gia đình,
  … đạt 80%, … 100% các trục đường chính … đến năm 2025.");
* the indicator is either written before the value ("tỷ lệ … đạt 80%") or is
  the population after it ("100% các đô thị …", "06 quy hoạch xây dựng vùng
  huyện"), and is carried over an ellipsis ("…, khoảng 16 - 24% vào năm 2030").

So the module finds quantities and time cues with regular expressions built
from ``resources/units.json`` (units, qualifiers, exclusions are data), then
resolves years and indicators from their positions in sentences and clauses.
It is pure string work: no tokenizer is needed, and it keeps every span exact.

Precision matters more than recall here (most plans have no targets at all),
so a quantity is dropped when it is a label ("Điều 11", "Km18"), a fraction or
date ("5,79/7,0", "6/7/2022"), a reported value ("năm 2021 đạt …", "đã đạt"),
a year before the plan's own, or a bare count no year is tied to.
"""

from __future__ import annotations

import json
import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from models.document import Block, ParsedDocument, Target

RESOURCE = Path(__file__).parent / "resources" / "units.json"

MAX_AFTER_WORDS = 25
"""An indicator written after its value is a noun phrase, not a paragraph."""
MAX_BEFORE_WORDS = 15
MAX_APPENDED_BEFORE_WORDS = 10
"""The verb phrase before a count ("hoàn thành 06 quy hoạch …") is appended to the indicator when this short."""
SHORT_AFTER_WORDS = 4
"""A ratio's population this short ("80% hộ gia đình") needs the words before the value to make sense."""
ATTACHED_CUE_GAP = 40
"""A year printed this close after a target's words is shown in the target's text."""
MAX_CONTINUATION_WORDS = 12
"""A comma-separated segment this short that opens no new clause still belongs to the indicator."""


# --------------------------------------------------------------------------- resources


def _alternation(phrases: list[str]) -> str:
    """Regex alternation, longest first, with flexible white space inside phrases."""
    ordered = sorted(set(phrases), key=len, reverse=True)
    return "|".join(r"\s+".join(re.escape(word) for word in phrase.split()) for phrase in ordered)


def _starts_with_any(phrases: list[str]) -> re.Pattern[str]:
    return re.compile(rf"^(?:{_alternation(phrases)})(?![^\W_])", re.IGNORECASE)


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
                self.variant_unit[_key(variant)] = rule
                variants.append(variant)
        self.qualifier_of: dict[str, str] = {}
        for canonical, phrases in data["qualifiers"].items():
            for phrase in phrases:
                self.qualifier_of[_key(phrase)] = canonical
        self.post_qualifier_of: dict[str, str] = {}
        for canonical, phrases in data["post_qualifiers"].items():
            for phrase in phrases:
                self.post_qualifier_of[_key(phrase)] = canonical

        number = r"\d{1,3}(?:\.\d{3})+(?:,\d+)?(?![\d.])|\d+(?:[.,]\d+)?"
        unit = rf"(?:{_alternation(variants)})(?![^\W_])"
        qualifier = _alternation(list(self.qualifier_of))
        post = _alternation(list(self.post_qualifier_of))
        self.quantity = re.compile(
            rf"(?:(?<![^\W_])(?P<qual>{qualifier})\s+)?"
            rf"(?:(?<![^\W_])từ\s+)?"
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

    def unit_rule(self, printed: str) -> UnitRule:
        return self.variant_unit[_key(printed)]


def _key(phrase: str) -> str:
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

_SENTENCE_END = re.compile(r"[.!?…]+[\"”)]*\s+")
_CLAUSE_MARK = re.compile(r"[;:()]|,(?!\d)|…")
_LIST_MARKER = re.compile(r"^\s*(?:[-–—+•*·]+|\(?[a-zđ]\)|\(?\d{1,2}(?:\.\d{1,2})*[.)]|[IVX]+[.\-)])\s*", re.IGNORECASE)
_MARKDOWN = re.compile(r"[*_#`|]+")
_SPACE = re.compile(r"\s+")
_SPAN_TRIM = " \t\n,;:.*"


def _sentence_starts(text: str) -> list[int]:
    """Offsets where sentences begin: after . ! ? … followed by space and a capital, digit or list mark."""
    starts = [0]
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        if end < len(text):
            nxt = text[end]
            if nxt.isupper() or nxt.isdigit() or nxt in '*"“(-+•–':
                starts.append(end)
    return starts


def _clause_marks(text: str) -> list[int]:
    return [m.start() for m in _CLAUSE_MARK.finditer(text)]


def _words(text: str) -> list[str]:
    return text.split()


def _clean_phrase(text: str) -> str:
    return _SPACE.sub(" ", _MARKDOWN.sub(" ", text)).strip(" ,;:.-–")


def _lower_first(text: str) -> str:
    """Lower-case the first letter, unless it opens an acronym (DDCI) or a proper name (Sở Xây dựng)."""
    if not text:
        return text
    words = text.split(" ", 2)
    if sum(c.isupper() for c in words[0]) >= 2 or (len(words) > 1 and words[1][:1].isupper()):
        return text
    return text[0].lower() + text[1:]


# --------------------------------------------------------------------------- scanning


@dataclass
class _Quantity:
    start: int
    end: int
    low: float
    high: float
    unit: str
    kind: str
    printed_unit: str
    qualifier: str | None
    sentence: int
    clause: int


@dataclass
class _Cue:
    start: int
    end: int
    year: int
    sentence: int
    clause: int
    leading: bool = False
    period: bool = False
    """A period ("giai đoạn 2021-2025"): its end dates a value only when nothing else does."""


def _find_quantities(text: str, r: Rules) -> list[_Quantity]:
    found: list[_Quantity] = []
    for match in r.quantity.finditer(text):
        start = match.start()
        left = text[max(0, match.start() - 30) : match.start()]
        if match.group("qual") is None and r.label_before.search(left.rstrip()):
            continue
        printed_unit = match.group("unit")
        rule = r.unit_rule(printed_unit)
        if rule.not_followed_by and rule.not_followed_by.match(text[match.end("unit") :]):
            continue
        low = parse_number(match.group("a"))
        high = parse_number(match.group("b")) if match.group("b") else low
        if match.group("ua") and r.unit_rule(match.group("ua")).unit != rule.unit:
            continue
        if high < low:
            continue
        if rule.kind == "count" and (low != int(low) or 1900 <= low <= 2100):
            continue
        qualifier = None
        if match.group("qual"):
            qualifier = r.qualifier_of[_key(match.group("qual"))]
        elif match.group("post"):
            qualifier = r.post_qualifier_of[_key(match.group("post"))]
        found.append(
            _Quantity(
                start=start,
                end=match.end(),
                low=low,
                high=high,
                unit=rule.unit,
                kind=rule.kind,
                printed_unit=printed_unit,
                qualifier=qualifier,
                sentence=0,
                clause=0,
            )
        )
    return found


def _find_cues(text: str, r: Rules) -> list[_Cue]:
    cues: list[_Cue] = []
    taken: list[tuple[int, int]] = []
    for match in r.date_cue.finditer(text):
        cues.append(_Cue(match.start(), match.end(), int(match.group("y")), 0, 0))
        taken.append((match.start(), match.end()))
    for match in r.year_cue.finditer(text):
        if any(s <= match.start() < e for s, e in taken):
            continue
        left = text[max(0, match.start() - 40) : match.start()]
        if r.year_exclusion.search(left.rstrip()) or r.printed_date.search(left):
            continue
        cues.append(_Cue(match.start(), match.end(), int(match.group("y") or match.group("y2")), 0, 0))
    for match in r.period_cue.finditer(text):
        cues.append(_Cue(match.start(), match.end(), int(match.group("end")), 0, 0, period=True))
    cues.sort(key=lambda cue: cue.start)
    return cues


def _index(starts: list[int], position: int) -> int:
    return bisect_right(starts, position) - 1


# --------------------------------------------------------------------------- indicators


def _strip_fillers(phrase: str, r: Rules) -> str:
    previous = None
    while phrase != previous:
        previous = phrase
        phrase = _LIST_MARKER.sub("", phrase) if _LIST_MARKER.match(phrase) else phrase
        phrase = r.lead_filler.sub("", phrase).strip(" ,;:.-–")
        phrase = r.linking_end.sub("", phrase).strip(" ,;:.-–")
    return phrase


def _blank(text: str, spans: list[tuple[int, int]], lo: int, hi: int) -> str:
    """text[lo:hi] with the given spans blanked (same length), so cue words do not end up in indicators."""
    chars = list(text[lo:hi])
    for s, e in spans:
        for i in range(max(s, lo), min(e, hi)):
            chars[i - lo] = " "
    return "".join(chars)


def _before_phrase(
    text: str, q: _Quantity, clause_lo: int, cue_spans: list[tuple[int, int]], r: Rules
) -> tuple[str, int]:
    raw = _blank(text, cue_spans, clause_lo, q.start)
    phrase = _strip_fillers(_clean_phrase(raw), r)
    words = _words(phrase)
    if len(words) > MAX_BEFORE_WORDS:
        phrase = " ".join(words[-MAX_BEFORE_WORDS:])
    if not phrase:
        return "", q.start
    found = text.find(phrase.split(" ", 1)[0], clause_lo, q.start)
    return phrase, (found if found >= 0 else q.start)


def _after_phrase(text: str, q: _Quantity, sentence_hi: int, stops: list[int], r: Rules) -> tuple[str, int]:
    """The noun phrase after a value ("100% các đô thị hiện có …"), up to its clause's end."""
    pieces: list[str] = []
    position = q.end
    end = q.end
    joiner = ", "

    def next_stop(after: int) -> int:
        return min([s for s in stops if s >= after] + [sentence_hi])

    stop_at = next_stop(q.end)
    while position < stop_at:
        match = _CLAUSE_MARK.search(text, position, stop_at)
        hi = match.start() if match else stop_at
        stop = r.after_stop.search(text, position, hi)
        if stop:
            hi, match = stop.start(), None
        segment = _clean_phrase(text[position:hi])
        if pieces and segment and (r.clause_starter.match(segment) or len(_words(segment)) > MAX_CONTINUATION_WORDS):
            break
        if segment:
            pieces.append(segment if not pieces else joiner + segment)
            end = hi
        if sum(len(_words(p)) for p in pieces) >= MAX_AFTER_WORDS or not match:
            break
        mark = match.group()
        joiner = ", "
        if mark == "(":
            joiner = " "
            close = text.find(")", match.end(), sentence_hi)
            if close < 0:
                break
            position = close + 1
            stop_at = next_stop(position)
            continue
        if mark != "," or not pieces:
            break
        position = match.end()
    phrase = "".join(pieces)
    words = _words(phrase)
    if len(words) > MAX_AFTER_WORDS:
        phrase = " ".join(words[:MAX_AFTER_WORDS])
    phrase = re.sub(r"^(?:các|những|mỗi)\s+", "", phrase, flags=re.IGNORECASE)
    phrase = r.linking_end.sub("", phrase).strip(" ,;:.-–")
    return phrase, end


def _compose_indicator(q: _Quantity, before: str, after: str, r: Rules) -> tuple[str, bool, bool]:
    """(indicator, whether the words before the value are in it, whether the words after are)."""
    before = _lower_first(before)
    if q.kind == "count":
        noun = q.printed_unit.lower()
        if not after:
            return (f"{before} {noun}" if before else noun), bool(before), False
        if before and len(_words(before)) <= MAX_APPENDED_BEFORE_WORDS:
            return f"{noun} {after} {before}", True, True
        return f"{noun} {after}", False, True
    if after and before:
        if r.head.match(before) or r.verb_start.match(after):
            return f"{before} {after}", True, True
        if len(_words(after)) <= SHORT_AFTER_WORDS:
            return f"{_lower_first(after)} {before}", True, True
        return _lower_first(after), False, True
    return _lower_first(after or before), bool(before), bool(after)


def _indicator(
    text: str,
    q: _Quantity,
    clause_lo: int,
    value_lo: int,
    sentence_hi: int,
    clause_starts: list[int],
    cue_spans: list[tuple[int, int]],
    stops: list[int],
    r: Rules,
) -> tuple[str, int, int]:
    """(indicator or "" when the passage must supply it, span start, span end) of one value."""
    before, before_start = _before_phrase(text, q, value_lo, cue_spans, r)
    if not before and clause_lo > 0 and text[clause_lo - 1] == ":":
        # "Tỷ lệ đô thị hóa: 35%"
        label_lo = clause_starts[q.clause - 1] if q.clause > 0 else 0
        label = _strip_fillers(_clean_phrase(_blank(text, cue_spans, label_lo, clause_lo - 1)), r)
        if label and r.head.match(label):
            before, before_start = label, text.find(label.split(" ", 1)[0], label_lo)
    after, after_end = _after_phrase(text, q, sentence_hi, stops, r)
    if not before and not after:
        parenthetical = clause_lo > 0 and text[clause_lo - 1] == "("
        if q.kind == "count" and not parenthetical:
            return q.printed_unit.lower(), q.start, q.end  # "…, đến năm 2025 có 15 đô thị"
        return "", q.start, q.end  # "…, khoảng 16 - 24% vào năm 2030", "(khoảng 162 xã)"
    indicator, used_before, used_after = _compose_indicator(q, before, after, r)
    lo = min(q.start, before_start) if used_before else q.start
    hi = max(q.end, after_end) if used_after else q.end
    while hi > lo and text[hi - 1] in _SPAN_TRIM:
        hi -= 1
    return indicator, lo, hi


# --------------------------------------------------------------------------- public API


def find_targets(
    text: str,
    offset: int = 0,
    default_year: int | None = None,
    *,
    context_year: int | None = None,
) -> list[Target]:
    """Targets stated in one passage (a paragraph, list item or table cell).

    ``offset`` is where the passage starts in the document, so spans point into
    ``ParsedDocument.content``. ``default_year`` is the plan's own year: it dates
    ratios and measures whose year the plan's scope implies, and values dated
    before it are reported results, not targets. ``context_year`` is a year
    stated by a lead line above the passage ("Đến năm 2025:"); it dates the
    passage's values like a year written in it.
    """
    r = rules()
    quantities = _find_quantities(text, r)
    if not quantities:
        return []
    cues = _find_cues(text, r)
    sentences = _sentence_starts(text)
    marks = _clause_marks(text)
    clause_starts = sorted(set(sentences + [m + 1 for m in marks]))
    for item in (*quantities, *cues):
        item.sentence = _index(sentences, item.start)
        item.clause = _index(clause_starts, item.start)
    for cue in cues:
        same = [q for q in quantities if q.sentence == cue.sentence and q.clause == cue.clause]
        value_after = any(q.start >= cue.end for q in same)
        value_before = any(q.end <= cue.start for q in same)
        follow = text[cue.end : cue.end + 2].lstrip()[:1]
        first_clause = _index(clause_starts, sentences[cue.sentence]) == cue.clause
        cue.leading = value_after or (not value_before and (follow in (",", ":") or first_clause))
    points = [c for c in cues if not c.period]
    cue_spans = [(c.start, c.end) for c in points]
    stops = sorted([q.start for q in quantities] + [c.start for c in points] + _so_sanh(text))

    targets: list[Target] = []
    previous_in_sentence: dict[int, str] = {}
    seen: set[tuple[str, int | None, str]] = set()
    for q in quantities:
        sentence_lo = sentences[q.sentence]
        sentence_hi = sentences[q.sentence + 1] if q.sentence + 1 < len(sentences) else len(text)
        clause_lo = clause_starts[q.clause]
        value_lo = max([clause_lo] + [o.end for o in quantities if clause_lo <= o.end <= q.start])
        indicator, lo, hi = _indicator(text, q, clause_lo, value_lo, sentence_hi, clause_starts, cue_spans, stops, r)
        inherited = previous_in_sentence.get(q.sentence, "")
        if not indicator:
            indicator = inherited
        elif inherited and len(_words(indicator)) == 1 and q.kind != "count":
            indicator = f"{inherited} {indicator}"  # "…, tăng 10% so với năm 2020"
        if not indicator:
            continue
        previous_in_sentence[q.sentence] = indicator

        year, from_text, attached = _resolve_year(q, quantities, cues, context_year)
        if year is None:
            year = default_year
        if q.kind == "count" and not from_text:
            continue  # a count no year is tied to describes, it does not aim
        if default_year is not None and year is not None and year < default_year:
            continue  # a value dated before the plan is a reported result
        if r.baseline.search(_blank(text, cue_spans, value_lo, q.start)):
            continue
        if r.sentence_baseline.search(text, sentence_lo, sentence_hi):
            continue
        key = (_key(indicator), year, q.unit)
        if key in seen:
            continue
        seen.add(key)
        if attached is not None and attached.start - hi <= ATTACHED_CUE_GAP:
            hi = max(hi, attached.end)
            if text[hi : hi + 1] == ")" and "(" in text[lo:hi]:
                hi += 1
        targets.append(
            Target(
                text=text[lo:hi],
                span=(offset + lo, offset + hi),
                indicator=indicator,
                year=year,
                min=q.low,
                max=q.high,
                unit=q.unit,
                qualifier=q.qualifier,
            )
        )
    return targets


_SO_SANH = re.compile(r"(?<![^\W_])so\s+với(?![^\W_])", re.IGNORECASE)


def _so_sanh(text: str) -> list[int]:
    """Where a comparison base starts ("so với năm 2021"): indicators stop there."""
    return [m.start() for m in _SO_SANH.finditer(text)]


def _resolve_year(
    q: _Quantity, quantities: list[_Quantity], cues: list[_Cue], context_year: int | None
) -> tuple[int | None, bool, _Cue | None]:
    """(year, whether the text ties it to the value, the cue printed right after the value)."""
    same_sentence = [c for c in cues if c.sentence == q.sentence and not c.period]
    following = [c for c in same_sentence if c.start >= q.end]
    preceding = [c for c in same_sentence if c.end <= q.start]
    nxt = following[0] if following else None
    prev = preceding[-1] if preceding else None
    if nxt is not None and not nxt.leading:
        between = [o for o in quantities if o.start >= q.end and o.end <= nxt.start]
        if not between:
            return nxt.year, True, nxt
    if prev is not None and prev.leading:
        return prev.year, True, None
    if nxt is not None and not nxt.leading:
        return nxt.year, True, None
    if prev is not None:
        return prev.year, True, None
    earlier = [c for c in cues if c.sentence < q.sentence and c.leading and not c.period]
    if earlier:
        return earlier[-1].year, True, None
    if context_year is not None:
        return context_year, True, None
    periods = [c for c in cues if c.sentence == q.sentence and c.period]
    if periods:
        return periods[-1].year, True, None  # "Giai đoạn 2021-2025, mỗi năm giảm 1.000 hộ nghèo"
    return None, False, None


# --------------------------------------------------------------------------- document level

_MARKER_RANK = [
    ("roman", re.compile(r"^\s*(?:PHẦN\s+)?[IVX]+\s*[.\-–:)]\s*")),
    ("multi", re.compile(r"^\s*\d{1,2}(?:\.\d{1,2})+\.?\s+")),
    ("arabic", re.compile(r"^\s*\d{1,2}\s*[.)]\s*(?!\d)")),
    ("letter", re.compile(r"^\s*\(?[a-zđ]\)\s*")),
    ("paragraph", re.compile(r"$^")),
    ("dash", re.compile(r"^\s*[-–—•·*]\s*(?=\S)")),
    ("plus", re.compile(r"^\s*\+\s*")),
]
_RANK = {"roman": 0.0, "arabic": 1.0, "multi": 1.0, "letter": 2.0, "paragraph": 3.0, "dash": 4.0, "plus": 5.0}
"""Outline depth per style; "multi" adds 0.1 per level, so "1.2" sits under "1." and above "1.2.1"."""


def _outline_rank(block: Block, text: str) -> float:
    """Depth of a block's numbering style (I. < 1. < 1.1. < 1.1.1. < a) < paragraph < - < +)."""
    body = text.lstrip("*# ")
    for name, pattern in _MARKER_RANK:
        match = pattern.match(body) if name != "paragraph" else None
        if match and name == "multi":
            return _RANK["multi"] + 0.1 * match.group().count(".")  # "1.2" above "1.2.1"
        if match:
            return _RANK[name]
    if block.kind == "heading":
        return _RANK["arabic"]
    return _RANK["paragraph"]


def _lead_year(text: str, block: Block, r: Rules) -> int | None:
    """The year a lead line ("Đến năm 2025:", "1. Mục tiêu đến năm 2030") sets for the items under it."""
    body = _clean_phrase(text)
    cues = _find_cues(body, r)
    if not cues:
        return None
    heading_like = block.kind == "heading" or (
        _outline_rank(block, text) < _RANK["paragraph"] and len(body.split()) <= 20
    )
    if body.endswith(":") or text.rstrip(" *").endswith(":") or heading_like:
        return cues[-1].year
    return None


def _skipped(text: str, r: Rules) -> bool:
    head = _clean_phrase(text).lower()
    return any(p.match(head) for p in r.skip_block)


def extract_targets(parsed: ParsedDocument, default_year: int | None) -> list[Target]:
    """All targets of a document, one per (indicator, year, unit), in document order.

    Legal grounds, the recipients list and the signature are not scanned; an
    appendix after the signature is. A year stated by a lead line carries to
    the items nested under it when they state none.
    """
    r = rules()
    targets: list[Target] = []
    lead: tuple[int, float] | None = None  # (year, outline rank of the lead line)
    in_tail = False
    tables: dict[int, list[Block]] = {}
    for block in parsed.blocks:
        text = parsed.text_of(block.span)
        head = _clean_phrase(text)
        if in_tail:
            if r.appendix.match(head) or block.kind == "table_row":
                in_tail = False
            else:
                continue
        if r.end_of_body.match(head):
            in_tail = True
            continue
        if _skipped(text, r):
            continue
        if block.kind == "table_row" and block.table is not None:
            tables.setdefault(block.table, []).append(block)
            continue
        rank = _outline_rank(block, text)
        if lead is not None and rank <= lead[1]:
            lead = None
        found = find_targets(text, block.span[0], default_year, context_year=lead[0] if lead else None)
        targets.extend(found)
        if not found:
            year = _lead_year(text, block, r)
            if year is not None:
                lead = (year, rank)
    for rows in tables.values():
        targets.extend(_table_targets(parsed, rows, default_year, r))
    targets.sort(key=lambda t: t.span)
    return _dedupe(targets)


def _dedupe(targets: list[Target]) -> list[Target]:
    seen: set[tuple[str, int | None, str | None]] = set()
    kept: list[Target] = []
    for target in targets:
        key = (_key(target.indicator), target.year, target.unit)
        if key in seen:
            continue
        seen.add(key)
        kept.append(target)
    return kept


# --------------------------------------------------------------------------- tables

_CELL_VALUE = re.compile(
    r"^\s*(?P<cmp>[≥>≤<]=?|trên|dưới|khoảng|tối thiểu|tối đa|ít nhất)?\s*"
    r"(?P<a>\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:[.,]\d+)?)"
    r"(?:\s*(?:-|–|÷)\s*(?P<b>\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:[.,]\d+)?))?\s*(?P<unit>%)?\s*$",
    re.IGNORECASE,
)
_SYMBOL_QUALIFIER = {">": "trên", ">=": "tối thiểu", "≥": "tối thiểu", "<": "dưới", "<=": "tối đa", "≤": "tối đa"}
_REPORTED_COLUMN = re.compile(r"(?<![^\W_])(?:thực hiện|ước|hiện trạng|kết quả|đã đạt)(?![^\W_])", re.IGNORECASE)


def _table_targets(parsed: ParsedDocument, rows: list[Block], default_year: int | None, r: Rules) -> list[Target]:
    """Targets of a table of indicators ("Chỉ tiêu | Đơn vị | Năm 2025 | Năm 2030") and of its cells' prose."""
    header_rows = [row for row in rows if row.header] or rows[:1]
    indicator_col = unit_col = None
    year_cols: dict[int, int] = {}
    for row in header_rows:
        for cell in row.cells:
            label = _clean_phrase(cell.text)
            if indicator_col is None and r.table_indicator.match(label):
                indicator_col = cell.col
            elif unit_col is None and r.table_unit.match(label):
                unit_col = cell.col
            else:
                found = re.search(r"(?<!\d)((?:19|20)\d{2})(?!\d)(?!\s*[-–]\s*\d)", label)
                if found and not _REPORTED_COLUMN.search(label):
                    year_cols[cell.col] = int(found.group(1))
    targets: list[Target] = []
    is_indicator_table = indicator_col is not None and bool(year_cols)
    for row in rows:
        if row in header_rows:
            continue
        cells = {cell.col: cell for cell in row.cells}
        if is_indicator_table and indicator_col in cells:
            targets.extend(_indicator_row(cells, indicator_col, unit_col, year_cols, default_year, r))
            continue
        for cell in row.cells:
            targets.extend(find_targets(cell.text, cell.span[0], default_year))
    return targets


def _indicator_row(
    cells: dict[int, Any],
    indicator_col: int,
    unit_col: int | None,
    year_cols: dict[int, int],
    default_year: int | None,
    r: Rules,
) -> list[Target]:
    indicator_cell = cells[indicator_col]
    indicator = _lower_first(_strip_fillers(_clean_phrase(indicator_cell.text), r))
    unit_text = _clean_phrase(cells[unit_col].text) if unit_col is not None and unit_col in cells else ""
    rule = r.variant_unit.get(_key(unit_text))
    found: list[Target] = []
    for col, year in sorted(year_cols.items()):
        cell = cells.get(col)
        if cell is None or not indicator:
            continue
        value = _CELL_VALUE.match(cell.text)
        if not value or (default_year is not None and year < default_year):
            continue
        unit = "%" if value.group("unit") else (rule.unit if rule else unit_text or None)
        if unit is None:
            continue
        cmp = (value.group("cmp") or "").lower()
        qualifier = _SYMBOL_QUALIFIER.get(cmp) or r.qualifier_of.get(cmp) if cmp else None
        low = parse_number(value.group("a"))
        high = parse_number(value.group("b")) if value.group("b") else low
        found.append(
            Target(
                text=cell.text,
                span=cell.span,
                indicator=indicator,
                year=year,
                min=low,
                max=high,
                unit=unit,
                qualifier=qualifier,
            )
        )
    return found
