"""Types shared by the agency modules (registry, grammar, orchestration)."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

RESOURCES = Path(__file__).parent / "resources"


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
    """A group of sub-units ("các đơn vị chuyên môn") whose owner may follow after "của" / "thuộc"."""
    rule: str = "agency.registry"
    """Stable id of the rule that recognised the mention (``agency.head_noun``, ``agency.group``, ...)."""
    registered: bool = True
    """False when the registry does not know the body: its name is the canonical written form."""
    takes_owner: bool = False
    """A unit that an owner body written right after it belongs to ("Ban X" in "Ban X Đảng ủy ...")."""
    needs_owner: bool = False
    """Only a mention together with an owner ("Đảng ủy" + "Ủy ban nhân dân tỉnh"); dropped without one."""


Candidate = tuple[int, int, list[NameMatch]]
"""A region of text claimed by one rule, with the mentions it holds (a list expands to several)."""


@functools.lru_cache(maxsize=1)
def grammar_data() -> dict:
    """``agency_grammar.json`` (cached): the closed lists of the grammar of body names."""
    return json.loads((RESOURCES / "agency_grammar.json").read_text(encoding="utf-8"))
