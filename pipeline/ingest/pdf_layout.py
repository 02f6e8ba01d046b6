"""Page geometry to reading order: words to lines, two-column regions, paragraphs.

A PDF page is a bag of positioned words.  Vietnamese administrative documents
(Nghị định 30/2020/NĐ-CP layout) put two columns side by side at the top (issuer
| national motto, number | place and date) and at the bottom (Nơi nhận |
signature), and justify the body with a first-line indent.  This module turns
positioned words (from the text layer or from OCR, the same code for both) into
:class:`Line` objects in reading order and then into paragraph-sized
:class:`TextBlock` objects:

* words on the same baseline form a line; a line with a wide gap is cut into
  segments, and a run of such lines sharing one gutter is a two-column region,
  read left column first, then right column, so "TỈNH ỦY LẠNG SƠN" is not glued
  to "ĐẢNG CỘNG SẢN VIỆT NAM";
* body lines are joined into paragraphs unless a list/heading marker starts a
  line, the line is indented (first-line indent), or the previous line stopped
  short of the right margin (the next word would have fitted);
* text wrapped after a glued hyphen ("2021-" / "2030") is joined without a space.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass, field

MARKER = re.compile(
    r"^(?P<marker>"
    r"(?:Phần|Chương|Mục|Điều)\s+[IVXLC\d]+[.:]?"  # Phần I, Chương II, Điều 3.
    r"|[IVXLC]+\s?[.\-–)]"  # I.  II-  IV)
    r"|\d{1,2}(?:\.\d{1,2})+\.?"  # 1.1  1.2.3.  (not 1.000: thousands separator)
    r"|\d{1,2}[.)]"  # 1.  2)
    r"|[a-zđ][.)]"  # a)  b.  đ)
    r"|[-–—+•*·○●■□✓]"  # bullets
    r")(?=\s)"
)
"""A list or heading marker at the start of a line, as Vietnamese plans number their outline."""

ROMAN_MARKER = re.compile(r"^(?:Phần|Chương)\b|^[IVXLC]+\s?[.\-–)]$")
TERMINAL = re.compile(r"[.!?;:]['\"”’)]*$")
GLUED_HYPHEN = re.compile(r"[^\W_]-$")


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    bold: bool = False


@dataclass
class Line:
    words: list[Word]
    page: int
    column: bool = False
    """True for a line of a two-column region (letterhead, signature block)."""

    @property
    def text(self) -> str:
        return " ".join(word.text for word in self.words)

    @property
    def x0(self) -> float:
        return min(word.x0 for word in self.words)

    @property
    def x1(self) -> float:
        return max(word.x1 for word in self.words)

    @property
    def top(self) -> float:
        return min(word.top for word in self.words)

    @property
    def bottom(self) -> float:
        return max(word.bottom for word in self.words)

    @property
    def height(self) -> float:
        return statistics.median(word.bottom - word.top for word in self.words)

    @property
    def bold(self) -> bool:
        letters = sum(len(w.text) for w in self.words)
        return sum(len(w.text) for w in self.words if w.bold) >= 0.8 * letters


@dataclass
class TextBlock:
    """A paragraph, list item or heading before it is written to the content builder."""

    lines: list[Line]
    page: int
    column: bool = False
    open_end: bool = False
    """The last line ran to the right margin without closing punctuation: text may go on."""
    texts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return join_wrapped(self.texts or [line.text for line in self.lines])


def join_wrapped(parts: list[str]) -> str:
    """Join hard-wrapped line texts: a space, or nothing after a glued hyphen ("2021-" + "2030")."""
    out = ""
    for part in parts:
        part = part.strip()
        if not part:
            continue
        if not out:
            out = part
        elif GLUED_HYPHEN.search(out):
            out += part
        else:
            out += " " + part
    return out


# --------------------------------------------------------------------------- lines


def group_lines(words: list[Word], page: int) -> list[Line]:
    """Words sharing a baseline band form one line, words sorted left to right."""
    lines: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (w.top, w.x0)):
        centre = (word.top + word.bottom) / 2
        if lines:
            current = lines[-1]
            top = min(w.top for w in current)
            bottom = max(w.bottom for w in current)
            if top <= centre <= bottom:
                current.append(word)
                continue
        lines.append([word])
    return [Line(sorted(ws, key=lambda w: w.x0), page) for ws in lines]


def segments(line: Line) -> list[list[Word]]:
    """Cut a line where the gap between two words is far wider than a justified space."""
    threshold = max(18.0, 1.8 * line.height)
    parts: list[list[Word]] = [[line.words[0]]]
    for previous, word in zip(line.words, line.words[1:], strict=False):
        if word.x0 - previous.x1 > threshold:
            parts.append([word])
        else:
            parts[-1].append(word)
    return parts


# --------------------------------------------------------------------------- columns


def _widest_gap(parts: list[list[Word]]) -> tuple[float, float]:
    gaps = [(parts[i + 1][0].x0 - parts[i][-1].x1, i) for i in range(len(parts) - 1)]
    _, i = max(gaps)
    return parts[i][-1].x1, parts[i + 1][0].x0


def order_columns(lines: list[Line]) -> list[Line]:
    """Reorder two-column regions (left column first, then right); other lines keep their order.

    A region starts at a line with a wide gap and goes on while each next line
    either has a gap over the same gutter or lies wholly on one side of it, with
    no more than about two blank lines in between.
    """
    out: list[Line] = []
    i = 0
    while i < len(lines):
        parts = segments(lines[i])
        if len(parts) < 2:
            out.append(lines[i])
            i += 1
            continue
        lo, hi = _widest_gap(parts)
        region = [lines[i]]
        j = i + 1
        while j < len(lines):
            line = lines[j]
            if line.top - lines[j - 1].bottom > 2.5 * max(other.height for other in (*region, line)):
                break
            line_parts = segments(line)
            if len(line_parts) >= 2:
                gaps = [
                    (line_parts[k][-1].x1, line_parts[k + 1][0].x0)
                    for k in range(len(line_parts) - 1)
                    if line_parts[k][-1].x1 < hi and line_parts[k + 1][0].x0 > lo
                ]
                if not gaps:
                    break
                g_lo, g_hi = gaps[0]
                new_lo, new_hi = max(lo, g_lo), min(hi, g_hi)
            elif line.x1 <= (lo + hi) / 2:  # wholly in the left column (a centred title straddles the gutter)
                new_lo, new_hi = max(lo, line.x1), hi
            elif line.x0 >= (lo + hi) / 2:
                new_lo, new_hi = lo, min(hi, line.x0)
            else:
                break
            if new_hi - new_lo < 2:
                break
            lo, hi = new_lo, new_hi
            region.append(line)
            j += 1
        left: list[Line] = []
        right: list[Line] = []
        for line in region:
            left_words = [w for w in line.words if w.x1 <= lo + 0.5]
            right_words = [w for w in line.words if w.x1 > lo + 0.5]
            if left_words:
                left.append(Line(left_words, line.page, column=True))
            if right_words:
                right.append(Line(right_words, line.page, column=True))
        out.extend(left)
        out.extend(right)
        i = j
    return out


# --------------------------------------------------------------------------- margins


def margins(lines: list[Line]) -> tuple[float, float] | None:
    """Body left and right margins: the leftmost / rightmost edge shared by several lines."""
    body = [line for line in lines if not line.column]
    if len(body) < 4:
        return None
    lefts = Counter(round(line.x0) for line in body)
    rights = Counter(round(line.x1) for line in body)
    shared_left = [x for x, n in lefts.items() if n >= 2] or list(lefts)
    shared_right = [x for x, n in rights.items() if n >= 2] or list(rights)
    return float(min(shared_left)), float(max(shared_right))


# --------------------------------------------------------------------------- paragraphs


def marker_of(text: str) -> str | None:
    match = MARKER.match(text)
    return match.group("marker") if match else None


def _ends_short(previous: Line, line: Line, right: float) -> bool:
    """True when the first word of ``line`` would have fitted at the end of ``previous``."""
    first = line.words[0]
    room = right - previous.x1
    return room > (first.x1 - first.x0) + 0.3 * line.height + 2


def assemble(lines: list[Line], left: float, right: float) -> list[TextBlock]:
    """Join body lines into paragraphs and keep column lines (letterhead, signature) one per block."""
    blocks: list[TextBlock] = []
    previous: Line | None = None
    for line in lines:
        if line.column:
            starts_lower = line.text[:1].islower()
            if previous is not None and previous.column and starts_lower and blocks:
                blocks[-1].lines.append(line)
            else:
                blocks.append(TextBlock([line], line.page, column=True))
            previous = line
            continue
        goes_on = (
            previous is not None
            and not previous.column
            and bool(blocks)
            and line.text[:1].islower()
            and marker_of(line.text) is None
            and not TERMINAL.search(previous.text)
            and not _is_heading_text(previous.text)
            and line.top - previous.bottom <= 1.6 * line.height
        )
        new = not goes_on and (
            previous is None
            or previous.column
            or not blocks
            or marker_of(line.text) is not None
            or line.x0 > previous.x0 + 0.8 * line.height
            or _ends_short(previous, line, right)
            or line.top - previous.bottom > 1.6 * line.height
            or _is_heading_text(line.text) != _is_heading_text(previous.text)
            or previous.bold != line.bold
            and (previous.bold or line.bold)
            and (_is_heading_text(blocks[-1].text) or line.bold)
        )
        if new:
            blocks.append(TextBlock([line], line.page))
        else:
            blocks[-1].lines.append(line)
        previous = line
    for block in blocks:
        last = block.lines[-1]
        block.open_end = (
            not block.column and right - last.x1 <= 0.3 * last.height + 4 and not TERMINAL.search(last.text)
        )
    return blocks


def continues(block: TextBlock, line: Line, left: float) -> bool:
    """A paragraph broken by a page break: the new page's first line goes on with the sentence."""
    return (
        block.open_end
        and not line.column
        and marker_of(line.text) is None
        and line.x0 <= left + 0.8 * line.height
        and not _is_heading_text(block.text)
    )


def _is_heading_text(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 4 and sum(c.isupper() for c in letters) >= 0.9 * len(letters)


def classify(block: TextBlock, left: float, right: float) -> tuple[str, str | None, bool]:
    """(kind, marker, centered) of a block: heading, list_item or paragraph."""
    text = block.text
    marker = marker_of(text)
    centre = (left + right) / 2
    centered = not block.column and all(
        abs((line.x0 + line.x1) / 2 - centre) < 12 and line.x0 > left + 40 for line in block.lines
    )
    bold = all(line.bold for line in block.lines)
    if _is_heading_text(text) or (marker and ROMAN_MARKER.match(marker)):
        return "heading", marker, centered
    if bold and len(text) < 200 and not TERMINAL.search(text):
        return "heading", marker, centered
    if marker:
        return "list_item", marker, centered
    return "paragraph", None, centered
