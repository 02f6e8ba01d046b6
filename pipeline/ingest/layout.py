"""What a line of a Vietnamese administrative document is: heading, list item or prose.

Shared by the text, DOCX and PDF readers so that "II.", "1.2.", "a)", "-" and
upper-case headings mean the same thing whatever the source format.  Stable API:

* :func:`split_marker` — the list/section marker at the start of a line, if any;
* :func:`classify_line` — kind (heading / list_item / paragraph), marker, level;
* :func:`is_upper_line`, :func:`ends_sentence`, :func:`starts_lowercase` —
  the tests the line-joining rules are made of;
* :func:`continues_heading` — whether an upper-case line carries on the heading above.

Levels follow the numbering convention of Vietnamese plans (Nghị định
30/2020/NĐ-CP layout): I. → 1, 1. → 2, 1.1. → 3, 1.1.1. and a) → 4, - → 5,
+ → 6.  They are what the marker *type* says; the section tree built from the
sequence of markers is the structure extractor's job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

from kehoach.extractors.resources import load_json
from kehoach.models.document import BlockKind

MarkerKind = Literal["roman", "number", "letter", "bullet"]

MAX_HEADING_WORDS = 40
"""An upper-case line longer than this is shouted prose, not a heading."""

_ROMAN = r"(?=[IVX])X{0,3}(?:IX|IV|V?I{0,3})"
_MARKER = re.compile(
    rf"""^(?:
        (?P<roman>{_ROMAN}\s?[.\-–:)])
      | (?P<number>\d{{1,2}}(?:\.\d{{1,2}})+\.?|\d{{1,2}}[.)\-])
      | (?P<letter>[a-zđ][).])
      | (?P<bullet>[-–—+•·▪●○◦*➢➤❖✓])
    )(?=\s)""",
    re.VERBOSE,
)
_MARKDOWN_NESTED_BULLET = re.compile(r"^[-*]\s+(?=[-–+•]\s)")
_SENTENCE_END = re.compile(r"""[.;:!?…]["'”’)\]]*$|\./\.$""")
_LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True)
class Marker:
    text: str
    """As printed: ``"II."``, ``"1.2."``, ``"a)"``, ``"-"``."""
    kind: MarkerKind
    level: int | None


@dataclass(frozen=True)
class LineClass:
    kind: BlockKind
    marker: str | None = None
    level: int | None = None


def _level(kind: MarkerKind, text: str) -> int | None:
    if kind == "roman":
        return 1
    if kind == "number":
        if text.endswith(")"):
            return None  # "1)" sits at no fixed depth
        return min(text.rstrip(".-").count(".") + 2, 4)
    if kind == "letter":
        return 4
    return 6 if text == "+" else 5


def strip_markdown_nesting(line: str) -> str:
    """``"- + Đồng chí …"`` (a DOCX "+" bullet exported as a nested markdown list) → ``"+ Đồng chí …"``."""
    return _MARKDOWN_NESTED_BULLET.sub("", line)


def split_marker(text: str) -> tuple[Marker | None, str]:
    """The marker that opens ``text`` (leading blanks ignored) and the text after it.

    Returns ``(None, text)`` when the line opens with no marker.  A marker must be
    followed by a blank: "2030, tầm nhìn" and "6-8 m²" are not markers.
    """
    stripped = text.lstrip()
    match = _MARKER.match(stripped)
    if not match:
        return None, text
    kind: MarkerKind = match.lastgroup  # type: ignore[assignment]
    marker_text = match.group().replace(" ", "")
    return Marker(marker_text, kind, _level(kind, marker_text)), stripped[match.end() :].lstrip()


def is_upper_line(text: str) -> bool:
    """True when the line has 2+ letters and every letter is a capital ("II- NỘI DUNG", "KẾ HOẠCH")."""
    letters = _LETTER.findall(text)
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def ends_sentence(text: str) -> bool:
    """True when the line ends a sentence or clause list (". ; : ! ? …", "./.")."""
    return bool(_SENTENCE_END.search(text.rstrip()))


def starts_lowercase(text: str) -> bool:
    """True when the first letter of the line is lower case (a wrapped sentence going on)."""
    first = _LETTER.search(text)
    return bool(first) and first.group().islower() and first.start() <= 2  # type: ignore[union-attr]


@cache
def _continuation_words() -> frozenset[str]:
    data = load_json("continuation_words.json")
    return frozenset(word.lower() for word in data["words"])


def continues_heading(previous: str, line: str) -> bool:
    """Whether upper-case ``line`` carries on upper-case heading ``previous`` (a wrapped title).

    Yes when the previous line stops on a comma or a joining word, is long enough
    to have been wrapped, or the new line opens with a joining word ("VÀ", "CỦA").
    """
    previous = previous.rstrip()
    if not previous or ends_sentence(previous) or split_marker(line)[0] is not None:
        return False
    last_word = previous.split()[-1].lower()
    first_word = line.split()[0].lower() if line.split() else ""
    words = _continuation_words()
    return previous.endswith((",", "-", "–")) or last_word in words or first_word in words or len(previous) >= 60


def classify_line(text: str, *, bold: bool = False) -> LineClass:
    """Kind, marker and level of one line (or of a block, classified by its first line).

    Upper-case lines are headings (bullets excepted: "- UBND tỉnh;" is a list
    item); so are "V. Kinh phí" (a Roman section number) and a bold line that ends no sentence and opens with a section
    number or with no marker (the DOCX and markdown way of setting headings).
    """
    marker, rest = split_marker(text)
    words = len(text.split())
    if marker is not None and marker.kind == "bullet":
        return LineClass("list_item", marker.text, marker.level)
    if is_upper_line(rest if marker else text) and words <= MAX_HEADING_WORDS:
        return LineClass("heading", marker.text if marker else None, marker.level if marker else None)
    if marker is not None and marker.kind == "roman" and not ends_sentence(text) and words <= MAX_HEADING_WORDS:
        return LineClass("heading", marker.text, marker.level)
    if bold and not ends_sentence(text) and words <= MAX_HEADING_WORDS and (marker is None or marker.kind != "letter"):
        return LineClass("heading", marker.text if marker else None, marker.level if marker else None)
    if marker is not None:
        return LineClass("list_item", marker.text, marker.level)
    return LineClass("paragraph")
