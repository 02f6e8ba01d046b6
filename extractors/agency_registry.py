"""The agency registry: known bodies, their ways of being written, and the 2025 successors.

Since issue 7 the registry no longer decides *whether* a phrase is an agency
(``extractors.agency_grammar`` does, from the grammar of body names); it
decides what a recognised body is *called*: one canonical name per body
however it is written (aliases, abbreviations such as "Sở KH&ĐT", either
tone-mark placement, any case), and which body took over its duties in the
2025 reorganisation (``successors`` / ``predecessors``).  Known names are
still matched directly on the text (one trie regex over every alias, which
costs one pass), because a registry name also tells where a name *ends*
("Sở Văn hóa, Thể thao và Du lịch" holds a comma) and which short names a
distributive list may use ("các Sở: Xây dựng, Tài chính").

Data: ``resources/agencies.json`` (one entry per body) and
``resources/agency_patterns.json`` (abbreviations, distributive heads,
provinces, role cues).  Matching runs on ``matching_form(text)`` (lower case,
one tone placement, same length as the text) so offsets found there are
offsets in the text.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from kehoach.extractors.agency_types import RESOURCES, Candidate, NameMatch, grammar_data
from kehoach.models.text_forms import matching_form, nfc

Units = tuple[str, ...]
_UNIT = re.compile(r"\w+|[^\w\s]")
_DASHES = str.maketrans({"–": "-", "—": "-", "‑": "-"})


@dataclass(frozen=True)
class RegistryEntry:
    """One public body (or named group) of ``agencies.json``."""

    name: str
    kind: str
    level: str
    aliases: tuple[str, ...] = ()
    head: str | None = None
    short: str | None = None
    short_aliases: tuple[str, ...] = ()
    successor: str | None = None
    successor_since: str | None = None
    sub_unit_of: str | None = None
    refers_to_bracket: bool = False
    note: str | None = None


@functools.lru_cache(maxsize=1)
def load_registry() -> tuple[RegistryEntry, ...]:
    """Every registry entry, in file order (cached)."""
    data = json.loads((RESOURCES / "agencies.json").read_text(encoding="utf-8"))
    entries = []
    for raw in data["entries"]:
        raw = dict(raw)
        raw["aliases"] = tuple(raw.get("aliases", ()))
        raw["short_aliases"] = tuple(raw.get("short_aliases", ()))
        entries.append(RegistryEntry(**raw))
    return tuple(entries)


@functools.lru_cache(maxsize=1)
def patterns() -> dict:
    """``agency_patterns.json`` (cached)."""
    return json.loads((RESOURCES / "agency_patterns.json").read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=1)
def _by_name() -> dict[str, RegistryEntry]:
    return {entry.name: entry for entry in load_registry()}


def lookup(name: str) -> RegistryEntry | None:
    """The registry entry of a canonical name, or of any way of writing it (alias, abbreviation)."""
    entry = _by_name().get(name)
    if entry is not None:
        return entry
    written = matching_form(nfc(" ".join(name.split())))
    hit = _compiled().registry_re.fullmatch(written)
    if hit is None or hit.group("det") or hit.group("suffix"):
        return None
    return _compiled().registry_keys[text_key(hit.group("body"))][0]


def successors(name: str) -> list[str]:
    """The chain of bodies that took over ``name``'s duties, nearest first ([] when it still exists)."""
    chain: list[str] = []
    entry = lookup(name)
    while entry is not None and entry.successor and entry.successor not in chain:
        chain.append(entry.successor)
        entry = _by_name().get(entry.successor)
    return chain


def predecessors(name: str) -> list[str]:
    """Bodies whose duties ended up with ``name`` (directly or through a chain), for analyst queries."""
    entry = lookup(name)
    target = entry.name if entry else name
    return [e.name for e in load_registry() if target in successors(e.name)]


# --------------------------------------------------------------------------- phrase tries


def units(phrase: str) -> Units:
    """A phrase as the units matching compares: words and single punctuation marks, matching form."""
    return tuple(_UNIT.findall(matching_form(nfc(phrase)).translate(_DASHES)))


def _unit_regex(unit: str) -> str:
    return "[-–—‑]" if unit == "-" else re.escape(unit)


def _is_word(unit: str) -> bool:
    return unit[0].isalnum() or unit[0] == "_"


def _separator(previous: str | None, unit: str) -> str:
    if previous is None:
        return ""
    return r"\s+" if _is_word(previous) and _is_word(unit) else r"\s*"


def _end_guard(previous: str | None) -> str:
    return r"(?!\w)" if previous is not None and _is_word(previous) else ""


def trie_regex(sequences: Iterable[Units]) -> str:
    """One regex for many phrases, longest phrase preferred; words may be split by any blanks.

    Built as a trie so that a few hundred aliases cost one pass over the text,
    not one per alias.
    """
    trie: dict = {}
    for seq in sequences:
        node = trie
        for unit in seq:
            node = node.setdefault(unit, {})
        node[""] = {}

    def render(node: dict, previous: str | None) -> str:
        alternatives = [
            _separator(previous, unit) + _unit_regex(unit) + render(child, unit)
            for unit, child in sorted(node.items(), key=lambda kv: kv[0])
            if unit
        ]
        if "" in node:
            alternatives.append(_end_guard(previous))
        return alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"

    return render(trie, None)


def alternation(phrases: Iterable[str]) -> str:
    """A trie regex over phrases written in ordinary spelling."""
    return trie_regex(units(p) for p in phrases)


def abbreviated_variants(seq: Units, pairs: list[tuple[Units, Units]]) -> set[Units]:
    """``seq`` with every combination of full forms replaced by their abbreviations."""
    variants = {seq}
    frontier = [seq]
    while frontier:
        current = frontier.pop()
        for full, abbr in pairs:
            n = len(full)
            for i in range(len(current) - n + 1):
                if current[i : i + n] == full:
                    new = current[:i] + abbr + current[i + n :]
                    if new not in variants and len(variants) < 64:
                        variants.add(new)
                        frontier.append(new)
    return variants


@functools.lru_cache(maxsize=1)
def abbreviation_pairs() -> list[tuple[Units, Units]]:
    """(full form, abbreviation) pairs as units."""
    return [(units(full), units(abbr)) for abbr, full in patterns()["abbreviations"]["pairs"]]


def key(seq: Iterable[str]) -> str:
    """A unit sequence as a dictionary key."""
    return " ".join(seq)


def text_key(text: str) -> str:
    """The key of a matched (matching-form) piece of text."""
    return key(_UNIT.findall(text.translate(_DASHES)))


# --------------------------------------------------------------------------- compiled registry


@dataclass
class _Compiled:
    """The registry regexes and lookup tables, built once per process."""

    registry_re: re.Pattern[str]
    registry_keys: dict[str, tuple[RegistryEntry, str]]
    distributive_re: re.Pattern[str]
    short_re: dict[str, re.Pattern[str]]
    short_keys: dict[str, dict[str, RegistryEntry]]
    group_names: dict[str, RegistryEntry]
    determiner: str


@functools.lru_cache(maxsize=1)
def _compiled() -> _Compiled:
    data = patterns()
    pairs = abbreviation_pairs()
    registry = load_registry()

    # registry names and aliases (+ abbreviations), and "Giám đốc Sở Xây dựng"-style sub-units
    keys: dict[str, tuple[RegistryEntry, str]] = {}
    sequences: list[Units] = []

    def register(entry: RegistryEntry, written: str, name: str) -> None:
        for variant in abbreviated_variants(units(written), pairs):
            if key(variant) not in keys:
                keys[key(variant)] = (entry, name)
                sequences.append(variant)

    heads: dict[str, list[RegistryEntry]] = {}
    for entry in registry:
        register(entry, entry.name, entry.name)
        for alias in entry.aliases:
            register(entry, alias, entry.name)
        if entry.head and entry.short:
            heads.setdefault(entry.head, []).append(entry)
            for short in entry.short_aliases:
                register(entry, f"{entry.head} {short}", entry.name)
    for entry in registry:
        if entry.sub_unit_of:
            for parent in heads.get(entry.sub_unit_of, []):
                for short in (parent.short, *parent.short_aliases):
                    for written in (entry.name, *entry.aliases):
                        register(entry, f"{written} {short}", f"{entry.name} {parent.short}")

    det = "(?:" + alternation(grammar_data()["groups"]["determiners"]) + r")\s+"
    provinces = alternation(data["provinces"]["names"])
    # the province after a name stays on its line or the next one: never across a blank line
    gap = r"(?:[^\S\n]+|[^\S\n]*\n[^\S\n]*)"
    suffix = rf"(?:(?:{gap}(?:của{gap})?tỉnh)?{gap}(?P<place>{provinces})(?!\w)|{gap}tỉnh(?!\w))"
    registry_re = re.compile(rf"(?<![\w&])(?P<det>{det})?(?P<body>{trie_regex(sequences)})(?P<suffix>{suffix})?")

    # distributive lists: head + one short name per item
    short_keys: dict[str, dict[str, RegistryEntry]] = {}
    short_res: dict[str, re.Pattern[str]] = {}
    short_alts: list[str] = []
    for head in data["distributive_heads"]["heads"]:
        table: dict[str, RegistryEntry] = {}
        for entry in heads.get(head, []):
            for short in (entry.short, *entry.short_aliases):
                for variant in abbreviated_variants(units(short), pairs):
                    table.setdefault(key(variant), entry)
        short_keys[matching_form(head)] = table
        alt = trie_regex(tuple(k.split(" ")) for k in table)
        short_res[matching_form(head)] = re.compile(alt)
        # "các Sở: Xây dựng, Tài chính", "Giám đốc các sở, ngành: Nông nghiệp và PTNT; Tài nguyên và Môi trường"
        short_alts.append(rf"(?P<h_{len(short_alts)}>{alternation([head])})(?:\s*,\s*(?:ban|ngành))*\s*:?\s*(?:{alt})")
    seps = [re.escape(s) for s in data["distributive_heads"]["separators"] if not s.isalpha()]
    words = [s for s in data["distributive_heads"]["separators"] if s.isalpha()]
    item_sep = rf"(?:\s*[{''.join(seps)}]\s*(?:(?:{'|'.join(words)})\s+)?|\s+(?:{'|'.join(words)})\s+)"
    any_short = "(?:" + "|".join(r.pattern for r in short_res.values()) + ")"
    distributive_re = re.compile(rf"(?<!\w)(?:{det})?(?:{'|'.join(short_alts)})(?:{item_sep}{any_short})*(?!\w)")

    group_names: dict[str, RegistryEntry] = {}
    for e in registry:
        if e.kind == "group":
            for written in (e.name, *e.aliases):
                group_names.setdefault(matching_form(written), e)
    return _Compiled(registry_re, keys, distributive_re, short_res, short_keys, group_names, det)


def group_entry(name: str) -> RegistryEntry | None:
    """The registry entry of a group written ``name`` (any case), if the registry knows the group."""
    return _compiled().group_names.get(matching_form(name))


def determiner_regex() -> str:
    """``(?:các|những)\\s+`` as a regex, for rules that take an optional determiner."""
    return _compiled().determiner


# --------------------------------------------------------------------------- registry rules

_SYMBOL_TAIL = re.compile(r"\w ?[-/] ?$")


def _capitalised(text: str, pos: int) -> bool:
    return pos < len(text) and (text[pos].isupper() or text[pos].isdigit())


def registry_candidates(text: str, folded: str) -> list[Candidate]:
    """Registry names and aliases written in the text (rule ``agency.registry``)."""
    c = _compiled()
    out: list[Candidate] = []
    for m in c.registry_re.finditer(folded):
        body = m.group("body")
        if not m.group("det") and _SYMBOL_TAIL.search(folded, max(0, m.start() - 4), m.start()) and " " not in body:
            continue  # an abbreviation inside a document symbol ("20/KH-SXD", "KH/BCĐ") names no one here
        entry, name = c.registry_keys[text_key(body)]
        end = m.end()
        place = None
        if m.group("suffix") is not None:
            if entry.level != "province" or entry.kind == "group":
                end = m.end("body")
            elif m.group("place"):
                place = text[m.start("place") : m.end("place")]
        match = NameMatch(
            m.start(), end, name, entry.kind, entry.level, place, entry.refers_to_bracket, rule="agency.registry"
        )
        out.append((m.start(), end, [match]))
    return out


def distributive_candidates(text: str, folded: str) -> list[Candidate]:
    """ "các Sở: Xây dựng, Tài chính": one registered body per short name (rule ``agency.distributive``)."""
    c = _compiled()
    out: list[Candidate] = []
    for m in c.distributive_re.finditer(folded):
        head_group = next(g for g, v in m.groupdict().items() if v is not None)
        head = matching_form(m.group(head_group))
        short_re, table = c.short_re[head], c.short_keys[head]
        items: list[NameMatch] = []
        pos = m.end(head_group)
        colon = False
        while pos < m.end():
            hit = short_re.search(folded, pos, m.end())
            if hit is None:
                break
            colon = colon or ":" in folded[pos : hit.start()]
            if items and not _capitalised(text, hit.start()):
                break
            entry = table[text_key(hit.group())]
            start = m.start() if not items else hit.start()
            items.append(NameMatch(start, hit.end(), entry.name, entry.kind, entry.level, rule="agency.distributive"))
            pos = hit.end()
        if len(items) >= 2 or (items and colon):
            out.append((m.start(), items[-1].end, items))
    return out


def normalise(written: str) -> tuple[str, RegistryEntry | None]:
    """The canonical name of a body the grammar recognised: the registry's name when it knows the body.

    ``written`` is the canonical written form (``agency_grammar.written_form``);
    a registry alias or abbreviation of a known body gives that body's name.
    """
    entry = lookup(written)
    if entry is not None:
        return entry.name, entry
    return written, None
