"""Word list numbering turned back into the markers a reader sees on paper.

A Word auto-numbered paragraph stores no marker in its text: "1.", "a)",
"II." and bullets are drawn at render time from ``numbering.xml`` (a level's
``numFmt`` and ``lvlText`` pattern such as ``"%1.%2."``) and from counters
Word keeps while laying out the document.  Without them a plan's outline
("II. NHIỆM VỤ" → "1. …" → "a) …") disappears, so the DOCX reader replays
those counters in document order and writes the marker back into the text.

Counting follows Word: ``w:num`` instances that share an abstract definition
share their counters (a list interrupted by a paragraph keeps counting),
unless the instance restarts them with ``w:startOverride``; using a level
resets the deeper levels.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from docx.oxml.ns import qn
from lxml.etree import _Element

_PRIVATE_USE_BULLETS = {
    "\uf0b7": "•",  # Symbol: bullet
    "\uf0a7": "▪",  # Wingdings: small square
    "\uf06e": "■",  # Wingdings: black square
    "\uf0a8": "□",
    "\uf0d8": "➢",  # Wingdings: arrowhead
    "\uf076": "❖",
    "\uf0fc": "✓",
    "\uf02d": "-",  # Symbol: minus
    "\uf02b": "+",  # Symbol: plus
    "\uf02a": "*",
}
"""Symbol/Wingdings glyphs stored as private-use code points, and what they look like."""

_PLAIN_BULLETS = {"o": "◦", "§": "▪", "Ø": "➢", "ü": "✓", "v": "❖", "q": "❑"}
"""Letters that Courier/Wingdings level texts use to draw bullets."""


def to_roman(number: int) -> str:
    values = ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"))
    values += ((50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
    out = []
    for value, letters in values:
        while number >= value:
            out.append(letters)
            number -= value
    return "".join(out)


def to_letters(number: int) -> str:
    """Word's letter numbering: a … z, then aa … zz (the letter repeated, not base 26)."""
    if number <= 0:
        return str(number)
    letter = chr(ord("a") + (number - 1) % 26)
    return letter * ((number - 1) // 26 + 1)


def format_number(number: int, num_fmt: str) -> str:
    if num_fmt in ("upperRoman", "lowerRoman"):
        roman = to_roman(number) if number > 0 else str(number)
        return roman if num_fmt == "upperRoman" else roman.lower()
    if num_fmt in ("upperLetter", "lowerLetter"):
        letters = to_letters(number)
        return letters.upper() if num_fmt == "upperLetter" else letters
    if num_fmt == "decimalZero":
        return f"{number:02d}"
    return str(number)  # decimal and the exotic formats Vietnamese plans do not use


def bullet_glyph(level_text: str) -> str:
    """The character a bullet level prints, without private-use or font-trick code points."""
    text = level_text.strip()
    if not text:
        return ""
    if text in _PRIVATE_USE_BULLETS:
        return _PRIVATE_USE_BULLETS[text]
    if text in _PLAIN_BULLETS:
        return _PLAIN_BULLETS[text]
    if all("\ue000" <= ch <= "\uf8ff" for ch in text):
        return "•"
    return text


@dataclass(frozen=True)
class Level:
    num_fmt: str = "decimal"
    text: str = "%1."
    start: int = 1
    legal: bool = False
    """``w:isLgl``: every placeholder is printed as a decimal number ("1.2.3")."""
    restart_after: int | None = None
    """``w:lvlRestart``: the counter restarts only when a level at or above this one (1-based) is used."""
    style_id: str | None = None


@dataclass
class _ListState:
    counters: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Marker:
    text: str
    """The marker as printed: "1.", "a)", "II.", "•"; empty when the level prints nothing."""
    level: int
    """Outline level, 1-based (Word's ``ilvl`` + 1)."""
    bullet: bool


def _val(element: _Element | None, default: str | None = None) -> str | None:
    if element is None:
        return default
    return element.get(qn("w:val"), default)


def _parse_level(lvl: _Element) -> Level:
    def child(tag: str) -> _Element | None:
        return lvl.find(qn(tag))

    start = _val(child("w:start"))
    restart = _val(child("w:lvlRestart"))
    legal = child("w:isLgl")
    return Level(
        num_fmt=_val(child("w:numFmt"), "decimal") or "decimal",
        text=_val(child("w:lvlText"), "") or "",
        start=int(start) if start and start.lstrip("-").isdigit() else 1,
        legal=legal is not None and _val(legal, "true") not in ("false", "0", "off"),
        restart_after=int(restart) if restart and restart.isdigit() else None,
        style_id=_val(child("w:pStyle")),
    )


class Numbering:
    """Replays Word's list counters over the paragraphs of one document, in order."""

    def __init__(self, numbering_root: _Element | None, style_num_ids: dict[str, str] | None = None) -> None:
        self._abstract_levels: dict[str, dict[int, Level]] = {}
        self._abstract_style_link: dict[str, str] = {}
        self._num_abstract: dict[str, str] = {}
        self._num_overrides: dict[str, dict[int, Level | None]] = {}
        self._num_start_overrides: dict[str, dict[int, int]] = {}
        self._style_num_ids = style_num_ids or {}
        self._states: dict[str, _ListState] = {}
        if numbering_root is not None:
            self._load(numbering_root)

    def _load(self, root: _Element) -> None:
        for abstract in root.iter(qn("w:abstractNum")):
            abstract_id = abstract.get(qn("w:abstractNumId"))
            if abstract_id is None:
                continue
            levels = {}
            for lvl in abstract.findall(qn("w:lvl")):
                ilvl = lvl.get(qn("w:ilvl"))
                if ilvl is not None and ilvl.isdigit():
                    levels[int(ilvl)] = _parse_level(lvl)
            self._abstract_levels[abstract_id] = levels
            link = _val(abstract.find(qn("w:numStyleLink")))
            if link:
                self._abstract_style_link[abstract_id] = link
        for num in root.iter(qn("w:num")):
            num_id = num.get(qn("w:numId"))
            abstract_id = _val(num.find(qn("w:abstractNumId")))
            if num_id is None or abstract_id is None:
                continue
            self._num_abstract[num_id] = abstract_id
            for override in num.findall(qn("w:lvlOverride")):
                ilvl_text = override.get(qn("w:ilvl"), "0")
                if not ilvl_text.isdigit():
                    continue
                ilvl = int(ilvl_text)
                start = _val(override.find(qn("w:startOverride")))
                if start is not None and start.lstrip("-").isdigit():
                    self._num_start_overrides.setdefault(num_id, {})[ilvl] = int(start)
                lvl = override.find(qn("w:lvl"))
                if lvl is not None:
                    self._num_overrides.setdefault(num_id, {})[ilvl] = _parse_level(lvl)

    def _abstract_of(self, num_id: str, depth: int = 0) -> str | None:
        abstract_id = self._num_abstract.get(num_id)
        link = self._abstract_style_link.get(abstract_id or "")
        if link and depth < 3:
            # numStyleLink: the real definition hangs off the numbering style's own w:num
            linked_num = self._style_num_ids.get(link)
            if linked_num and linked_num != num_id:
                return self._abstract_of(linked_num, depth + 1)
        return abstract_id

    def level(self, num_id: str, ilvl: int) -> Level | None:
        override = self._num_overrides.get(num_id, {}).get(ilvl)
        if override is not None:
            return override
        abstract_id = self._abstract_of(num_id)
        if abstract_id is None:
            return None
        return self._abstract_levels.get(abstract_id, {}).get(ilvl)

    def level_for_style(self, num_id: str, style_id: str) -> int | None:
        """The level a numbered paragraph style is tied to (``w:lvl/w:pStyle``), if any."""
        abstract_id = self._abstract_of(num_id)
        for ilvl, level in self._abstract_levels.get(abstract_id or "", {}).items():
            if level.style_id == style_id:
                return ilvl
        return None

    def _state_key(self, num_id: str) -> str:
        if num_id in self._num_start_overrides:
            return "num:" + num_id
        return "abstract:" + (self._abstract_of(num_id) or num_id)

    def next_marker(self, num_id: str, ilvl: int) -> Marker | None:
        """Advance the counters for one paragraph of list ``num_id`` at level ``ilvl``; return its marker."""
        if num_id in ("", "0"):
            return None  # numId 0 means "numbering switched off"
        level = self.level(num_id, ilvl)
        if level is None:
            return None
        state = self._states.setdefault(self._state_key(num_id), _ListState())
        starts = self._num_start_overrides.get(num_id, {})
        if ilvl in state.counters:
            state.counters[ilvl] += 1
        else:
            state.counters[ilvl] = starts.get(ilvl, level.start)
        for deeper in [k for k in state.counters if k > ilvl]:
            deeper_level = self.level(num_id, deeper)
            restart_after = deeper_level.restart_after if deeper_level else None
            never_restarts = restart_after == 0
            if not never_restarts and (restart_after is None or ilvl + 1 <= restart_after):
                del state.counters[deeper]
        if level.num_fmt == "bullet":
            return Marker(bullet_glyph(level.text), ilvl + 1, bullet=True)
        if level.num_fmt == "none" and "%" not in level.text:
            return Marker(level.text.strip(), ilvl + 1, bullet=False)
        return Marker(self._render(num_id, ilvl, level, state, starts).strip(), ilvl + 1, bullet=False)

    def _render(self, num_id: str, ilvl: int, level: Level, state: _ListState, starts: dict[int, int]) -> str:
        out = []
        text = level.text
        index = 0
        while index < len(text):
            ch = text[index]
            if ch == "%" and index + 1 < len(text) and text[index + 1].isdigit():
                placeholder = int(text[index + 1]) - 1
                source = self.level(num_id, placeholder) or Level()
                value = state.counters.get(placeholder, starts.get(placeholder, source.start))
                fmt = "decimal" if level.legal and placeholder < ilvl else source.num_fmt
                out.append("" if fmt == "none" else format_number(value, fmt))
                index += 2
                continue
            out.append(ch)
            index += 1
        return "".join(out)
