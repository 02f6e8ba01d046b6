"""Agency and group mentions: recognised by the grammar of body names, named by the registry.

Plans name the bodies they assign work to in many ways: in full ("Sở Kế hoạch
và Đầu tư"), abbreviated ("Sở KH&ĐT"), in distributive lists ("các Sở: Xây
dựng, Tài chính"), as groups ("các bộ, ngành và địa phương liên quan"), by a
head noun and a name the registry never heard of ("Cục Biến đổi khí hậu",
"Tổng công ty Điện lực miền Bắc"), by a locality ("Thuế tỉnh") or an owner
("Đảng ủy Ủy ban nhân dân tỉnh"), or as the holder of an office ("Chủ tịch
Ủy ban nhân dân cấp xã").  Two modules do the work:

- ``extractors.agency_grammar`` decides *that* a phrase names a body, from
  the grammar of Vietnamese body names (closed lists in
  ``resources/agency_grammar.json``), so plans of any body are covered;
- ``extractors.agency_registry`` decides what a body is *called*: a known body
  (any alias, abbreviation, tone placement or case) gets the registry's
  canonical name and its 2025 successor links; an unknown one keeps its
  canonical written form with ``registered=False``.

This module orchestrates them: every rule proposes candidates, the longest
non-overlapping ones win, and linked mentions are merged.  ``match_text`` is
the character-level matcher that ``extractors.nlp`` runs as a spaCy
component; ``find_mentions`` reads the mentions back from the spaCy ``Doc``'s
entities, so the entities and this API always agree.
"""

from __future__ import annotations

import re

from kehoach.extractors import agency_grammar, agency_registry
from kehoach.extractors.agency_registry import (
    RegistryEntry,
    load_registry,
    lookup,
    predecessors,
    successors,
    trie_regex,
)
from kehoach.extractors.agency_types import RESOURCES, Candidate, NameMatch
from kehoach.models.document import AgencyMention
from kehoach.models.text_forms import fold_diacritics, matching_form, nfc

__all__ = [
    "RESOURCES",
    "NameMatch",
    "RegistryEntry",
    "canonical_name",
    "find_mentions",
    "load_registry",
    "lookup",
    "match_text",
    "predecessors",
    "successors",
    "trie_regex",
]


def _resolve(candidates: list[Candidate]) -> list[NameMatch]:
    """Non-overlapping candidates, longest first (ties: the earlier rule, then earliest), in text order."""
    if not candidates:
        return []
    claimed = bytearray(max(c[1] for c in candidates) + 1)
    chosen: list[Candidate] = []
    order = sorted(range(len(candidates)), key=lambda i: (-(candidates[i][1] - candidates[i][0]), i))
    for i in order:
        cand = candidates[i]
        if claimed.find(1, cand[0], cand[1]) != -1:
            continue
        claimed[cand[0] : cand[1]] = b"\x01" * (cand[1] - cand[0])
        chosen.append(cand)
    return [match for cand in sorted(chosen, key=lambda c: c[0]) for match in cand[2]]


def match_text(text: str) -> list[NameMatch]:
    """Every agency and group mention in ``text`` (NFC), character offsets, text order.

    The spaCy component of ``extractors.nlp`` and :func:`find_mentions` both
    call this, so Doc entities and mentions agree.
    Rule order breaks ties between equally long candidates: groups first (they
    know which groups own sub-units), then registry names, then the grammar.
    """
    text = nfc(text)
    folded = matching_form(text)
    known = agency_registry.registry_candidates(text, folded)
    registry_ends = {start: end for start, end, _ in known}
    candidates: list[Candidate] = [
        *agency_grammar.group_candidates(text, folded),
        *known,
        *agency_registry.distributive_candidates(text, folded),
        *agency_grammar.people_candidates(text, folded),
        *agency_grammar.head_noun_candidates(text, folded, registry_ends),
    ]
    return agency_grammar.link_mentions(text, _resolve(candidates))


def _same_place(a: str, b: str) -> bool:
    return fold_diacritics(" ".join(a.split())) == fold_diacritics(" ".join(b.split()))


def find_mentions(text: str, offset: int = 0, province: str | None = None) -> list[AgencyMention]:
    """Every agency / group mention in ``text``: non-overlapping, longest match, text order.

    ``span`` is ``offset`` + the position in ``text`` (pass the position of
    ``text`` in the document content).  ``name`` is the canonical name;
    provincial bodies are named without their province ("Sở Xây dựng",
    "Ủy ban nhân dân tỉnh") unless ``province`` is given and the text names a
    different one ("Ủy ban nhân dân tỉnh Quảng Ninh").  ``registered`` says
    whether the registry knows the body; ``rule`` which rule recognised it.
    """
    # The matcher works on characters (FACTS.md: word tokens miss names), so it needs no spaCy Doc: building one
    # costs underthesea's word segmentation, half of extraction time, for nothing read here.  The spaCy component
    # of extractors.nlp calls the same matcher, so Doc entities and these mentions are the same.
    text = nfc(text)
    mentions: list[AgencyMention] = []
    for m in match_text(text):
        name = m.name
        if m.place and province and not _same_place(m.place, province):
            name = f"{name} {m.place}" if name.endswith("tỉnh") else f"{name} tỉnh {m.place}"
        mentions.append(
            AgencyMention(
                text=text[m.start : m.end],
                span=(offset + m.start, offset + m.end),
                name=name,
                kind=m.kind,
                registered=m.registered,
                rule=m.rule,
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
