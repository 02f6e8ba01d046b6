"""A PDF page's characters and ruling lines from pypdfium2, in pdfplumber's shapes.

Why: building pdfminer's page objects was 84 % of kehoach's reading time
(issue 9); pdfium gives the same characters with their boxes and the same
path objects about ten times faster.  pdfium's *plain text* is unusable for
Vietnamese (FACTS: tone-marked letters drawn by a second text object come out
at the line end), so nothing here reads text in stream order: each character
is taken with its box, and the layout code orders them by position.

The page object :class:`CharPage` quacks like the parts of ``pdfplumber.Page``
that kehoach uses (``chars``, ``edges``, ``images``, ``page_number``,
``extract_words``, ``find_tables``), so the word grouping, the table finder
(pdfplumber's pure-geometry ``TableFinder``, which never touches pdfminer) and
kehoach's own line, column and table reconstruction run unchanged on it.

Boxes follow pdfminer's convention, which the layout thresholds were tuned
on: ``x0`` is the character's origin and ``x1`` its advance (pdfium's loose
box, cut back to where pdfium put the generated character after it),
``bottom`` is the baseline moved down by the descent the font descriptor
states (:mod:`pipeline.ingest.pdf_fonts`; pdfium's own guess otherwise) and
``top`` is ``bottom - font size``; letters of one baseline and size share the
line's main box.  Coordinates are measured from the media box's top-left
corner, as pdfplumber does.

Three things pdfium does differently are undone: a real space it turned
into a zero-width "generated" one is kept where a gap opens; a space it
dropped after a letter drawn by a fallback font is restored from the gap
(:data:`FALLBACK_GAP`); a hyphen ending a line, reported as U+FFFE, is a
hyphen again.  Combining marks (a tone mark drawn as its own glyph, or a
glyph mapped to letter + mark) are attached to the base letter under them,
which keeps the whole glyph's box, and the pair is NFC-composed.
"""

from __future__ import annotations

import ctypes
import unicodedata
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as raw
from pdfplumber.table import Table, TableFinder, TableSettings
from pdfplumber.utils import extract_words
from pdfplumber.utils.text import LIGATURES

FALLBACK_GAP = 1.5
"""Points of gap after a fallback-font letter that mean a word break (inside words: < 0.9 on the corpus)."""
AXIS_TOLERANCE = 0.01
"""A path segment whose ends differ by less than this (points) across its run is horizontal/vertical."""


@dataclass
class CharPage:
    """One page's characters (pdfplumber char dicts), ruling-line edges and image count."""

    page_number: int
    width: float
    height: float
    chars: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    images: list[int] = field(default_factory=list)
    """One entry per image object (only its truthiness and length are used: a scan has an image)."""

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return (0.0, 0.0, self.width, self.height)

    def extract_words(self, **kwargs: Any) -> list[dict[str, Any]]:
        """pdfplumber's words (default tolerances); the common call runs :func:`group_words`, 3× faster."""
        if set(kwargs) <= {"return_chars", "keep_blank_chars"} and not kwargs.get("keep_blank_chars"):
            return group_words(self.chars, return_chars=bool(kwargs.get("return_chars")))
        return extract_words(self.chars, **kwargs)

    def find_tables(self, table_settings: dict[str, Any] | None = None) -> list[Table]:
        """pdfplumber's ruled-table finder on pdfium's edges (pure geometry, no pdfminer).

        Each table reads its cells from the characters inside its box only
        (``Table.extract`` tests every character of its page for every row).
        """
        if not self.edges:
            return []
        tables = TableFinder(self, TableSettings.resolve(table_settings)).tables  # type: ignore[arg-type]
        for table in tables:
            x0, top, x1, bottom = table.bbox
            inside = [
                c
                for c in self.chars
                if x0 <= (c["x0"] + c["x1"]) / 2 <= x1 and top <= (c["top"] + c["bottom"]) / 2 <= bottom
            ]
            table.page = _CharsOnly(inside)  # type: ignore[assignment]
        return tables


@dataclass
class _CharsOnly:
    """What ``pdfplumber.table.Table.extract`` reads of its page."""

    chars: list[dict[str, Any]]


WORD_X_TOLERANCE = 3.0
WORD_Y_TOLERANCE = 3.0
"""pdfplumber's default tolerances, which the layout code was tuned with."""


def group_words(chars: list[dict[str, Any]], return_chars: bool = False) -> list[dict[str, Any]]:
    """pdfplumber's ``extract_words`` for upright text at default settings, without its generality.

    Lines are clusters of character tops no more than 3 pt apart (chained),
    characters in a line are sorted by ``x0``; a blank ends a word, and so
    does a character starting before the previous one, more than 3 pt after
    its end, or more than 3 pt above or below it.  Ligatures are expanded.
    """
    tops = sorted({c["top"] for c in chars})
    cluster: dict[float, int] = {}
    number, last = -1, None
    for value in tops:
        if last is None or value > last + WORD_Y_TOLERANCE:
            number += 1
        cluster[value] = number
        last = value
    lines: list[list[dict[str, Any]]] = [[] for _ in range(number + 1)]
    for char in chars:
        lines[cluster[char["top"]]].append(char)
    words: list[dict[str, Any]] = []

    def emit(word: list[dict[str, Any]]) -> None:
        first = word[0]
        x0, x1, top, bottom = first["x0"], first["x1"], first["top"], first["bottom"]
        for c in word:
            if c["x0"] < x0:
                x0 = c["x0"]
            if c["x1"] > x1:
                x1 = c["x1"]
            if c["top"] < top:
                top = c["top"]
            if c["bottom"] > bottom:
                bottom = c["bottom"]
        entry: dict[str, Any] = {
            "text": "".join(LIGATURES.get(c["text"], c["text"]) for c in word),
            "x0": x0,
            "x1": x1,
            "top": top,
            "doctop": top + word[0]["doctop"] - word[0]["top"],
            "bottom": bottom,
            "upright": word[0]["upright"],
            "height": bottom - top,
            "width": x1 - x0,
            "direction": "ltr",
        }
        if return_chars:
            entry["chars"] = word
        words.append(entry)

    for line in lines:
        line.sort(key=_x0)
        word: list[dict[str, Any]] = []
        for char in line:
            if char["text"].isspace():
                if word:
                    emit(word)
                word = []
                continue
            if word:
                previous = word[-1]
                if (
                    char["x0"] < previous["x0"]
                    or char["x0"] > previous["x1"] + WORD_X_TOLERANCE
                    or abs(char["top"] - previous["top"]) > WORD_Y_TOLERANCE
                ):
                    emit(word)
                    word = []
            word.append(char)
        if word:
            emit(word)
    return words


def _x0(char: dict[str, Any]) -> float:
    return char["x0"]  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- characters


def _font_name(textpage: Any, index: int) -> str:
    buffer = ctypes.create_string_buffer(128)
    flags = ctypes.c_int()
    length = raw.FPDFText_GetFontInfo(textpage, index, buffer, 128, ctypes.byref(flags))
    if length > 128:
        buffer = ctypes.create_string_buffer(length)
        raw.FPDFText_GetFontInfo(textpage, index, buffer, length, ctypes.byref(flags))
    return buffer.value.decode("utf-8", "replace")


def _plain(function: Any, restype: Any, *argtypes: Any) -> Any:
    """``function`` of the pdfium library called with plain addresses and ints.

    pypdfium2's typed bindings cost half a microsecond more per call (pointer
    casts and ``byref``); at four calls per character that was a fifth of the
    reading time.
    """
    address = ctypes.cast(function, ctypes.c_void_p).value
    return ctypes.CFUNCTYPE(restype, *argtypes)(address)


_ADDRESS, _INT = ctypes.c_void_p, ctypes.c_int
_char_origin = _plain(raw.FPDFText_GetCharOrigin, _INT, _ADDRESS, _INT, _ADDRESS, _ADDRESS)
_loose_box = _plain(raw.FPDFText_GetLooseCharBox, _INT, _ADDRESS, _INT, _ADDRESS)
_text_object = _plain(raw.FPDFText_GetTextObject, _ADDRESS, _ADDRESS, _INT)
_object_font = _plain(raw.FPDFTextObj_GetFont, _ADDRESS, _ADDRESS)


def _page_text(textpage: Any, count: int) -> str:
    """All characters of the text page in index order (one UTF-16 unit per index)."""
    buffer = ctypes.create_string_buffer((count + 1) * 2)
    raw.FPDFText_GetText(textpage, 0, count, ctypes.cast(buffer, ctypes.POINTER(ctypes.c_ushort)))
    return buffer.raw[: count * 2].decode("utf-16-le", "surrogatepass")


def _descent(textpage: Any, index: int, size: float, descents: dict[str, float]) -> float:
    """The font's descent at ``size`` (negative, points), as pdfminer puts a character's bottom.

    ``descents`` holds the font descriptors' values (:mod:`pipeline.ingest.pdf_fonts`);
    pdfium's own answer is used for a font they do not name.
    """
    obj = raw.FPDFText_GetTextObject(textpage, index)
    if not obj:
        return 0.0
    font = raw.FPDFTextObj_GetFont(obj)
    if not font:
        return 0.0
    if descents:
        buffer = ctypes.create_string_buffer(256)
        length = raw.FPDFFont_GetBaseFontName(font, buffer, 256)
        if 0 < length <= 256:
            known = descents.get(buffer.value.decode("latin-1"))
            if known is not None:
                return known * size / 1000.0
    value = ctypes.c_float()
    if not raw.FPDFFont_GetDescent(font, ctypes.c_float(size), ctypes.byref(value)):
        return 0.0
    return float(value.value)


def read_chars(
    textpage: Any, left: float, top: float, descents: dict[str, float] | None = None
) -> list[dict[str, Any]]:
    """The page's drawn characters, pdfplumber-shaped, plus the spaces pdfium swallowed.

    pdfium turns some of a line's real space glyphs into "generated" spaces
    with no width, and generates others where it guesses a gap.  A generated
    space is kept (as a word break) only where a real gap opens at its
    position on its line; elsewhere it is dropped, because in stream order it
    may sit between letters that the position sort brings together.
    """
    count = raw.FPDFText_CountChars(textpage)
    if count <= 0:
        return []
    text = _page_text(textpage, count)
    box = raw.FS_RECTF()
    box_ref = ctypes.addressof(box)
    origin_x, origin_y = ctypes.c_double(), ctypes.c_double()
    ox_ref, oy_ref = ctypes.addressof(origin_x), ctypes.addressof(origin_y)
    page_ref = ctypes.cast(textpage, ctypes.c_void_p).value
    # pdfium generates only blanks and line breaks: ask about those alone
    is_generated = [
        value in " \r\n" and raw.FPDFText_IsGenerated(textpage, index) == 1 for index, value in enumerate(text)
    ]
    is_generated.append(False)
    fonts: dict[int, tuple[str, float, float]] = {}
    faces: dict[tuple[int, float], tuple[str, float, float]] = {}
    """Per font and size: the same, for the many one-letter text objects of fallback glyphs."""
    """Per text object (one font, one size each): font name, size, descent."""
    chars: list[dict[str, Any]] = []
    generated: list[tuple[float, float, float]] = []
    for index in range(count):
        value = text[index]
        if value in "\ufffe\x02":  # pdfium's mark for a hyphen that ends a line: the hyphen as printed
            value = "-"
        if value in "\r\n" or 0xD800 <= ord(value) <= 0xDFFF:
            continue
        if not _char_origin(page_ref, index, ox_ref, oy_ref):
            continue
        baseline = top - origin_y.value
        if is_generated[index]:
            if value == " ":
                generated.append((origin_x.value - left, baseline, raw.FPDFText_GetFontSize(textpage, index)))
            continue
        x0 = origin_x.value - left
        if not _loose_box(page_ref, index, box_ref):
            continue
        key = _text_object(page_ref, index) or 0
        font = fonts.get(key)
        if font is None:
            size = raw.FPDFText_GetFontSize(textpage, index)
            face = (_object_font(key) if key else 0, size)
            font = faces.get(face) if face[0] else None
            if font is None:
                font = (_font_name(textpage, index), size, _descent(textpage, index, size, descents or {}))
                if face[0]:
                    faces[face] = font
            if key:
                fonts[key] = font
        size = font[1]
        x1 = max(box.right - left, x0)
        if is_generated[index + 1]:
            # pdfium puts a generated character at the end of the previous one's advance,
            # where pdfminer ends the character; the loose box can run past it.
            _char_origin(page_ref, index + 1, ox_ref, oy_ref)
            end = origin_x.value - left
            if x0 < end < x1:
                x1 = end
        bottom = baseline - font[2]
        char_top = bottom - size
        chars.append(
            {
                "object_type": "char",
                "text": value,
                "fontname": font[0],
                "size": size,
                "x0": x0,
                "x1": x1,
                "top": char_top,
                "doctop": char_top,
                "bottom": bottom,
                "width": x1 - x0,
                "height": size,
                "upright": True,
                "baseline": baseline,
                "object": key,
                "index": index,
            }
        )
    lines: dict[int, list[dict[str, Any]]] = {}
    for char in chars:
        lines.setdefault(round(char["baseline"]), []).append(char)
    chars.extend(_font_switch_breaks(lines))
    chars = attach_marks(chars)
    return chars + _kept_spaces(lines, generated)


def _font_switch_breaks(lines: dict[int, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Word breaks after a letter drawn by a fallback font, where pdfium dropped the space; lines sorted by ``x0``.

    Vietnamese letters missing from a document's main font are drawn by a
    fallback font in a text object of their own, in the slot the main run
    left for them, so the next letter of the word starts where the glyph's
    advance ends.  pdfium's loose box runs up to 1.5 pt past that advance, so
    a gap of :data:`FALLBACK_GAP` or more after such a glyph is the word's end
    ("ở mức", whose space pdfium dropped, would otherwise read "ởmức").
    """
    breaks: list[dict[str, Any]] = []
    for line in lines.values():
        _share_line_box(line)
        line.sort(key=_x0)
        for char, following in zip(line, line[1:], strict=False):
            if char["object"] == following["object"] or char["fontname"] == following["fontname"]:
                continue
            if following["x0"] - char["x1"] >= FALLBACK_GAP and not following["text"].isspace():
                breaks.append({**char, "text": " ", "x0": char["x1"], "x1": following["x0"], "object": 0})
    return breaks


def _share_line_box(line: list[dict[str, Any]]) -> None:
    """Letters of one baseline and size take the vertical box of the line's main font.

    A fallback font's descent (pdfium reads it from the font program when the
    descriptor gives none) would otherwise make words holding one tone-marked
    letter taller than their neighbours; pdfminer, on which the layout
    thresholds were tuned, gives every letter of such a line one box.
    """
    if len({char["bottom"] for char in line}) == 1:
        return
    bottoms: dict[float, Counter[float]] = {}
    for char in line:
        bottoms.setdefault(char["size"], Counter())[char["bottom"]] += 1
    if all(len(counts) == 1 for counts in bottoms.values()):
        return
    common = {size: counts.most_common(1)[0][0] for size, counts in bottoms.items()}
    for char in line:
        bottom = common[char["size"]]
        if char["bottom"] != bottom:
            char["bottom"] = bottom
            char["top"] = char["doctop"] = bottom - char["size"]


def _kept_spaces(
    lines: dict[int, list[dict[str, Any]]], generated: list[tuple[float, float, float]]
) -> list[dict[str, Any]]:
    """Generated spaces opening a real gap (at least 1 pt before the next character, inside no letter) on their line.

    ``lines`` holds each baseline's characters sorted by ``x0``.
    """
    kept: list[dict[str, Any]] = []
    starts = {key: [c["x0"] for c in line] for key, line in lines.items()}
    for x, baseline, size in generated:
        key = round(baseline)
        line, line_starts = lines.get(key), starts.get(key)
        if not line or not line_starts:
            continue
        position = bisect_left(line_starts, x - 0.5)
        if position == len(line) or line_starts[0] >= x:
            continue
        nearest = line[position]
        if nearest["x0"] < x + 1.0 or _inside_letter(line, position, x):
            continue
        kept.append(
            {
                **nearest,
                "text": " ",
                "x0": x,
                "x1": nearest["x0"],
                "width": nearest["x0"] - x,
                "size": size or nearest["size"],
            }
        )
    return kept


def _inside_letter(line: list[dict[str, Any]], position: int, x: float) -> bool:
    """Whether ``x`` falls in the first half of a letter starting before it (letters are < 40 pt wide)."""
    for char in reversed(line[:position]):
        if char["x0"] < x - 40:
            return False
        if char["text"] and char["x0"] < x - 0.5 and x < (char["x0"] + char["x1"]) / 2:
            return True
    return False


def _is_mark(text: str) -> bool:
    """One combining character.  A base that took a mark it cannot compose with holds two characters, and
    ``unicodedata.combining`` raises on those (a damaged font's marks, found by fuzzing)."""
    return len(text) == 1 and unicodedata.combining(text) != 0


def attach_marks(chars: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fold each combining mark into the base letter it sits over (NFC), wherever the stream drew it."""
    if not any(_is_mark(c["text"]) for c in chars):
        return chars
    bases = [c for c in chars if not _is_mark(c["text"])]
    for mark in chars:
        if not _is_mark(mark["text"]):
            continue
        centre = (mark["x0"] + mark["x1"]) / 2
        middle = (mark["top"] + mark["bottom"]) / 2
        under = [
            c
            for c in bases
            if c["top"] - 2 <= middle <= c["bottom"] + 2 and not c["text"].isspace() and c["x1"] > c["x0"]
        ]
        if not under:
            continue
        base = min(under, key=lambda c: abs((c["x0"] + c["x1"]) / 2 - centre))
        if not base["x0"] - 1 <= centre <= base["x1"] + 1:
            continue
        base["text"] = unicodedata.normalize("NFC", base["text"] + mark["text"])
        if mark["x1"] > base["x1"]:  # one glyph mapped to letter + mark: pdfium halves its box
            base["x1"] = mark["x1"]
            base["width"] = base["x1"] - base["x0"]
        mark["text"] = ""
    return [c for c in chars if c["text"]]


# --------------------------------------------------------------------------- paths and images


Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _matrix(obj: Any) -> Matrix:
    m = raw.FS_MATRIX()
    if not raw.FPDFPageObj_GetMatrix(obj, ctypes.byref(m)):
        return IDENTITY
    return (m.a, m.b, m.c, m.d, m.e, m.f)


def _compose(inner: Matrix, outer: Matrix) -> Matrix:
    """The matrix applying ``inner`` then ``outer`` (PDF row-vector convention)."""
    a, b, c, d, e, f = inner
    A, B, C, D, E, F = outer
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _path_edges(obj: Any, matrix: Matrix, left: float, top: float) -> list[dict[str, Any]]:
    """Straight segments of a painted path that run horizontally or vertically, as pdfplumber edges."""
    a, b, c, d, e, f = matrix
    x, y = ctypes.c_float(), ctypes.c_float()
    edges: list[dict[str, Any]] = []
    start: tuple[float, float] | None = None
    current: tuple[float, float] | None = None

    def add(p0: tuple[float, float], p1: tuple[float, float], kind: str) -> None:
        x0, x1 = sorted((p0[0], p1[0]))
        t0, t1 = sorted((p0[1], p1[1]))
        if x1 - x0 < AXIS_TOLERANCE:
            orientation, x1 = "v", x0
        elif t1 - t0 < AXIS_TOLERANCE:
            orientation, t1 = "h", t0
        else:
            return
        edges.append(
            {
                "object_type": kind,
                "x0": x0,
                "x1": x1,
                "top": t0,
                "doctop": t0,
                "bottom": t1,
                "width": x1 - x0,
                "height": t1 - t0,
                "orientation": orientation,
            }
        )

    segments = raw.FPDFPath_CountSegments(obj)
    kind = "rect_edge" if segments in (4, 5) else "line" if segments == 2 else "curve_edge"
    for index in range(segments):
        segment = raw.FPDFPath_GetPathSegment(obj, index)
        raw.FPDFPathSegment_GetPoint(segment, ctypes.byref(x), ctypes.byref(y))
        px, py = x.value, y.value
        point = (a * px + c * py + e - left, top - (b * px + d * py + f))
        seg_type = raw.FPDFPathSegment_GetType(segment)
        if seg_type == raw.FPDF_SEGMENT_MOVETO:
            start = current = point
        elif seg_type == raw.FPDF_SEGMENT_LINETO and current is not None:
            add(current, point, kind)
            current = point
        else:  # a Bézier piece is no ruling line
            current = point
        if raw.FPDFPathSegment_GetClose(segment) and start is not None and current is not None:
            if current != start:
                add(current, start, kind)
            current = start
    return edges


def read_objects(page: Any, left: float, top: float) -> tuple[list[dict[str, Any]], int]:
    """Ruling-line edges of every painted path (form XObjects included) and the number of images."""
    edges: list[dict[str, Any]] = []
    images = 0
    stack: list[tuple[Any, bool, Matrix]] = [(page, False, IDENTITY)]
    while stack:
        holder, is_form, outer = stack.pop()
        count = raw.FPDFFormObj_CountObjects(holder) if is_form else raw.FPDFPage_CountObjects(holder)
        for index in range(count):
            obj = raw.FPDFFormObj_GetObject(holder, index) if is_form else raw.FPDFPage_GetObject(holder, index)
            kind = raw.FPDFPageObj_GetType(obj)
            if kind == raw.FPDF_PAGEOBJ_PATH:
                matrix = _compose(_matrix(obj), outer) if is_form else _matrix(obj)
                edges.extend(_path_edges(obj, matrix, left, top))
            elif kind == raw.FPDF_PAGEOBJ_IMAGE:
                images += 1
            elif kind == raw.FPDF_PAGEOBJ_FORM:
                stack.append((obj, True, _compose(_matrix(obj), outer) if is_form else _matrix(obj)))
    return edges, images


# --------------------------------------------------------------------------- pages


def read_page(document: pdfium.PdfDocument, index: int, descents: dict[str, float] | None = None) -> CharPage | None:
    """Page ``index`` (0-based) as a :class:`CharPage`; None for a rotated page or one pdfium cannot load (the old
    reader handles it, or says why it cannot: a damaged page object was a bare ``PdfiumError``, found by fuzzing)."""
    try:
        page = document[index]
    except pdfium.PdfiumError:
        return None
    try:
        if page.get_rotation() % 360:
            return None
        mb_left, mb_bottom, mb_right, mb_top = page.get_mediabox()
        textpage = page.get_textpage()
        try:
            chars = read_chars(textpage.raw, mb_left, mb_top, descents)
        finally:
            textpage.close()
        edges, images = read_objects(page.raw, mb_left, mb_top)
    finally:
        page.close()
    return CharPage(
        page_number=index + 1,
        width=mb_right - mb_left,
        height=mb_top - mb_bottom,
        chars=chars,
        edges=edges,
        images=[0] * images,
    )
