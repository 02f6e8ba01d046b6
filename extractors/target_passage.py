"""Targets of one passage (a paragraph, list item or table cell): quantities, time cues, indicators.

The passage is cut into sentences and clauses; each quantity (number + unit)
gets its year from the cue words around it and its indicator from the noun
phrase before or after it. See ``extractors/targets.py`` for the grammar.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from kehoach.extractors.target_rules import (
    CLAUSE_MARK,
    LIST_MARKER,
    SPAN_TRIM,
    Rules,
    clause_marks,
    clean_phrase,
    fold_key,
    lower_first,
    parse_number,
    rules,
    sentence_starts,
    split_words,
)
from kehoach.models.document import Target

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
    rule: str = "target.count"
    """Rule id of a value that is a target by its unit alone; counts get theirs from how they are tied."""


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


_UNIT_RULE = {"ratio": "target.ratio", "measure": "target.measure", "money": "target.amount"}
"""Rule ids of values that are targets by their unit; counts get theirs from how they are tied (``_count_rule``)."""


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
            qualifier = r.qualifier_of[fold_key(match.group("qual"))]
        elif match.group("post"):
            qualifier = r.post_qualifier_of[fold_key(match.group("post"))]
        unit, kind, end = rule.unit, rule.kind, match.end()
        rule_id = _UNIT_RULE.get(kind, "target.count")
        if kind == "ratio" and unit.endswith("/năm"):
            rule_id = "target.rate_year"  # "tăng 2,0-2,5%/năm"
        if kind == "count" and not match.group("post"):
            denominators, end = _per_unit(text, match.end("unit"), r)
            if denominators:
                unit, kind, rule_id = "/".join([unit, *denominators]), "measure", "target.per_unit"
        if qualifier is None and match.group("from") and _OR_MORE.match(text, end):
            qualifier = r.post_qualifier_of[fold_key("trở lên")]  # "từ 05 mỏ khoáng sản … trở lên"
        found.append(
            _Quantity(
                start=start,
                end=end,
                low=low,
                high=high,
                unit=unit,
                kind=kind,
                printed_unit=printed_unit,
                qualifier=qualifier,
                sentence=0,
                clause=0,
                rule=rule_id,
            )
        )
    return found


_DENOMINATOR = re.compile(r"[ \t]*/[ \t]*((?:[^\W\d_]+)(?:[ \t]+[^\W\d_]+){0,3})")
MAX_DENOMINATORS = 2
_OR_MORE = re.compile(r"(?:[ \t]+[^\W\d_]+){0,12}?[ \t]+trở[ \t]+lên(?![^\W_])", re.IGNORECASE)


def _per_unit(text: str, position: int, r: Rules) -> tuple[list[str], int]:
    """Denominators written after a count unit ("mẫu đo/xã/tháng", "buổi/cơ sở giáo dục"), and where they end.

    A count per place or per period is a norm, so it makes its own unit; the
    denominator stops at a function word ("/cơ sở giáo dục trên địa bàn").
    """
    found: list[str] = []
    while len(found) < MAX_DENOMINATORS:
        match = _DENOMINATOR.match(text, position)
        if not match:
            break
        kept: list[str] = []
        for word in match.group(1).split():
            if fold_key(word) in r.per_unit_stops:
                break
            kept.append(word)
        if not kept:
            break
        found.append(" ".join(kept).lower())
        position = text.find(kept[-1], match.start(1)) + len(kept[-1])
    return found, position


def find_cues(text: str, r: Rules) -> list[_Cue]:
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


def strip_fillers(phrase: str, r: Rules) -> str:
    previous = None
    while phrase != previous:
        previous = phrase
        phrase = LIST_MARKER.sub("", phrase) if LIST_MARKER.match(phrase) else phrase
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
    phrase = strip_fillers(clean_phrase(raw), r)
    words = split_words(phrase)
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
        match = CLAUSE_MARK.search(text, position, stop_at)
        hi = match.start() if match else stop_at
        stop = r.after_stop.search(text, position, hi)
        if stop:
            hi, match = stop.start(), None
        segment = clean_phrase(text[position:hi])
        if (
            pieces
            and segment
            and (r.clause_starter.match(segment) or len(split_words(segment)) > MAX_CONTINUATION_WORDS)
        ):
            break
        if segment:
            pieces.append(segment if not pieces else joiner + segment)
            end = hi
        if sum(len(split_words(p)) for p in pieces) >= MAX_AFTER_WORDS or not match:
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
    words = split_words(phrase)
    if len(words) > MAX_AFTER_WORDS:
        phrase = " ".join(words[:MAX_AFTER_WORDS])
    phrase = re.sub(r"^(?:các|những|mỗi)\s+", "", phrase, flags=re.IGNORECASE)
    phrase = r.linking_end.sub("", phrase).strip(" ,;:.-–")
    return phrase, end


def _compose_indicator(q: _Quantity, before: str, after: str, r: Rules) -> tuple[str, bool, bool]:
    """(indicator, whether the words before the value are in it, whether the words after are)."""
    before = lower_first(before)
    if q.kind == "count":
        noun = q.printed_unit.lower()
        if not after:
            return (f"{before} {noun}" if before else noun), bool(before), False
        if before and len(split_words(before)) <= MAX_APPENDED_BEFORE_WORDS:
            return f"{noun} {after} {before}", True, True
        return f"{noun} {after}", False, True
    if after and before:
        if r.head.match(before) or r.verb_start.match(after):
            return f"{before} {after}", True, True
        if len(split_words(after)) <= SHORT_AFTER_WORDS:
            return f"{lower_first(after)} {before}", True, True
        return lower_first(after), False, True
    return lower_first(after or before), bool(before), bool(after)


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
        label = strip_fillers(clean_phrase(_blank(text, cue_spans, label_lo, clause_lo - 1)), r)
        if label and r.head.match(label):
            before, before_start = label, text.find(label.split(" ", 1)[0], label_lo)
    after, after_end = _after_phrase(text, q, sentence_hi, stops, r)
    if not before and not after:
        parenthetical = clause_lo > 0 and text[clause_lo - 1] == "("
        if q.kind == "count" and not parenthetical:
            return q.printed_unit.lower(), q.start, q.end  # "…, đến năm 2025 có 15 đô thị"
        if q.rule == "target.per_unit":
            return q.unit, q.start, q.end  # "(đảm bảo tối thiểu 300 mẫu đo/xã/tháng; …)" names what it counts
        return "", q.start, q.end  # "…, khoảng 16 - 24% vào năm 2030", "(khoảng 162 xã)"
    indicator, used_before, used_after = _compose_indicator(q, before, after, r)
    lo = min(q.start, before_start) if used_before else q.start
    hi = max(q.end, after_end) if used_after else q.end
    while hi > lo and text[hi - 1] in SPAN_TRIM:
        hi -= 1
    return indicator, lo, hi


# --------------------------------------------------------------------------- public API


def find_targets(
    text: str,
    offset: int = 0,
    default_year: int | None = None,
    *,
    context_year: int | None = None,
    scope_year: int | None = None,
) -> list[Target]:
    """Targets stated in one passage (a paragraph, list item or table cell).

    ``offset`` is where the passage starts in the document, so spans point into
    ``ParsedDocument.content``. ``default_year`` is the plan's own year: it dates
    ratios and measures whose year the plan's scope implies, and values dated
    before it are reported results, not targets. ``context_year`` is a year
    stated by a lead line above the passage ("Đến năm 2025:"); it dates the
    passage's values like a year written in it. ``scope_year`` is the year the
    plan's title aims at ("… đến năm 2025", "… năm 2026"): it dates the values
    the text leaves undated, counts included, before the plan's own year does.
    """
    r = rules()
    quantities = _find_quantities(text, r)
    if not quantities:
        return []
    cues = find_cues(text, r)
    sentences = sentence_starts(text)
    marks = clause_marks(text)
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

    label_end, label = _item_label(text, quantities, r)
    targets: list[Target] = []
    previous_in_sentence: dict[int, str] = {}
    seen: set[tuple[str, int | None, str, float, float]] = set()
    for q in quantities:
        sentence_lo = sentences[q.sentence]
        sentence_hi = sentences[q.sentence + 1] if q.sentence + 1 < len(sentences) else len(text)
        clause_lo = clause_starts[q.clause]
        value_lo = max([clause_lo] + [o.end for o in quantities if clause_lo <= o.end <= q.start])
        indicator, lo, hi = _indicator(text, q, clause_lo, value_lo, sentence_hi, clause_starts, cue_spans, stops, r)
        inherited = previous_in_sentence.get(q.sentence, "")
        if not indicator:
            indicator = inherited
        elif inherited and len(split_words(indicator)) == 1 and q.kind != "count":
            indicator = f"{inherited} {indicator}"  # "…, tăng 10% so với năm 2020"
        if not indicator:
            continue
        previous_in_sentence[q.sentence] = indicator
        if label and q.start > label_end and fold_key(label) not in fold_key(indicator):
            indicator = f"{indicator} – {label}"  # "Dịch vụ … Ultra HD: Tốc độ tải xuống đạt tối thiểu 25Mbit/s"

        year, from_text, attached = _resolve_year(q, quantities, cues, context_year)
        before = _blank(text, cue_spans, value_lo, q.start)
        rule = q.rule
        if q.kind == "count":
            rule = _count_rule(text[clause_lo : q.start], from_text, r)
            if rule is None:
                continue  # a count neither dated nor set as work to do describes, it does not aim
            if not from_text:
                year = scope_year  # "xem xét thu hồi 24 dự án": no year unless the plan names one
        elif not from_text:
            year = scope_year if scope_year is not None else default_year
        if default_year is not None and year is not None and year < default_year:
            continue  # a value dated before the plan is a reported result
        if r.baseline.search(before):
            continue
        if r.sentence_baseline.search(text, sentence_lo, sentence_hi):
            continue
        if q.kind in ("ratio", "money") and r.financing.search(text, clause_lo, q.start):
            continue  # "Ngân sách Nhà nước cấp phát 100% cho các Bộ" is how a cost is shared
        if q.kind == "money" and not r.money_goal.search(text, clause_lo, q.start):
            continue  # an amount is a budget, an approved investment or a fine unless it is aimed at
        dedupe_key = (fold_key(indicator), year, q.unit, q.low, q.high)
        if dedupe_key in seen:
            continue
        seen.add(dedupe_key)
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
                rule=rule,
            )
        )
    return targets


_YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")
MAX_LABEL_WORDS = 30
"""A list item's lead label ("Dịch vụ truy nhập Internet 4G: …") is a noun phrase, not a sentence."""


def _item_label(text: str, quantities: list[_Quantity], r: Rules) -> tuple[int, str]:
    """(where the label ends, the label) of a passage that opens "Label: values …", else (-1, "").

    The label names what every value after it measures, so two items with the
    same wording ("Tốc độ tải xuống đạt tối thiểu …") for two services stay two
    targets. A label holding a number or a year is a lead line, not a name.
    """
    colon = text.find(":")
    if colon < 0 or any(q.start < colon for q in quantities):
        return -1, ""
    label = strip_fillers(clean_phrase(text[:colon]), r)
    words = split_words(label)
    if not words or len(words) > MAX_LABEL_WORDS or _YEAR.search(label) or "." in label:
        return -1, ""
    return colon, lower_first(label)


def _count_rule(before: str, from_text: bool, r: Rules) -> str | None:
    """The rule that makes a count a target, or None when it only describes.

    A count is a target when the text ties a year to it, when it is a quota
    per period ("Hằng tháng tổ chức 01 cuộc đối thoại") or when a work verb
    governs it ("xem xét thu hồi 24 dự án"); the last two keep the year the
    text gives, which may be none.
    """
    if r.frequency.search(before):
        return "target.per_period"
    if from_text:
        return "target.count"
    if r.work_verb_end.search(before.rstrip(" \t\n,")):
        return "target.count_action"
    return None


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
