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

import re
from typing import Any

from kehoach.extractors.target_passage import find_cues, find_targets, strip_fillers
from kehoach.extractors.target_rules import RESOURCE, Rules, clean_phrase, fold_key, lower_first, parse_number, rules
from kehoach.models.document import Block, ParsedDocument, Target

__all__ = ["RESOURCE", "extract_targets", "find_targets", "parse_number"]

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
    body = clean_phrase(text)
    cues = find_cues(body, r)
    if not cues:
        return None
    heading_like = block.kind == "heading" or (
        _outline_rank(block, text) < _RANK["paragraph"] and len(body.split()) <= 20
    )
    if body.endswith(":") or text.rstrip(" *").endswith(":") or heading_like:
        return cues[-1].year
    return None


def _skipped(text: str, r: Rules) -> bool:
    head = clean_phrase(text).lower()
    return any(p.match(head) for p in r.skip_block)


def plan_scope_year(title: str | None, issued_year: int | None) -> int | None:
    """The year a plan's title aims at ("… đến năm 2025", "… năm 2026"), if it names one.

    Undated values of a plan belong to the horizon it is written for, which
    its title states more often than its body does. A period ("giai đoạn
    2011 - 2016"), a vision ("tầm nhìn đến năm 2050"), a cited document's date
    and a year before the plan's own are not its horizon.
    """
    if not title:
        return None
    years = [c.year for c in find_cues(clean_phrase(title), rules()) if not c.period]
    years = [y for y in years if issued_year is None or y >= issued_year]
    return years[-1] if years else None


def extract_targets(parsed: ParsedDocument, default_year: int | None, *, title: str | None = None) -> list[Target]:
    """All targets of a document, one per (indicator, year, unit, value), in document order.

    Legal grounds, the recipients list and the signature are not scanned; an
    appendix after the signature is. A year stated by a lead line carries to
    the items nested under it when they state none; the plan's horizon
    (``title``, read from the metadata when not given) dates the rest.
    """
    r = rules()
    if title is None:
        from kehoach.extractors.metadata import extract_metadata  # only when the caller has not read it

        title = extract_metadata(parsed).title
    scope = plan_scope_year(title, default_year)
    targets: list[Target] = []
    lead: tuple[int, float] | None = None  # (year, outline rank of the lead line)
    in_tail = False
    tables: dict[int, list[Block]] = {}
    for block in parsed.blocks:
        text = parsed.text_of(block.span)
        head = clean_phrase(text)
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
        found = find_targets(
            text, block.span[0], default_year, context_year=lead[0] if lead else None, scope_year=scope
        )
        targets.extend(found)
        if not found:
            year = _lead_year(text, block, r)
            if year is not None:
                lead = (year, rank)
    for rows in tables.values():
        targets.extend(_table_targets(rows, default_year, scope, r))
    targets.sort(key=lambda t: t.span)
    return _dedupe(targets)


RESTATED_OVERLAP = 0.35
"""Share of syllables two bounded targets of the same value must have in common to be one target stated twice."""


def _dedupe(targets: list[Target]) -> list[Target]:
    """One target per (indicator, year, unit, value), and one per bounded value restated in other words.

    A plan states its headline target in the preamble, in MỤC TIÊU and again
    in NHIỆM VỤ ("ít nhất 40% địa bàn cấp xã không ma túy trong năm 2026" /
    "ít nhất 40% xã, phường, đặc khu không ma túy trong năm 2026"). The same
    bound (qualifier), value, unit and year with indicators that share much
    of their wording is that restatement; unbounded values (100% of many
    things) are too common to merge on wording alone.
    """
    seen: set[tuple[str, int | None, str | None, float | None, float | None]] = set()
    kept: list[Target] = []
    for target in targets:
        dedupe_key = (fold_key(target.indicator), target.year, target.unit, target.min, target.max)
        if dedupe_key in seen or any(_restated(target, other) for other in kept):
            continue
        seen.add(dedupe_key)
        kept.append(target)
    return kept


def _restated(target: Target, other: Target) -> bool:
    same = (target.qualifier, target.year, target.unit, target.min, target.max) == (
        other.qualifier,
        other.year,
        other.unit,
        other.min,
        other.max,
    )
    if not same or target.qualifier is None:
        return False
    a, b = (set(re.findall(r"[^\W\d_]+", fold_key(t.indicator))) for t in (target, other))
    return bool(a | b) and len(a & b) / len(a | b) >= RESTATED_OVERLAP


# --------------------------------------------------------------------------- tables

_CELL_VALUE = re.compile(
    r"^\s*(?P<cmp>[≥>≤<]=?|trên|dưới|khoảng|tối thiểu|tối đa|ít nhất)?\s*"
    r"(?P<a>\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:[.,]\d+)?)"
    r"(?:\s*(?:-|–|÷)\s*(?P<b>\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:[.,]\d+)?))?\s*(?P<unit>%)?\s*$",
    re.IGNORECASE,
)
_SYMBOL_QUALIFIER = {">": "trên", ">=": "tối thiểu", "≥": "tối thiểu", "<": "dưới", "<=": "tối đa", "≤": "tối đa"}
_REPORTED_COLUMN = re.compile(r"(?<![^\W_])(?:thực hiện|ước|hiện trạng|kết quả|đã đạt)(?![^\W_])", re.IGNORECASE)


def _table_targets(rows: list[Block], default_year: int | None, scope: int | None, r: Rules) -> list[Target]:
    """Targets of a table of indicators ("Chỉ tiêu | Đơn vị | Năm 2025 | Năm 2030") and of its cells' prose."""
    header_rows = [row for row in rows if row.header] or rows[:1]
    indicator_col = unit_col = None
    year_cols: dict[int, int] = {}
    for row in header_rows:
        for cell in row.cells:
            label = clean_phrase(cell.text)
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
            targets.extend(find_targets(cell.text, cell.span[0], default_year, scope_year=scope))
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
    indicator = lower_first(strip_fillers(clean_phrase(indicator_cell.text), r))
    unit_text = clean_phrase(cells[unit_col].text) if unit_col is not None and unit_col in cells else ""
    rule = r.variant_unit.get(fold_key(unit_text))
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
                rule="target.table",
            )
        )
    return found
