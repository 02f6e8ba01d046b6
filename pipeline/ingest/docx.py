"""Read a Word ``.docx`` plan into a :class:`ParsedDocument` that reads like the printed page.

python-docx gives the package, styles and body XML; what it does not give,
and a plan's structure depends on, is done here:

* **Document order.** The body's ``w:p`` / ``w:tbl`` children (and those
  wrapped in content controls, ``w:sdt``) are walked in order, so a table
  sits between the paragraphs that surround it on paper.
* **List markers.** Word's auto-numbered paragraphs have no "1." or "a)" in
  their text; :mod:`pipeline.ingest.docx_numbering` replays the counters and
  the marker is written at the start of the block text and in ``Block.marker``.
* **Tables.** A bordered table becomes ``table_row`` blocks; a merged cell is
  read once (``gridSpan`` gives ``col_span``, a ``vMerge`` continuation is an
  empty cell); header rows are those marked "repeat as header row"
  (``w:tblHeader``), else the first row, and a body row that repeats a header
  row (a header copied at a page break) is dropped.  A *borderless* table of
  at most three text columns is page layout, not data: the issuer | national
  motto and number | place-date header of an administrative document, or the
  recipients | signer block.  It is emitted as paragraphs, left column first,
  one block per line, so "Số: …" and "…, ngày … tháng … năm …" stand alone.
* **Only the body.** Page headers and footers live in section parts and are
  never read.  Footnotes and endnotes (often the legal references a plan
  cites) are appended after the body, one paragraph block per note paragraph;
  the inline reference mark is dropped so "khoáng sản¹" does not become the
  word "sản1".
* **Legacy fonts.** Runs set in TCVN3 (``.VnTime``…) or VNI (``VNI-Times``…)
  fonts hold 8-bit text in disguise; they are converted per run through
  :mod:`pipeline.ingest.legacy`.
* **Line breaks.** A soft break (``w:br``) inside a body paragraph is a space
  (it only wraps the line), except in centred paragraphs and layout tables,
  where it separates lines of a title or header block and starts a new block.

DOCX has no reliable pages (they exist only when Word lays the text out), so
``pages`` and ``Block.page`` stay ``None``.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import docx
from docx.document import Document as DocxDocument
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml import parse_xml
from docx.oxml.ns import qn
from kehoach.models.document import BlockKind, ParsedDocument
from kehoach.pipeline.errors import DamagedFileError, EmptyDocumentError, UnsupportedFormatError
from kehoach.pipeline.ingest import source_info
from kehoach.pipeline.ingest.builder import ContentBuilder
from kehoach.pipeline.ingest.docx_numbering import Marker, Numbering, bullet_glyph
from kehoach.pipeline.ingest.legacy import Scheme, convert_legacy, is_uppercase_font, scheme_for_font
from kehoach.pipeline.limits import check_archive
from lxml.etree import XMLSyntaxError, _Element

_W_P, _W_TBL, _W_R, _W_TR, _W_TC = qn("w:p"), qn("w:tbl"), qn("w:r"), qn("w:tr"), qn("w:tc")
_W_SDT, _W_SDT_CONTENT = qn("w:sdt"), qn("w:sdtContent")
_CONTAINERS = {qn(t) for t in ("w:hyperlink", "w:ins", "w:smartTag", "w:customXml", "w:fldSimple", "w:moveTo")}
_CONTAINERS |= {qn("w:bdo"), qn("w:dir"), _W_SDT, _W_SDT_CONTENT}
"""Inline wrappers whose runs are printed text (deleted or moved-away text, ``w:del``/``w:moveFrom``, is not)."""
_OFF_VALUES = {"false", "0", "off", "none"}
_NO_BORDER = {"nil", "none"}
_LINE_BREAK = "\n"
_HEADING_STYLE = re.compile(r"^(?:heading|tiêu đề)\s*(\d)$", re.IGNORECASE)
_BULLET_START = re.compile(r"^\s*[-–—+•*◦▪]\s")
_MAX_HEADING_CHARS = 250
"""A "heading"-styled paragraph longer than this is body text in a misused style (common in provincial drafts)."""
_MAIN_PART = re.compile(r"word/document\d*\.xml")
_MAX_LAYOUT_COLUMNS = 3
_MAX_LAYOUT_ROWS = 4
_VARIANT_MAIN_TYPE = re.compile(rb"application/vnd\.[\w.-]*(?:macroEnabled|template)[\w.-]*\.main\+xml", re.I)
"""Main-part content type of .docm, .dotx and .dotm files: same body XML as .docx, refused by python-docx."""
_STRICT_NAMESPACE = b"http://purl.oclc.org/ooxml/wordprocessingml/main"
_DOCX_CONTENT_TYPE = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


def read_docx(path: Path, data: bytes) -> ParsedDocument:
    """Read one ``.docx`` (also ``.docm``/``.dotx``); raise an :class:`IngestError` subclass if it cannot be read."""
    document = open_docx(path, data)
    reader = _BodyReader(document)
    reader.read()
    if not reader.builder.blocks:
        raise EmptyDocumentError(path, "the Word document contains no text")
    info = source_info(path, data, "docx", encoding=reader.legacy_encoding(), warnings=reader.warnings)
    return reader.builder.build(info)


# --------------------------------------------------------------------------- opening


def open_docx(path: Path, data: bytes) -> DocxDocument:
    """Open the package, turning every way a file can be broken into one clear reason."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        content_types = archive.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError) as exc:  # found by fuzzing
        raise DamagedFileError(
            path, "damaged Word document: not a readable ZIP archive (truncated or corrupted)"
        ) from exc
    check_archive(path, archive.infolist())
    if not any(_MAIN_PART.fullmatch(name) for name in names):
        raise DamagedFileError(path, "damaged Word document: the archive has no word/document.xml")
    if not content_types:
        raise DamagedFileError(path, "damaged Word document: the archive has no [Content_Types].xml")
    if _is_strict(archive):
        raise UnsupportedFormatError(
            path, "Strict Open XML Word document: save it again as a standard Word Document (.docx)"
        )
    try:
        if _VARIANT_MAIN_TYPE.search(content_types):
            data = _as_plain_docx(archive)  # .docm / .dotx / .dotm hold the same body XML as a .docx
        document = docx.Document(io.BytesIO(data))
    except KeyError as exc:
        raise DamagedFileError(path, f"damaged Word document: missing part {exc}") from exc
    except XMLSyntaxError as exc:
        raise DamagedFileError(path, f"damaged Word document: malformed XML ({exc})") from exc
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:  # an unknown compression method
        raise DamagedFileError(path, f"damaged Word document: corrupted ZIP data ({exc})") from exc
    except (ValueError, PackageNotFoundError) as exc:
        found = re.search(r"content type is '([^']+)'", str(exc))
        kind = f" (its main part is {found.group(1)})" if found else ""
        raise UnsupportedFormatError(path, f"an Office package that is not a Word text document{kind}") from exc
    if document.element.body is None:
        raise DamagedFileError(path, "damaged Word document: word/document.xml has no body")
    return document


def _is_strict(archive: zipfile.ZipFile) -> bool:
    """ISO 29500 *Strict* files use other namespaces, which python-docx does not know."""
    try:
        with archive.open("word/document.xml") as main:
            return _STRICT_NAMESPACE in main.read(4096)
    except (KeyError, zipfile.BadZipFile, zlib.error, EOFError):
        return False


def _as_plain_docx(archive: zipfile.ZipFile) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in archive.namelist():
            payload = archive.read(name)
            if name == "[Content_Types].xml":
                payload = _VARIANT_MAIN_TYPE.sub(_DOCX_CONTENT_TYPE, payload)
            target.writestr(name, payload)
    return out.getvalue()


# --------------------------------------------------------------------------- styles


def _on(element: _Element | None) -> bool | None:
    """Value of an on/off property element (``<w:b/>`` is on, ``<w:b w:val="0"/>`` off, absent unknown)."""
    if element is None:
        return None
    return element.get(qn("w:val"), "true").lower() not in _OFF_VALUES


def _val(element: _Element | None) -> str | None:
    return None if element is None else element.get(qn("w:val"))


class _Styles:
    """Style inheritance (``basedOn``) resolved on demand: python-docx exposes only direct values."""

    def __init__(self, document: DocxDocument) -> None:
        root = document.styles.element
        self._by_id: dict[str, _Element] = {}
        self.default_paragraph: str | None = None
        for style in root.findall(qn("w:style")):
            style_id = style.get(qn("w:styleId"))
            if style_id is None:
                continue
            self._by_id[style_id] = style
            if style.get(qn("w:type")) == "paragraph" and style.get(qn("w:default")) in ("1", "true", "on"):
                self.default_paragraph = style_id
        defaults = root.find(qn("w:docDefaults"))
        self.default_rpr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}") if defaults is not None else None

    def chain(self, style_id: str | None) -> Iterator[_Element]:
        seen: set[str] = set()
        while style_id and style_id not in seen and style_id in self._by_id:
            seen.add(style_id)
            style = self._by_id[style_id]
            yield style
            style_id = _val(style.find(qn("w:basedOn")))

    def name(self, style_id: str | None) -> str:
        style = self._by_id.get(style_id or "")
        return (_val(style.find(qn("w:name"))) or "") if style is not None else ""

    def find(self, style_id: str | None, path: str) -> _Element | None:
        """First element at ``path`` (e.g. ``w:pPr/w:jc``) along the style chain."""
        xpath = "/".join(qn(part) for part in path.split("/"))
        for style in self.chain(style_id):
            found = style.find(xpath)
            if found is not None:
                return found
        return None

    def num_ids(self) -> dict[str, str]:
        """numId of every (numbering) style that carries one: the target of ``w:numStyleLink``."""
        out = {}
        for style_id, style in self._by_id.items():
            num_id = _val(style.find(f"{qn('w:pPr')}/{qn('w:numPr')}/{qn('w:numId')}"))
            if num_id:
                out[style_id] = num_id
        return out


# --------------------------------------------------------------------------- legacy fonts

_UNICODE_VIETNAMESE = re.compile("[ĂăĐđĨĩŨũƠơƯư\u1ea0-\u1ef9]")
"""Letters only Unicode Vietnamese has: a run holding them was retyped in Unicode and kept its old font name."""


@dataclass(frozen=True)
class _Legacy:
    scheme: Scheme
    uppercase: bool


def _legacy_of(font: str | None) -> _Legacy | None:
    scheme = scheme_for_font(font)
    return _Legacy(scheme, is_uppercase_font(font)) if scheme else None


# --------------------------------------------------------------------------- paragraphs


@dataclass
class _Paragraph:
    lines: list[str]
    bold: bool
    centered: bool
    heading_level: int | None
    marker: Marker | None
    floating: list[_Element] = field(default_factory=list)
    """Paragraphs of text boxes anchored in this paragraph (read after it)."""

    @property
    def text(self) -> str:
        return " ".join(self.lines)


@dataclass
class _RunFormat:
    bold: bool
    hidden: bool
    font: str | None


class _BodyReader:
    def __init__(self, document: DocxDocument) -> None:
        self.document = document
        self.styles = _Styles(document)
        try:
            numbering_root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            numbering_root = None  # no numbering.xml: nothing is auto-numbered
        self.numbering = Numbering(numbering_root, self.styles.num_ids())
        self.builder = ContentBuilder()
        self.warnings: list[str] = []
        self._schemes_used: set[str] = set()
        self._table_index = 0

    # ----------------------------------------------------------------- document

    def read(self) -> None:
        body = self.document.element.body
        self._read_blocks(body)
        self._read_notes()
        if self._schemes_used:
            self.warnings.append("text in legacy fonts converted to Unicode: " + ", ".join(sorted(self._schemes_used)))

    def legacy_encoding(self) -> str | None:
        return "+".join(sorted(self._schemes_used)) or None

    def _read_blocks(self, container: _Element) -> None:
        for child in _block_children(container):
            if child.tag == _W_P:
                self._emit_paragraph(self._paragraph(child))
            elif child.tag == _W_TBL:
                self._emit_table(child)

    def _read_notes(self) -> None:
        for rel in self.document.part.rels.values():
            if rel.is_external or rel.reltype not in (RT.FOOTNOTES, RT.ENDNOTES):
                continue
            part = rel.target_part
            try:
                root = part.element if hasattr(part, "element") else parse_xml(part.blob)
            except XMLSyntaxError:
                self.warnings.append(f"{part.partname}: malformed notes XML, footnotes/endnotes left out")
                continue
            for note in root:
                if note.tag not in (qn("w:footnote"), qn("w:endnote")):
                    continue
                if note.get(qn("w:type")) in ("separator", "continuationSeparator", "continuationNotice"):
                    continue
                self._read_blocks(note)

    # ----------------------------------------------------------------- paragraph reading

    def _paragraph(self, p: _Element) -> _Paragraph:
        ppr = p.find(qn("w:pPr"))
        style_id = _val(ppr.find(qn("w:pStyle"))) if ppr is not None else None
        style_id = style_id or self.styles.default_paragraph
        pieces: list[tuple[str, _Legacy | None]] = []
        bold_flags: list[bool] = []
        floating: list[_Element] = []
        for run in _runs(p, floating):
            fmt = self._run_format(run, style_id)
            if fmt.hidden:
                continue
            legacy = _legacy_of(fmt.font)
            for text in _run_texts(run):
                pieces.append((text, None if text == _LINE_BREAK else legacy))
                if text.strip():
                    bold_flags.append(fmt.bold)
        lines = self._convert(pieces).split(_LINE_BREAK)
        return _Paragraph(
            lines=lines,
            bold=bool(bold_flags) and all(bold_flags),
            centered=self._alignment(ppr, style_id) == "center",
            heading_level=self._heading_level(ppr, style_id),
            marker=self._marker(ppr, style_id),
            floating=floating,
        )

    def _run_format(self, run: _Element, paragraph_style: str | None) -> _RunFormat:
        rpr = run.find(qn("w:rPr"))
        char_style = _val(rpr.find(qn("w:rStyle"))) if rpr is not None else None

        def resolve(tag: str) -> _Element | None:
            if rpr is not None and rpr.find(qn(tag)) is not None:
                return rpr.find(qn(tag))
            found = self.styles.find(char_style, f"w:rPr/{tag}") if char_style else None
            found = found if found is not None else self.styles.find(paragraph_style, f"w:rPr/{tag}")
            if found is None and self.styles.default_rpr is not None:
                found = self.styles.default_rpr.find(qn(tag))
            return found

        fonts = resolve("w:rFonts")
        font = None
        if fonts is not None:
            font = fonts.get(qn("w:hAnsi")) or fonts.get(qn("w:ascii"))
        return _RunFormat(bold=bool(_on(resolve("w:b"))), hidden=bool(_on(resolve("w:vanish"))), font=font)

    def _convert(self, pieces: list[tuple[str, _Legacy | None]]) -> str:
        """Join run texts, converting each stretch of runs in the same legacy font as one string.

        VNI writes a letter and its mark as two characters that Word may split
        over runs, so a stretch is converted whole, never run by run.
        """
        out: list[str] = []
        index = 0
        while index < len(pieces):
            legacy = pieces[index][1]
            end = index
            while end < len(pieces) and pieces[end][1] == legacy:
                end += 1
            text = "".join(piece for piece, _ in pieces[index:end])
            if legacy is not None and not _UNICODE_VIETNAMESE.search(text):
                text = convert_legacy(text, legacy.scheme, uppercase=legacy.uppercase)
                self._schemes_used.add(legacy.scheme)
            out.append(text)
            index = end
        return "".join(out)

    def _alignment(self, ppr: _Element | None, style_id: str | None) -> str | None:
        jc = ppr.find(qn("w:jc")) if ppr is not None else None
        jc = jc if jc is not None else self.styles.find(style_id, "w:pPr/w:jc")
        return _val(jc)

    def _heading_level(self, ppr: _Element | None, style_id: str | None) -> int | None:
        outline = ppr.find(qn("w:outlineLvl")) if ppr is not None else None
        outline = outline if outline is not None else self.styles.find(style_id, "w:pPr/w:outlineLvl")
        value = _val(outline)
        if value is not None and value.isdigit() and int(value) < 9:
            return int(value) + 1
        for style in self.styles.chain(style_id):
            name = _val(style.find(qn("w:name"))) or ""
            match = _HEADING_STYLE.match(name.strip())
            if match:
                return int(match.group(1))
            if name.strip().lower() == "title":
                return 1
        return None

    def _marker(self, ppr: _Element | None, style_id: str | None) -> Marker | None:
        numpr = ppr.find(qn("w:numPr")) if ppr is not None else None
        num_id = _val(numpr.find(qn("w:numId"))) if numpr is not None else None
        ilvl_text = _val(numpr.find(qn("w:ilvl"))) if numpr is not None else None
        from_style = num_id is None
        if from_style:
            num_id = _val(self.styles.find(style_id, "w:pPr/w:numPr/w:numId"))
        if not num_id:
            return None
        if ilvl_text is None:
            ilvl_text = _val(self.styles.find(style_id, "w:pPr/w:numPr/w:ilvl"))
        if ilvl_text is None and from_style and style_id:
            tied = self.numbering.level_for_style(num_id, style_id)
            ilvl_text = str(tied) if tied is not None else None
        ilvl = int(ilvl_text) if ilvl_text and ilvl_text.isdigit() else 0
        return self.numbering.next_marker(num_id, ilvl)

    # ----------------------------------------------------------------- paragraph emission

    def _emit_paragraph(self, para: _Paragraph, *, split_lines: bool = False) -> None:
        split = split_lines or para.centered
        lines = [line for line in para.lines if line.strip()] if split else [para.text]
        marker = para.marker.text if para.marker and para.marker.text else None
        for index, line in enumerate(lines):
            first = index == 0
            text = f"{marker} {line}" if marker and first else line
            kind, level = self._kind(para, text, first)
            self.builder.add(
                text,
                kind,
                marker=marker if first else None,
                level=level,
                bold=para.bold,
                centered=para.centered,
            )
        for floating in para.floating:
            self._emit_paragraph(self._paragraph(floating), split_lines=True)

    def _kind(self, para: _Paragraph, text: str, first: bool) -> tuple[BlockKind, int | None]:
        heading = para.heading_level
        if heading is not None and not _BULLET_START.match(text) and len(text) <= _MAX_HEADING_CHARS:
            return "heading", heading
        if para.marker is not None and para.marker.text and first:
            return "list_item", para.marker.level
        return "paragraph", None

    # ----------------------------------------------------------------- tables

    def _emit_table(self, tbl: _Element) -> None:
        rows = [_row_cells(tr) for tr in _table_rows(tbl)]
        if self._is_layout_table(tbl, rows):
            self._emit_layout_table(rows)
            return
        table = self._table_index
        self._table_index += 1
        header_flags = [_is_header_row(tr) for tr in _table_rows(tbl)]
        if not any(header_flags) and len(rows) > 1:
            header_flags[0] = True
        header_texts: set[tuple[str, ...]] = set()
        for cells, is_header in zip(rows, header_flags, strict=True):
            texts = [self._cell_text(cell) for cell in cells]
            key = tuple(" ".join(t.split()) for t in texts)
            if is_header:
                header_texts.add(key)
            elif key in header_texts:
                continue  # a header row repeated in the body (copied at a page break)
            self.builder.add_row(texts, table=table, header=is_header, col_spans=[c.span for c in cells])

    def _cell_text(self, cell: _Cell) -> str:
        if cell.continued:
            return ""  # the text belongs to the merged cell above, already read
        parts: list[str] = []
        for child in _block_children(cell.tc):
            if child.tag == _W_P:
                para = self._paragraph(child)
                marker = para.marker.text if para.marker and para.marker.text else ""
                parts.append(f"{marker} {para.text}".strip())
                parts.extend(self._paragraph(f).text for f in para.floating)
            elif child.tag == _W_TBL:  # nested table: flattened into the cell, rows separated by "; "
                nested = [
                    "; ".join(filter(None, (self._cell_text(c) for c in _row_cells(tr)))) for tr in _table_rows(child)
                ]
                parts.append("; ".join(filter(None, nested)))
        return "\n".join(part for part in parts if part.strip())

    def _is_layout_table(self, tbl: _Element, rows: list[list[_Cell]]) -> bool:
        if not rows or len(rows) > _MAX_LAYOUT_ROWS or self._has_visible_borders(tbl):
            return False
        text_columns = {cell.col for cells in rows for cell in cells if _has_text(cell.tc)}
        return len(text_columns) <= _MAX_LAYOUT_COLUMNS

    def _has_visible_borders(self, tbl: _Element) -> bool:
        tblpr = tbl.find(qn("w:tblPr"))
        style_id = _val(tblpr.find(qn("w:tblStyle"))) if tblpr is not None else None
        direct = tblpr.find(qn("w:tblBorders")) if tblpr is not None else None
        styled = self.styles.find(style_id, "w:tblPr/w:tblBorders")
        for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
            element = direct.find(qn(f"w:{side}")) if direct is not None else None
            if element is None and styled is not None:
                element = styled.find(qn(f"w:{side}"))
            if element is not None and _val(element) not in _NO_BORDER:
                return True
        cells = list(tbl.iter(_W_TC))
        bordered = 0
        for tc in cells:
            borders = tc.find(f"{qn('w:tcPr')}/{qn('w:tcBorders')}")
            if borders is not None and any(_val(b) not in _NO_BORDER for b in borders):
                bordered += 1
        return bool(cells) and bordered * 2 > len(cells)

    def _emit_layout_table(self, rows: list[list[_Cell]]) -> None:
        """Page layout in a borderless table: read each column top to bottom, left column first."""
        columns = sorted({cell.col for cells in rows for cell in cells})
        for col in columns:
            for cells in rows:
                for cell in cells:
                    if cell.col != col or cell.continued:
                        continue
                    for child in _block_children(cell.tc):
                        if child.tag == _W_P:
                            self._emit_paragraph(self._paragraph(child), split_lines=True)
                        elif child.tag == _W_TBL:
                            self._emit_table(child)


# --------------------------------------------------------------------------- XML walking


@dataclass(frozen=True)
class _Cell:
    tc: _Element
    col: int
    """Grid column the cell starts at."""
    span: int
    continued: bool
    """A ``vMerge`` continuation: the cell above holds the text."""


def _block_children(container: _Element) -> Iterator[_Element]:
    """``w:p`` and ``w:tbl`` children in order, looking through content controls and custom XML."""
    for child in container:
        if child.tag in (_W_P, _W_TBL):
            yield child
        elif child.tag in (_W_SDT, _W_SDT_CONTENT, qn("w:customXml")):
            yield from _block_children(child)


def _table_rows(tbl: _Element) -> Iterator[_Element]:
    for child in tbl:
        if child.tag == _W_TR:
            yield child
        elif child.tag in (_W_SDT, _W_SDT_CONTENT, qn("w:customXml")):
            yield from _table_rows(child)


def _row_cells(tr: _Element) -> list[_Cell]:
    before = tr.find(f"{qn('w:trPr')}/{qn('w:gridBefore')}")
    col = int(_val(before) or 0) if before is not None and (_val(before) or "").isdigit() else 0
    cells: list[_Cell] = []
    for tc in _row_tcs(tr):
        tcpr = tc.find(qn("w:tcPr"))
        span_text = _val(tcpr.find(qn("w:gridSpan"))) if tcpr is not None else None
        span = int(span_text) if span_text and span_text.isdigit() and int(span_text) > 0 else 1
        vmerge = tcpr.find(qn("w:vMerge")) if tcpr is not None else None
        continued = vmerge is not None and (_val(vmerge) or "continue") == "continue"
        cells.append(_Cell(tc=tc, col=col, span=span, continued=continued))
        col += span
    return cells


def _row_tcs(tr: _Element) -> Iterator[_Element]:
    for child in tr:
        if child.tag == _W_TC:
            yield child
        elif child.tag in (_W_SDT, _W_SDT_CONTENT, qn("w:customXml")):
            yield from _row_tcs(child)


def _is_header_row(tr: _Element) -> bool:
    return bool(_on(tr.find(f"{qn('w:trPr')}/{qn('w:tblHeader')}")))


def _has_text(tc: _Element) -> bool:
    return any((t.text or "").strip() for t in tc.iter(qn("w:t")))


def _runs(p: _Element, floating: list[_Element]) -> Iterator[_Element]:
    """Runs of a paragraph in order, through hyperlinks, insertions, fields and content controls.

    Paragraphs of text boxes met on the way are collected in ``floating``.
    """
    for child in p:
        if child.tag == _W_R:
            yield child
            floating.extend(_text_box_paragraphs(child))
        elif child.tag in _CONTAINERS:
            yield from _runs(child, floating)


def _text_box_paragraphs(run: _Element) -> list[_Element]:
    paragraphs: list[_Element] = []
    for box in run.iter(qn("w:txbxContent")):
        # mc:AlternateContent holds the same box twice (DrawingML choice, VML fallback): keep the choice
        ancestor = box.getparent()
        in_fallback = False
        while ancestor is not None and ancestor is not run:
            if ancestor.tag.endswith("}Fallback"):
                in_fallback = True
                break
            ancestor = ancestor.getparent()
        if not in_fallback:
            paragraphs.extend(box.iter(_W_P))
    return paragraphs


def _run_texts(run: _Element) -> Iterator[str]:
    """Printed text of one run; line breaks as ``\\n``, tabs as spaces, note reference marks dropped."""
    for child in run:
        tag = child.tag
        if tag == qn("w:t"):
            yield child.text or ""
        elif tag in (qn("w:tab"), qn("w:ptab")):
            yield " "
        elif tag in (qn("w:br"), qn("w:cr")):
            yield _LINE_BREAK
        elif tag == qn("w:noBreakHyphen"):
            yield "-"
        elif tag == qn("w:sym"):
            code = child.get(qn("w:char"), "")
            if code and all(c in "0123456789abcdefABCDEF" for c in code):
                yield bullet_glyph(chr(int(code, 16)))
