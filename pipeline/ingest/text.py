"""Plain-text plans (UTF-8/16, Windows-1258, TCVN3, VNI; markdown or HTML residue) → ParsedDocument.

Text plans are rarely typed as text: they are PDF, web or DOCX exports, and
carry their source's artefacts.  Lines wrapped mid-sentence (also across the
blank line of a page break), markdown ``**bold**``/``#`` headings and ``|``
tables, tab-separated table rows, HTML tags and entities.  This reader turns
those into structure — blocks with kind, marker, level, bold; table rows with
cells — and never into noise in ``content``.

Reading happens in two passes: the source is cut into *items* (a text line,
a table row, a blank, a hard break), then :class:`_Assembler` joins lines into
blocks with the layout rules of :mod:`pipeline.ingest.layout`.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from kehoach.models.document import Block, ParsedDocument
from kehoach.models.text_forms import clean_inline
from kehoach.pipeline.errors import EmptyDocumentError, UnsupportedFormatError
from kehoach.pipeline.ingest.builder import ContentBuilder
from kehoach.pipeline.ingest.encoding import BinaryDataError, detect_and_decode
from kehoach.pipeline.ingest.flat_tables import find_flat_tables
from kehoach.pipeline.ingest.layout import (
    LineClass,
    classify_line,
    continues_heading,
    ends_sentence,
    is_upper_line,
    split_marker,
    starts_lowercase,
    strip_markdown_nesting,
)

LOW_VIETNAMESE = 0.5
"""Below this share of valid syllables the document is flagged: wrong encoding, or not Vietnamese."""


# --------------------------------------------------------------------------- items


@dataclass
class _Line:
    text: str
    bold: bool = False
    heading: int | None = None
    """Markdown ``#`` depth or HTML ``<hN>``."""
    page: int | None = None


@dataclass
class _Row:
    cells: list[str]
    header: bool = False
    page: int | None = None


@dataclass
class _Gap:
    hard: bool = False
    """A hard gap (decoration line, lone ``|``, HTML block end) ends blocks and tables always."""


@dataclass
class _HeaderSeparator:
    """A markdown ``|---|---|`` line: the row above is a header."""


_Item = _Line | _Row | _Gap | _HeaderSeparator

_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_KNOWN_TAG = re.compile(
    r"</?(?:p|div|span|b|strong|i|em|u|font|sup|sub|td|th|tr|table|tbody|thead|li|ul|ol|h[1-6]|a|center)\b[^<>]*>",
    re.IGNORECASE,
)
_HTML_DOCUMENT = re.compile(r"<(?:!doctype\s+html|html|body|p|div|table|tr|td|br|h[1-6]|li)\b[^<>]*>", re.IGNORECASE)
_DECORATION = re.compile(r"^[\s\-_=*~.·•|+]*$")
_PIPE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
_BOLD_MARK = "**"
_LETTER_START = re.compile(r"^\W*[^\W\d_]")  # opens with a letter (after quotes or brackets)
# a lone * touching a word on one side only: markdown emphasis ("*(Ban hành …)*"), not "Số * -KH"
_EMPHASIS_STAR = re.compile(r"""(?:(?<=[\s(\[“"'])|^)\*(?=[^\s*])|(?<=[^\s*])\*(?=[\s)\].,;:!?”"']|$)""")


def _strip_bold(text: str) -> tuple[str, bool]:
    """Remove ``**`` markers; bold when every non-blank character was inside them."""
    if text.count(_BOLD_MARK) < 2:
        return text, False
    parts = text.split(_BOLD_MARK)
    if len(parts) % 2 == 0:  # an unpaired marker: keep the last one as text
        parts[-2:] = [parts[-2] + _BOLD_MARK + parts[-1]]
    outside = "".join(parts[0::2])
    inside = "".join(parts[1::2])
    return "".join(parts), bool(inside.strip()) and not re.search(r"[^\W_]", outside)


def _strip_emphasis(text: str) -> str:
    return _EMPHASIS_STAR.sub("", text)


def _clean_residue(text: str) -> str:
    if "&" in text:
        text = _ENTITY.sub(lambda m: html.unescape(m.group()), text)
    if "<" in text:
        text = _KNOWN_TAG.sub("", text)
    return text


def _pipe_cells(line: str, *, in_table: bool = False) -> list[str] | None:
    """The cells of a pipe-table row, or None.

    Edge pipes are a border only when the row has both ("| a | b |"); a row
    that opens with a pipe but does not close with one (" | b | c", what
    exporters print for a cell merged with the one above) starts with an
    empty cell, which must be kept or every later cell lands one column left.
    Inside a table already open, one " | " is enough ("I | GIAI ĐOẠN 1").
    """
    stripped = line.strip()
    bordered = stripped.startswith("|") and stripped.endswith("|") and len(stripped) > 1
    pipes_needed = 1 if in_table else 2
    if stripped.count("|") < pipes_needed or not (stripped.startswith("|") or stripped.count(" | ") >= pipes_needed):
        return None
    if bordered:
        stripped = stripped[1:-1]
    elif stripped.endswith("|"):
        stripped = stripped[:-1]
    return [_strip_emphasis(_strip_bold(_clean_residue(_BR.sub(" ", cell)))[0]) for cell in stripped.split("|")]


def _tab_cells(line: str) -> list[str] | None:
    if "\t" not in line.strip("\n"):
        return None
    cells = line.split("\t")
    filled = sum(1 for cell in cells if cell.strip())
    if filled >= 2 or (filled >= 1 and line.count("\t") >= 2):
        while cells and not cells[-1].strip():  # trailing tabs are layout, not columns
            cells.pop()
        return [_strip_bold(_clean_residue(cell))[0] for cell in cells]
    return None


def _text_items(text: str) -> list[_Item]:
    items: list[_Item] = []
    pages = text.split("\f")
    for page_index, page_text in enumerate(pages):
        page = page_index + 1 if len(pages) > 1 else None
        if page_index:
            items.append(_Gap())
        for raw in page_text.split("\n"):
            # <br> inside a pipe-table row is a line break inside a cell, elsewhere a line break
            pieces = _BR.split(raw) if "<" in raw and _pipe_cells(raw) is None else (raw,)
            for line in pieces:
                in_table = bool(items) and isinstance(items[-1], _Row | _HeaderSeparator)
                items.append(_text_item(line.rstrip(" \r\n"), page, in_table=in_table))
    return _with_flat_tables(items)


def _with_flat_tables(items: list[_Item]) -> list[_Item]:
    """Items with tables written one cell per line turned into rows (see :mod:`pipeline.ingest.flat_tables`)."""
    lines = [item.text if isinstance(item, _Line) else None if isinstance(item, _Gap) else "\x00" for item in items]
    tables = find_flat_tables(lines)
    if not tables:
        return items
    rebuilt: list[_Item] = []
    position = 0
    for table in tables:
        rebuilt.extend(items[position : table.start])
        first = items[table.start]
        page = first.page if isinstance(first, _Line) else None
        rebuilt.extend(_Row(cells, header=index == 0, page=page) for index, cells in enumerate(table.rows))
        rebuilt.append(_Gap())
        position = table.end
    rebuilt.extend(items[position:])
    return rebuilt


def _text_item(line: str, page: int | None, *, in_table: bool = False) -> _Item:
    if not line.strip():
        return _Gap()
    if _PIPE_SEPARATOR.match(line) and "|" in line:
        return _HeaderSeparator()
    cells = _pipe_cells(line, in_table=in_table)
    if cells is None:
        cells = _tab_cells(line)
    if cells is not None:
        return _Row(cells, page=page)
    line = _clean_residue(line)
    if _DECORATION.match(line):
        return _Gap(hard=True)
    heading = _MD_HEADING.match(line)
    level = None
    if heading:
        level, line = len(heading.group(1)), heading.group(2)
    line, bold = _strip_bold(line)
    line = strip_markdown_nesting(line.strip())
    if not line.strip():
        return _Gap()
    return _Line(line, bold=bold, heading=level, page=page)


# --------------------------------------------------------------------------- HTML


class _HtmlItems(HTMLParser):
    """HTML → the same items as text: block tags end blocks, ``<br>`` wraps a line, ``<tr>`` is a row."""

    _BLOCK_TAGS = {"p", "div", "li", "ul", "ol", "table", "blockquote", "section", "article", "center", "body"}
    _SKIP_TAGS = {"script", "style", "head", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[_Item] = []
        self._text: list[str] = []
        self._bold_chars = 0
        self._chars = 0
        self._bold_depth = 0
        self._heading: int | None = None
        self._skip = 0
        self._row: list[str] | None = None
        self._row_header = False
        self._cell: list[str] | None = None

    def _flush_line(self) -> None:
        text = re.sub(r"\s+", " ", "".join(self._text)).strip()
        if text:
            bold = self._bold_chars >= self._chars * 0.9 and self._bold_chars > 0
            self.items.append(_Line(text, bold=bold, heading=self._heading))
        self._text, self._bold_chars, self._chars = [], 0, 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP_TAGS:
            self._skip += 1
        elif tag in ("b", "strong"):
            self._bold_depth += 1
        elif tag == "br":
            if self._cell is not None:
                self._cell.append(" ")
            else:
                self._flush_line()
        elif tag == "tr":
            self._flush_line()
            self._row, self._row_header = [], True
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
            self._row_header &= tag == "th"
        elif tag in self._BLOCK_TAGS or re.fullmatch(r"h[1-6]", tag):
            self._flush_line()
            self.items.append(_Gap(hard=True))
            if tag[0] == "h" and tag[1:].isdigit():
                self._heading = int(tag[1])

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag in ("b", "strong"):
            self._bold_depth = max(0, self._bold_depth - 1)
        elif tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append(re.sub(r"\s+", " ", "".join(self._cell)).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if any(self._row):
                self.items.append(_Row(self._row, header=self._row_header))
            self._row = None
        elif tag == "table":
            self.items.append(_Gap(hard=True))
        elif tag in self._BLOCK_TAGS or re.fullmatch(r"h[1-6]", tag):
            self._flush_line()
            self._heading = None
            self.items.append(_Gap(hard=True))

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._cell is not None:
            self._cell.append(data)
            return
        if self._row is not None:
            return  # white space between cells
        self._text.append(data)
        letters = len(data.strip())
        self._chars += letters
        if self._bold_depth:
            self._bold_chars += letters

    def close(self) -> None:
        super().close()
        self._flush_line()


def _html_items(text: str) -> list[_Item]:
    parser = _HtmlItems()
    parser.feed(text)
    parser.close()
    return parser.items


def looks_like_html(text: str) -> bool:
    """An HTML page (not text with a stray tag): a doctype/html tag, or three or more block tags."""
    head = text[:4096].lstrip().lower()
    if head.startswith(("<!doctype html", "<html")):
        return True
    return len(_HTML_DOCUMENT.findall(text[:200_000])) >= 3 and text.count("<") > text.count("\n") / 20


# --------------------------------------------------------------------------- assembling


def _is_double_spaced(items: list[_Item]) -> bool:
    """True for exports that put a blank line after every wrapped line (PDF → text converters).

    Measured on the ``line, blank, line`` triples: when a quarter of them are a
    sentence going on (no end punctuation, next line lower-case), the blank
    lines are line breaks, not paragraph breaks.
    """
    total = going_on = 0
    for first, gap, second in zip(items, items[1:], items[2:], strict=False):
        if isinstance(first, _Line) and isinstance(gap, _Gap) and not gap.hard and isinstance(second, _Line):
            total += 1
            if not ends_sentence(first.text) and starts_lowercase(second.text) and split_marker(second.text)[0] is None:
                going_on += 1
    return total >= 8 and going_on / total >= 0.25


def _wrap_width(items: list[_Item]) -> int | None:
    """The line width a hard-wrapped export wrapped at (80th percentile of line lengths), if it did."""
    lengths = sorted(len(item.text) for item in items if isinstance(item, _Line))
    if len(lengths) < 20:
        return None
    width = lengths[int(len(lengths) * 0.8)]
    return width if width <= 160 else None


@dataclass
class _Table:
    index: int
    rows: list[Block] = field(default_factory=list)
    keys: list[tuple[str, ...]] = field(default_factory=list)


class _Assembler:
    def __init__(self, builder: ContentBuilder, double_spaced: bool, wrap_width: int | None) -> None:
        self.builder = builder
        self.double_spaced = double_spaced
        self.wrap_width = wrap_width
        self.lines: list[_Line] = []
        self.kind: LineClass | None = None
        self.blanks = 0
        self.hard_gap = False
        self.tables: list[_Table] = []
        self.table: _Table | None = None
        """The table rows are being added to, until text or a gap ends it."""
        self.text_since_table = False
        self.header_reference: _Table | None = None
        """The earlier table whose leading (header) rows the rows being added repeat."""
        self.header_run = 0
        """How many of those leading rows have been repeated so far."""

    # ---- text blocks
    def _joins(self, line: _Line) -> bool:
        if not self.lines or self.kind is None or self.hard_gap:
            return False
        previous = self.lines[-1]
        if line.heading or previous.heading or line.bold != previous.bold:
            return False
        gap = self.blanks
        if self.double_spaced and gap == 1:
            gap = 0
        marker, rest = split_marker(line.text)
        if gap >= 2:
            return False
        if gap == 1:  # a page break inside a sentence: "phù hợp với\n\ntình hình thực tế"
            return (
                self.kind.kind != "heading"
                and marker is None
                and not ends_sentence(previous.text)
                and starts_lowercase(line.text)
            )
        if marker is not None:
            # "kinh tế\n- xã hội": a hyphen that the wrap put first, not a bullet
            wrapped_hyphen = marker.text in ("-", "–") and starts_lowercase(rest)
            if not (wrapped_hyphen and not ends_sentence(previous.text) and not previous.text.endswith(",")):
                return False
        if self.kind.kind == "heading":
            return is_upper_line(line.text) and continues_heading(previous.text, line.text)
        if is_upper_line(line.text):
            return False
        if starts_lowercase(line.text):
            return True
        if not _LETTER_START.match(line.text):  # opens with a number: "148/NQ-CP ngày …"
            return not ends_sentence(previous.text)
        # a capital after an open line: a wrapped sentence ("… của\nChính phủ") when the
        # line above was full or hangs on a joining word; else a short title line ended
        # ("1. Mục đích\nQuán triệt …")
        return not ends_sentence(previous.text) and (
            self._is_full(previous.text) or continues_heading(previous.text.upper(), line.text.upper())
        )

    def _is_full(self, text: str) -> bool:
        return self.wrap_width is not None and len(text.strip()) >= 0.6 * self.wrap_width

    def add_line(self, line: _Line) -> None:
        if self._joins(line):
            self.lines.append(line)
        else:
            self.flush()
            self.lines = [line]
            self.kind = classify_line(line.text, bold=line.bold)
            if line.heading:
                self.kind = LineClass("heading", self.kind.marker, line.heading)
        self.blanks = 0
        self.hard_gap = False
        self.table = None
        self.text_since_table = True

    def flush(self) -> None:
        if not self.lines or self.kind is None:
            return
        text = _strip_emphasis(" ".join(line.text.strip() for line in self.lines))
        self.builder.add(
            text,
            self.kind.kind,
            page=self.lines[0].page,
            marker=self.kind.marker,
            level=self.kind.level,
            bold=all(line.bold for line in self.lines),
        )
        self.lines, self.kind = [], None

    def gap(self, item: _Gap) -> None:
        self.blanks += 1
        self.hard_gap |= item.hard
        self.table = None

    # ---- tables
    def add_row(self, row: _Row) -> None:
        self.flush()
        self.lines, self.kind = [], None
        key = tuple(clean_inline(cell) for cell in row.cells)
        header = row.header
        if self.table is None:
            previous = self.tables[-1] if self.tables else None
            self.header_reference = None
            if previous and previous.keys and previous.keys[0] == key:
                # a header seen before: the table goes on after a page break
                self._mark_header(previous, 0)
                header = True
                self.header_reference, self.header_run = previous, 1
                self.table = previous if not self.text_since_table else self._new_table()
            else:
                self.table = self._new_table()
        elif self.header_reference is not None:
            reference, index = self.header_reference, self.header_run
            if index < len(reference.keys) and reference.keys[index] == key:
                self._mark_header(reference, index)
                header = True
                self.header_run += 1
            else:
                self.header_reference = None
        block = self.builder.add_row(row.cells, table=self.table.index, page=row.page, header=header)
        if block is not None:
            self.table.rows.append(block)
            self.table.keys.append(key)
        self.blanks = 0
        self.hard_gap = False
        self.text_since_table = False

    def _new_table(self) -> _Table:
        table = _Table(index=len(self.tables))
        self.tables.append(table)
        return table

    @staticmethod
    def _mark_header(table: _Table, index: int) -> None:
        if index < len(table.rows):
            table.rows[index].header = True

    def header_separator(self) -> None:
        if self.table is not None and self.table.rows:
            self.table.rows[-1].header = True


def _assemble(items: list[_Item], builder: ContentBuilder) -> None:
    assembler = _Assembler(builder, _is_double_spaced(items), _wrap_width(items))
    for item in items:
        if isinstance(item, _Line):
            assembler.add_line(item)
        elif isinstance(item, _Row):
            assembler.add_row(item)
        elif isinstance(item, _Gap):
            assembler.gap(item)
        else:
            assembler.header_separator()
    assembler.flush()


# --------------------------------------------------------------------------- entry point


def read_text(path: Path, data: bytes) -> ParsedDocument:
    """Read a text file of any supported encoding and markup residue into a ParsedDocument."""
    from kehoach.pipeline.ingest import source_info

    try:
        decoded = detect_and_decode(data)
    except BinaryDataError as exc:
        raise UnsupportedFormatError(path, str(exc)) from exc
    text = decoded.text.replace("\r\n", "\n").replace("\r", "\n")
    if not clean_inline(text):
        raise EmptyDocumentError(path, f"no text after decoding as {decoded.encoding}")
    items = _html_items(text) if looks_like_html(text) else _text_items(text)
    builder = ContentBuilder()
    _assemble(items, builder)
    if not builder.blocks:
        raise EmptyDocumentError(path, "no text: only markup, separators or blank lines")
    warnings: list[str] = list(decoded.warnings)
    if decoded.vietnamese_ratio < LOW_VIETNAMESE:
        warnings.append(
            f"only {decoded.vietnamese_ratio:.0%} of the words read as Vietnamese syllables "
            f"(decoded as {decoded.encoding}): wrong encoding or not a Vietnamese document"
        )
    return builder.build(source_info(path, data, "text", encoding=decoded.encoding, warnings=warnings))
