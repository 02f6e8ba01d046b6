"""Agency and group mentions, normalised against the registry.

Plans name the bodies they assign work to in many ways: in full ("Sở Kế hoạch
và Đầu tư"), abbreviated ("Sở KH&ĐT", "SKH&ĐT"), in distributive lists ("các
Sở: Xây dựng, Tài chính"), as groups ("các sở, ban, ngành", "UBND các huyện,
thành phố"), by rule rather than by list ("UBND huyện Chi Lăng", "Phòng Quản lý
xây dựng"), wrapped over lines, with either tone-mark placement and any case.
Every such mention gets one canonical name so that an analyst's query for
"Sở Tài chính" finds it however it was written (and, via ``predecessors``, the
tasks of the departments merged into it in 2025).

Two data files drive everything: ``resources/agencies.json`` (the registry:
one entry per body, its aliases, kind, level and 2025 successor) and
``resources/agency_patterns.json`` (abbreviations, group nouns, people's
committee localities, named-unit heads, province names).  Matching runs on
``matching_form(text)`` (lower case, one tone placement, same length as the
text) so offsets found there are offsets in the text.

``match_text`` is the character-level matcher; ``extractors.nlp`` runs it as a
spaCy component, and ``find_mentions`` reads the mentions back from the spaCy
``Doc``'s entities, so the entities and this API always agree.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from models.document import AgencyMention
from models.text_forms import fold_diacritics, matching_form, nfc

RESOURCES = Path(__file__).parent / "resources"

Units = tuple[str, ...]
_UNIT = re.compile(r"\w+|[^\w\s]")
_DASHES = str.maketrans({"–": "-", "—": "-", "‑": "-"})


# --------------------------------------------------------------------------- registry


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


@dataclass(frozen=True)
class NameMatch:
    """A mention found in a text: exact character offsets and the resolved body."""

    start: int
    end: int
    name: str
    kind: str
    level: str | None = None
    place: str | None = None
    """The province written after a provincial body ("Lạng Sơn" in "Sở Xây dựng tỉnh Lạng Sơn")."""
    refers_to_bracket: bool = False
    possessive: bool = False
    """A group of sub-units ("các đơn vị chuyên môn") whose owner may follow after "của"."""


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
def _patterns() -> dict:
    return json.loads((RESOURCES / "agency_patterns.json").read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=1)
def _by_name() -> dict[str, RegistryEntry]:
    return {entry.name: entry for entry in load_registry()}


def lookup(name: str) -> RegistryEntry | None:
    """The registry entry of a canonical name, or of any way of writing it."""
    entry = _by_name().get(name)
    if entry is not None:
        return entry
    resolved = canonical_name(name)
    return _by_name().get(resolved) if resolved else None


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


# --------------------------------------------------------------------------- pattern building


def _units(phrase: str) -> Units:
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


def _abbreviated_variants(seq: Units, pairs: list[tuple[Units, Units]]) -> set[Units]:
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
def _abbreviation_pairs() -> list[tuple[Units, Units]]:
    return [(_units(full), _units(abbr)) for abbr, full in _patterns()["abbreviations"]["pairs"]]


def _key(seq: Iterable[str]) -> str:
    return " ".join(seq)


def _text_key(text: str) -> str:
    return _key(_UNIT.findall(text.translate(_DASHES)))


@dataclass
class _Compiled:
    """Every regex and lookup table built from the two data files, once per process."""

    registry_re: re.Pattern[str]
    registry_keys: dict[str, tuple[RegistryEntry, str]]
    distributive_re: re.Pattern[str]
    short_re: dict[str, re.Pattern[str]]
    short_keys: dict[str, dict[str, RegistryEntry]]
    member_start_re: re.Pattern[str]
    member_re: re.Pattern[str]
    member_info: dict[str, dict]
    group_sep_re: re.Pattern[str]
    group_qual_re: re.Pattern[str]
    people_named_re: re.Pattern[str]
    people_group_re: re.Pattern[str]
    people_loc_re: re.Pattern[str]
    localities: dict[str, str]
    people_heads: dict[str, str]
    unit_re: re.Pattern[str]
    unit_stop_re: re.Pattern[str]
    group_names: dict[str, RegistryEntry] = field(default_factory=dict)


def _alternation(phrases: Iterable[str]) -> str:
    return trie_regex(_units(p) for p in phrases)


@functools.lru_cache(maxsize=1)
def _compiled() -> _Compiled:
    patterns = _patterns()
    pairs = _abbreviation_pairs()
    registry = load_registry()

    # registry names and aliases (+ abbreviations), and "Giám đốc Sở Xây dựng"-style sub-units
    keys: dict[str, tuple[RegistryEntry, str]] = {}
    sequences: list[Units] = []

    def register(entry: RegistryEntry, written: str, name: str) -> None:
        for variant in _abbreviated_variants(_units(written), pairs):
            if _key(variant) not in keys:
                keys[_key(variant)] = (entry, name)
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

    determiners = patterns["groups"]["determiners"]
    det = "(?:" + _alternation(determiners) + r")\s+"
    provinces = _alternation(patterns["provinces"]["names"])
    # the province after a name stays on its line or the next one: never across a blank line
    gap = r"(?:[^\S\n]+|[^\S\n]*\n[^\S\n]*)"
    suffix = rf"(?:(?:{gap}(?:của{gap})?tỉnh)?{gap}(?P<place>{provinces})(?!\w)|{gap}tỉnh(?!\w))"
    registry_re = re.compile(rf"(?<![\w&])(?P<det>{det})?(?P<body>{trie_regex(sequences)})(?P<suffix>{suffix})?")

    # distributive lists: head + one short name per item
    short_keys: dict[str, dict[str, RegistryEntry]] = {}
    short_res: dict[str, re.Pattern[str]] = {}
    short_alts: list[str] = []
    for head in patterns["distributive_heads"]["heads"]:
        table: dict[str, RegistryEntry] = {}
        for entry in heads.get(head, []):
            for short in (entry.short, *entry.short_aliases):
                for variant in _abbreviated_variants(_units(short), pairs):
                    table.setdefault(_key(variant), entry)
        short_keys[matching_form(head)] = table
        alternation = trie_regex(tuple(k.split(" ")) for k in table)
        short_res[matching_form(head)] = re.compile(alternation)
        short_alts.append(rf"(?P<h_{len(short_alts)}>{_alternation([head])})\s*:?\s*(?:{alternation})")
    seps = [re.escape(s) for s in patterns["distributive_heads"]["separators"] if not s.isalpha()]
    words = [s for s in patterns["distributive_heads"]["separators"] if s.isalpha()]
    item_sep = rf"(?:\s*[{''.join(seps)}]\s*(?:(?:{'|'.join(words)})\s+)?|\s+(?:{'|'.join(words)})\s+)"
    any_short = "(?:" + "|".join(r.pattern for r in short_res.values()) + ")"
    distributive_re = re.compile(rf"(?<!\w)(?:{det})?(?:{'|'.join(short_alts)})(?:{item_sep}{any_short})*(?!\w)")

    # generic groups
    groups = patterns["groups"]
    member_info: dict[str, dict] = {}
    for member in groups["members"]:
        for written in (member["form"], *member.get("aliases", ())):
            for variant in _abbreviated_variants(_units(written), pairs):
                member_info.setdefault(_key(variant), member)
    not_followed = _alternation(groups["not_followed_by"])
    member_alt = trie_regex(tuple(k.split(" ")) for k in member_info)
    member_re = re.compile(rf"(?:{member_alt})(?!\s+(?:{not_followed})(?!\w))")
    member_start_re = re.compile(rf"(?<!\w)(?P<det>{det})?(?P<member>{member_alt})(?!\s+(?:{not_followed})(?!\w))")
    group_sep_re = re.compile(rf"(?:\s*,\s*|\s+và\s+)(?:{det})?")
    group_qual_re = re.compile(rf"\s+(?:{_alternation(groups['qualifiers'])})")

    # people's councils and committees by rule
    people = patterns["people_bodies"]
    people_heads = {}
    for head in people["heads"]:
        for variant in _abbreviated_variants(_units(head), pairs):
            people_heads[_key(variant)] = head
    head_alt = trie_regex(tuple(k.split(" ")) for k in people_heads)
    localities = {_key(_units(loc)): loc for loc in people["localities"]}
    named_locs = [loc for loc in people["localities"] if loc not in people["named_localities_exclude"]]
    max_words = int(people["max_name_words"])
    people_named_re = re.compile(
        rf"(?<!\w)(?P<head>{head_alt})\s+(?P<loc>{_alternation(named_locs)})"
        rf"(?P<name>(?:\s+\w+){{0,{max_words}}})"
    )
    loc_alt = _alternation(people["localities"])
    people_loc_re = re.compile(loc_alt)
    people_group_re = re.compile(
        rf"(?<!\w)(?P<head>{head_alt})\s+(?P<det>{_alternation(people['group_determiners'])})\s+"
        rf"(?P<locs>{loc_alt}(?:(?:\s*,\s*|\s+và\s+|\s+){loc_alt})*)"
        rf"(?P<qual>\s+(?:{_alternation(people['qualifiers'])}))?"
    )

    # named units ("Phòng Quản lý xây dựng")
    units = patterns["named_units"]
    ends = re.escape(units["end_characters"])
    not_preceded = "".join(rf"(?<!{re.escape(w)}\s)" for w in units["not_preceded_by"])
    unit_re = re.compile(rf"(?<!\w){not_preceded}(?P<head>{_alternation(units['heads'])})\s+(?P<rest>[^{ends}]+)")
    unit_stop_re = re.compile(rf"\s+(?:{_alternation(units['stop_words'])})")

    group_names = {matching_form(e.name): e for e in registry if e.kind == "group"}
    for e in registry:
        if e.kind == "group":
            for alias in e.aliases:
                group_names.setdefault(matching_form(alias), e)
    return _Compiled(
        registry_re=registry_re,
        registry_keys=keys,
        distributive_re=distributive_re,
        short_re=short_res,
        short_keys=short_keys,
        member_start_re=member_start_re,
        member_re=member_re,
        member_info=member_info,
        group_sep_re=group_sep_re,
        group_qual_re=group_qual_re,
        people_named_re=people_named_re,
        people_group_re=people_group_re,
        people_loc_re=people_loc_re,
        localities=localities,
        people_heads=people_heads,
        unit_re=unit_re,
        unit_stop_re=unit_stop_re,
        group_names=group_names,
    )


# --------------------------------------------------------------------------- rules

Candidate = tuple[int, int, list[NameMatch]]
"""A region of text claimed by one rule, with the mentions it holds (a list expands to several)."""


def _capitalised(text: str, pos: int) -> bool:
    return pos < len(text) and (text[pos].isupper() or text[pos].isdigit())


def _registry_candidates(text: str, folded: str, c: _Compiled) -> list[Candidate]:
    out: list[Candidate] = []
    for m in c.registry_re.finditer(folded):
        body = m.group("body")
        if not m.group("det") and _SYMBOL_TAIL.search(folded, max(0, m.start() - 4), m.start()) and " " not in body:
            continue  # an abbreviation inside a document symbol ("20/KH-SXD", "KH/BCĐ") names no one here
        entry, name = c.registry_keys[_text_key(body)]
        end = m.end()
        place = None
        if m.group("suffix") is not None:
            if entry.level != "province" or entry.kind == "group":
                end = m.end("body")
            elif m.group("place"):
                place = text[m.start("place") : m.end("place")]
        match = NameMatch(m.start(), end, name, entry.kind, entry.level, place, entry.refers_to_bracket)
        out.append((m.start(), end, [match]))
    return out


def _distributive_candidates(text: str, folded: str, c: _Compiled) -> list[Candidate]:
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
            between = folded[pos : hit.start()]
            colon = colon or ":" in between
            if items and not _capitalised(text, hit.start()):
                break
            entry = table[_text_key(hit.group())]
            start = m.start() if not items else hit.start()
            items.append(NameMatch(start, hit.end(), entry.name, entry.kind, entry.level))
            pos = hit.end()
        if len(items) >= 2 or (items and colon):
            out.append((m.start(), items[-1].end, items))
    return out


def _group_candidates(text: str, folded: str, c: _Compiled) -> list[Candidate]:
    out: list[Candidate] = []
    levels = _patterns()["groups"]["levels"]
    possessive_forms = set(_patterns()["groups"]["possessive_members"])
    for m in c.member_start_re.finditer(folded):
        members: list[tuple[int, int, dict]] = [(m.start("member"), m.end(), c.member_info[_text_key(m["member"])])]
        pos = m.end()
        while (sep := c.group_sep_re.match(folded, pos)) and (nxt := c.member_re.match(folded, sep.end())):
            members.append((nxt.start(), nxt.end(), c.member_info[_text_key(nxt.group())]))
            pos = nxt.end()
        qualifiers: list[str] = []
        end = pos
        while len(qualifiers) < 2 and (q := c.group_qual_re.match(folded, end)):
            written = " ".join(text[q.start() : q.end()].split())
            qualifiers.append(written if "Sở" in written else written.lower())
            end = q.end()
        if m["det"] is None and len(members) < 2:
            continue
        if len(members) == 1 and not qualifiers and not members[0][2].get("alone"):
            continue
        # a change of member class starts a new group: "các sở, ngành, địa phương" is two
        runs: list[list[tuple[int, int, dict]]] = [[]]
        current: str | None = None
        for member in members:
            cls = member[2].get("class")
            if cls and current and cls != current:
                runs.append([])
                current = None
            runs[-1].append(member)
            current = current or cls
        if m["det"] is None and len(runs[0]) < 2:
            continue  # "Giám đốc Sở, các phòng": a bare capitalised noun is not a group
        matches: list[NameMatch] = []
        for i, run in enumerate(runs):
            last = i == len(runs) - 1
            start = m.start() if i == 0 else run[0][0]
            stop = end if last else run[-1][1]
            name = "các " + ", ".join(member[2]["form"] for member in run)
            if last and qualifiers:
                name += " " + " ".join(qualifiers)
            classes = [member[2]["class"] for member in run if member[2].get("class")]
            level = levels.get(classes[0], "province") if classes else "province"
            entry = c.group_names.get(matching_form(name))
            if entry is not None:
                name, level = entry.name, entry.level
            possessive = all(member[2]["form"] in possessive_forms for member in run)
            matches.append(NameMatch(start, stop, name, "group", level, possessive=possessive))
        out.append((m.start(), end, matches))
    return out


def _people_candidates(text: str, folded: str, c: _Compiled) -> list[Candidate]:
    out: list[Candidate] = []
    for m in c.people_named_re.finditer(folded):
        head = c.people_heads[_text_key(m.group("head"))]
        loc = c.localities[_text_key(m.group("loc"))]
        level = _patterns()["people_bodies"]["localities"][loc]
        end = m.end("loc")
        words = [w for w in re.finditer(r"\w+", m.group("name"))]
        for w in words:
            start = m.start("name") + w.start()
            if not _capitalised(text, start):
                break
            end = m.start("name") + w.end()
        place = " ".join(text[m.end("loc") : end].split())
        name = f"{head} {loc}" + (f" {place}" if place else "")
        out.append((m.start(), end, [NameMatch(m.start(), end, name, "agency", level)]))
    for m in c.people_group_re.finditer(folded):
        head = c.people_heads[_text_key(m.group("head"))]
        locs = [c.localities[_text_key(x.group())] for x in c.people_loc_re.finditer(m.group("locs"))]
        level = _patterns()["people_bodies"]["localities"][locs[0]]
        qual = " " + _text_key(m.group("qual")) if m.group("qual") else ""
        name = f"{head} {m.group('det')} {', '.join(locs)}{qual}"
        entry = c.group_names.get(matching_form(name))
        if entry is not None:
            name, level = entry.name, entry.level
        out.append((m.start(), m.end(), [NameMatch(m.start(), m.end(), name, "group", level)]))
    return out


def _unit_candidates(text: str, folded: str, c: _Compiled) -> list[Candidate]:
    out: list[Candidate] = []
    max_words = int(_patterns()["named_units"]["max_words"])
    for m in c.unit_re.finditer(folded):
        rest_start = m.start("rest")
        if not _capitalised(text, rest_start) or not folded[rest_start].isalpha():
            continue
        stop = c.unit_stop_re.search(folded, rest_start, m.end())
        limit = stop.start() if stop else m.end()
        words = list(re.finditer(r"\w+", folded[rest_start:limit]))[:max_words]
        # a name ends on a word, not on "và" or a dash
        while words and words[-1].group() in ("và", "của"):
            words.pop()
        if not words:
            continue
        end = rest_start + words[-1].end()
        name = text[m.start("head") : m.end("head")] + " " + " ".join(text[rest_start:end].split())
        name = name[0].upper() + name[1:]
        out.append((m.start(), end, [NameMatch(m.start(), end, name, "agency", "internal")]))
    return out


_SYMBOL_TAIL = re.compile(r"\w ?[-/] ?$")
# on equal spans the first rule wins: the group rule knows which groups are sub-units ("possessive")
_RULES = (_group_candidates, _registry_candidates, _distributive_candidates, _people_candidates, _unit_candidates)
_BRACKET = re.compile(r"\s*\(\s*")
_POSSESSIVE = re.compile(r"\s+của\s+")


def _resolve(candidates: list[Candidate]) -> list[NameMatch]:
    """Non-overlapping candidates, longest first (ties: earliest), returned in text order."""
    if not candidates:
        return []
    claimed = bytearray(max(c[1] for c in candidates) + 1)
    chosen: list[Candidate] = []
    for cand in sorted(candidates, key=lambda c: (-(c[1] - c[0]), c[0])):
        if claimed.find(1, cand[0], cand[1]) != -1:
            continue
        claimed[cand[0] : cand[1]] = b"\x01" * (cand[1] - cand[0])
        chosen.append(cand)
    return [match for cand in sorted(chosen, key=lambda c: c[0]) for match in cand[2]]


def _merge_links(text: str, matches: list[NameMatch]) -> list[NameMatch]:
    """One body written in two parts becomes one mention named after the body.

    "Cơ quan thường trực BCĐ (SKH&ĐT)": a placeholder followed by a bracketed
    body is that body; "các đơn vị chuyên môn liên quan của các Bộ, ngành trung
    ương": sub-units "của" an owner are named after the owner.
    """
    out: list[NameMatch] = []
    i = 0
    while i < len(matches):
        m = matches[i]
        if m.possessive and i + 1 < len(matches):
            nxt = matches[i + 1]
            link = _POSSESSIVE.match(text, m.end)
            if link and link.end() == nxt.start:
                out.append(NameMatch(m.start, nxt.end, nxt.name, nxt.kind, nxt.level, nxt.place))
                i += 2
                continue
        if m.refers_to_bracket and i + 1 < len(matches):
            nxt = matches[i + 1]
            opening = _BRACKET.match(text, m.end)
            if opening and opening.end() == nxt.start:
                closing = re.compile(r"\s*\)").match(text, nxt.end)
                if closing:
                    out.append(NameMatch(m.start, closing.end(), nxt.name, nxt.kind, nxt.level, nxt.place))
                    i += 2
                    continue
        out.append(m)
        i += 1
    return out


def match_text(text: str) -> list[NameMatch]:
    """Every agency and group mention in ``text`` (NFC), character offsets, text order.

    The spaCy component of ``extractors.nlp`` calls this; other code should
    call :func:`find_mentions`, which reads the result through the pipeline.
    """
    text = nfc(text)
    folded = matching_form(text)
    compiled = _compiled()
    candidates: list[Candidate] = []
    for rule in _RULES:
        candidates.extend(rule(text, folded, compiled))
    return _merge_links(text, _resolve(candidates))


# --------------------------------------------------------------------------- public API


def _same_place(a: str, b: str) -> bool:
    return fold_diacritics(" ".join(a.split())) == fold_diacritics(" ".join(b.split()))


def find_mentions(text: str, offset: int = 0, province: str | None = None) -> list[AgencyMention]:
    """Every agency / group mention in ``text``: non-overlapping, longest match, text order.

    ``span`` is ``offset`` + the position in ``text`` (pass the position of
    ``text`` in the document content).  ``name`` is the canonical name;
    provincial bodies are named without their province ("Sở Xây dựng",
    "Ủy ban nhân dân tỉnh") unless ``province`` is given and the text names a
    different one ("Ủy ban nhân dân tỉnh Quảng Ninh").
    """
    from extractors.nlp import parse

    text = nfc(text)
    doc = parse(text)
    mentions: list[AgencyMention] = []
    for ent in doc.ents:
        for m in ent._.agency_mentions:
            name = m.name
            if m.place and province and not _same_place(m.place, province):
                name = f"{name} {m.place}" if name.endswith("tỉnh") else f"{name} tỉnh {m.place}"
            mentions.append(
                AgencyMention(
                    text=text[m.start : m.end], span=(offset + m.start, offset + m.end), name=name, kind=m.kind
                )
            )
    return mentions


_EDGE_PUNCT = re.compile(r"^[\s\W]*$")


def canonical_name(text: str) -> str | None:
    """The canonical name of a bare agency string (a table cell, a heading), or None.

    None when the string names no body, or more than one, or holds words
    that are not part of the name ("Giao Sở Xây dựng chủ trì" is not bare).
    """
    text = nfc(text)
    mentions = find_mentions(text)
    if len(mentions) != 1:
        return None
    start, end = mentions[0].span
    if _EDGE_PUNCT.match(text[:start]) and _EDGE_PUNCT.match(text[end:]):
        return mentions[0].name
    return None
