"""PDF reader: the text layer (pdfium's characters, or OCR) to a :class:`ParsedDocument`.

Per page: characters with their boxes, fonts and the page's ruling lines come
from pypdfium2 (:mod:`pipeline.ingest.pdf_chars`, ten times faster than
pdfminer's page objects); tables come from pdfplumber's ruled-table finder
run on those lines and become table rows at their position; the other words
become lines (:mod:`pipeline.ingest.pdf_layout` puts two-column letterheads
and signature blocks in reading order and joins wrapped lines into
paragraphs).  Across pages: running headers, footers and page numbers are
dropped, a paragraph or table row cut by a page break is joined, a table's
header rows repeated on later pages are dropped.

pdfminer (through pdfplumber) still reads what pdfium cannot give: a file
pdfium cannot open or whose cross-reference table it had to rebuild (the
whole file, so the reason reported is pdfminer's), a rotated page (that
page), and the rendering of pages sent to OCR.

A page with no text layer (a scan) or a garbled one (a font without a Unicode
map gives glyph numbers or shifted-letter mojibake, detected by the share of
valid Vietnamese syllables) is OCR-ed with Tesseract
(:mod:`pipeline.ingest.ocr`) and the fact is recorded in ``source.warnings``.
Without Tesseract such pages are never passed on as mojibake: when most pages
need OCR the file is refused with :class:`MissingDependencyError`; otherwise
those pages are left out and each is named in a warning.

pypdfium2's plain text is not used (FACTS: tone-marked letters come out of
order): characters are taken with their boxes and ordered by position.
"""

from __future__ import annotations

import functools
import io
import re
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pdfplumber
from kehoach.models.document import ParsedDocument
from kehoach.models.text_forms import clean_inline
from kehoach.pipeline.errors import DamagedFileError, EmptyDocumentError, EncryptedFileError, IngestError
from kehoach.pipeline.ingest import ocr, ocr_pool
from kehoach.pipeline.ingest.builder import ContentBuilder
from kehoach.pipeline.ingest.pdf_bounds import check_pdf_bounds
from kehoach.pipeline.ingest.pdf_chars import CharPage, read_page
from kehoach.pipeline.ingest.pdf_fonts import font_descents
from kehoach.pipeline.ingest.pdf_layout import Word, classify, group_lines, join_wrapped
from kehoach.pipeline.ingest.pdf_pages import (  # noqa: F401  (PAGE_NUMBER, _is_continuation: read by the PDF tests here)
    PAGE_NUMBER,
    PageAssembler,
    PageContent,
    RowOut,
    TableData,
    _is_continuation,
    drop_running_lines,
    item_top,
    page_margins_of,
)
from kehoach.pipeline.ingest.syllables import vietnamese_ratio
from kehoach.pipeline.limits import Limits, check_pages, check_render
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.psexceptions import PSException
from pdfplumber.page import Page
from pdfplumber.table import Table
from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException

if TYPE_CHECKING:
    from PIL import Image

GARBLED_RATIO = 0.5
"""Below this share of valid Vietnamese syllables a page's text layer is mojibake (real pages: > 0.8)."""
MIN_WORDS_TO_JUDGE = 15
"""Fewer words than this (a cover, a signature page) are not judged garbled."""
MIN_TEXT_CHARS = 10
"""A page with fewer characters of text than this and an image on it is a scan."""
BOLD_FONT = re.compile(r"bold|black|heavy|semibold|demi", re.I)


# --------------------------------------------------------------------------- opening


@contextmanager
def _open(path: Path, data: bytes) -> Iterator[pdfplumber.PDF]:
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except PdfminerException as exc:
        raise _translate(path, exc.args[0] if exc.args else exc) from exc
    except Exception as exc:  # pdfminer raises assorted errors on broken files
        raise _translate(path, exc) from exc
    try:
        yield pdf
    finally:
        pdf.close()


PARSER_ERRORS = (PdfminerException, MalformedPDFException, PSException)
"""pdfminer's and pdfplumber's own errors (``PSException`` is the base of pdfminer's ``PDFException``s): a damaged
file, said as one.  The fuzzer met ``MalformedPDFException`` (a /MediaBox holding a name) on a page pdfium could not
load; other exception types stay bugs to fix, not damaged files."""


def _translate(path: Path, exc: object) -> IngestError:
    if isinstance(exc, PdfminerException) and exc.args:
        exc = exc.args[0]
    if isinstance(exc, PDFPasswordIncorrect | PDFEncryptionError) or "password" in str(exc).lower():
        return EncryptedFileError(
            path,
            "the PDF is password-protected: save a copy without it (qpdf --password=PW --decrypt in.pdf out.pdf)",
        )
    name = type(exc).__name__
    return DamagedFileError(path, f"the PDF is damaged or truncated and cannot be parsed ({name}: {exc})"[:300])


# --------------------------------------------------------------------------- reading pages


def _words(page: Page, tables: list[Table], raw_words: list[dict[str, object]] | None = None) -> list[Word]:
    """The page's words outside ``tables``; ``raw_words`` (pdfplumber's, with chars) saves grouping them again."""
    boxes = [table.bbox for table in tables]
    words: list[Word] = []
    if raw_words is None:
        raw_words = page.extract_words(return_chars=True, keep_blank_chars=False)
    for raw in raw_words:
        x0, x1, top, bottom = raw["x0"], raw["x1"], raw["top"], raw["bottom"]
        cx, cy = (x0 + x1) / 2, (top + bottom) / 2  # type: ignore[operator]
        if any(bx0 <= cx <= bx1 and btop <= cy <= bbottom for bx0, btop, bx1, bbottom in boxes):
            continue
        chars = raw["chars"]
        bold = sum(1 for c in chars if _is_bold(c.get("fontname", ""))) >= 0.8 * len(chars)  # type: ignore[attr-defined,arg-type]
        words.append(Word(raw["text"], x0, x1, top, bottom, bold))  # type: ignore[arg-type]
    return words


@functools.cache
def _is_bold(fontname: str) -> bool:
    """Whether the font's name says bold (pdfium gives no reliable weight: LibreOffice's bold fonts say 400)."""
    return BOLD_FONT.search(fontname) is not None


def _cell_text(text: str | None) -> str | None:
    if text is None:
        return None
    return clean_inline(join_wrapped(text.split("\n")))


def _words_text(words: list[Word], bbox: tuple[float, float, float, float]) -> str:
    x0, top, x1, bottom = bbox
    inside = [w for w in words if x0 <= (w.x0 + w.x1) / 2 <= x1 and top <= (w.top + w.bottom) / 2 <= bottom]
    return join_wrapped([line.text for line in group_lines(inside, 0)]) if inside else ""


def _table_data(
    table: Table, cell_words: Callable[[tuple[float, float, float, float]], list[Word]] | None = None
) -> TableData:
    """Rows with ``None`` only for cells covered by a horizontal merge; vertical merges become ''.

    On an OCR-ed page the ruled table is still found in the vector graphics;
    its cells are filled by ``cell_words`` (OCR of the cell's box).
    """
    raw = table.extract() if cell_words is None else [[None] * len(row.cells) for row in table.rows]
    x_edges = [column.bbox[0] for column in table.columns]
    rows: list[list[str | None]] = []
    spans: list[list[int]] = []
    for row, values in zip(table.rows, raw, strict=False):
        kept: list[str | None] = []
        row_spans: list[int] = []
        for index, (cell, value) in enumerate(zip(row.cells, values, strict=False)):
            if cell is not None:
                text = _words_text(cell_words(cell), cell) if cell_words is not None else value
                kept.append(_cell_text(text) or "")
                row_spans.append(1)
                continue
            left = next((row.cells[k] for k in range(index - 1, -1, -1) if row.cells[k] is not None), None)
            column_start = x_edges[index] if index < len(x_edges) else None
            if left is not None and column_start is not None and left[2] > column_start + 1 and row_spans:
                row_spans[-1] += 1
                kept.append(None)
            else:
                kept.append("")
                row_spans.append(1)
        rows.append(kept)
        spans.append(row_spans)
    return TableData(rows=rows, spans=spans, top=table.bbox[1], bottom=table.bbox[3])


def _needs_ocr(page: Page, words: list[Word]) -> str | None:
    """Why this page's text layer cannot be used ('no text layer' / 'garbled text layer'), or None."""
    text = " ".join(word.text for word in words)
    if len(text.replace(" ", "")) < MIN_TEXT_CHARS:
        return "no text layer" if page.images else None
    if len(words) >= MIN_WORDS_TO_JUDGE and vietnamese_ratio(text) < GARBLED_RATIO:
        return "garbled text layer"
    return None


def _read_page(page: Page, path: Path) -> tuple[PageContent, str | None]:
    content = PageContent(number=page.page_number, width=float(page.width), height=float(page.height))
    try:
        tables = [t for t in page.find_tables() if len(t.columns) >= 2 and len(t.rows) >= 1]
        raw_words = page.extract_words(return_chars=True, keep_blank_chars=False)
        all_words = _words(page, [], raw_words)
    except Exception as exc:  # pdfminer on a broken content stream
        raise _translate(path, exc) from exc
    problem = _needs_ocr(page, all_words)
    if problem is not None:
        return content, problem
    words = _words(page, tables, raw_words) if tables else all_words
    content.items = [*group_lines(words, page.page_number), *(_table_data(t) for t in tables)]
    content.items.sort(key=item_top)
    return content, None


def _ocr_tables(page: Page) -> list[Table]:
    try:
        return [t for t in page.find_tables() if len(t.columns) >= 2]
    except Exception:  # the vector graphics are a bonus on an OCR-ed page
        return []


def _ocr_content(
    page: Page,
    words: list[Word],
    tables: list[Table],
    cell_words: Callable[[tuple[float, float, float, float]], list[Word]],
) -> PageContent:
    """An OCR-ed page: its words outside the ruled tables as lines, each table's cells read on their own."""
    content = PageContent(number=page.page_number, width=float(page.width), height=float(page.height), ocr=True)
    boxes = [table.bbox for table in tables]
    outside = [
        w
        for w in words
        if not any(
            x0 <= (w.x0 + w.x1) / 2 <= x1 and top <= (w.top + w.bottom) / 2 <= bottom for x0, top, x1, bottom in boxes
        )
    ]
    lines = [line for line in group_lines(outside, page.page_number) if any(c.isalnum() for c in line.text)]
    content.items = [*lines, *(_table_data(t, cell_words) for t in tables)]
    content.items.sort(key=item_top)
    return content


def _ocr_page(page: Page, path: Path) -> PageContent:
    """One page, one Tesseract run per cell (the unit the pool's results are checked against)."""
    image = ocr.render(page)
    words = ocr.ocr_words(page, path, image)

    def cell_words(bbox: tuple[float, float, float, float]) -> list[Word]:
        return ocr.ocr_region(image, bbox, path, page.page_number)

    return _ocr_content(page, words, _ocr_tables(page), cell_words)


# --------------------------------------------------------------------------- entry point


def read_pdf(path: Path, data: bytes, *, max_pages: int | None = None) -> ParsedDocument:
    """Read a PDF (text layer, OCR where needed); raise an :class:`IngestError` subclass on bad files.

    A PDF of more than ``max_pages`` pages is refused from its page count, before any page is parsed.
    """
    from kehoach.pipeline.ingest import source_info

    check_pdf_bounds(path, data)
    warnings: list[str] = []
    try:
        pages = _read_pages(path, data, warnings, max_pages)
    except PARSER_ERRORS as exc:  # a damaged object met while reading a page, not while opening the file
        raise _translate(path, exc) from exc
    if not any(page.items for page in pages):
        raise EmptyDocumentError(path, "the PDF has no text (blank pages)")

    drop_running_lines(pages)
    page_margins = page_margins_of(pages)
    assembler = PageAssembler()
    for page in pages:
        assembler.page(page, page_margins[page.number])

    builder = ContentBuilder()
    for entry in assembler.out:
        if isinstance(entry, RowOut):
            builder.add_row(entry.cells, table=entry.table, page=entry.page, header=entry.header, col_spans=entry.spans)
            continue
        left, right = page_margins[entry.page]
        kind, marker, centered = classify(entry, left, right)
        builder.add(
            entry.text,
            kind,  # type: ignore[arg-type]
            page=entry.page,
            marker=marker,
            bold=all(line.bold for line in entry.lines),
            centered=centered,
        )
    fmt = "pdf-ocr" if any(page.ocr for page in pages) else "pdf"
    return builder.build(source_info(path, data, fmt, pages=len(pages), warnings=warnings))


PDFIUM_STATS: Counter[str] = Counter()
"""Pages read from pdfium's characters ('pdfium') and by pdfminer ('pdfminer'): how often the fallback runs."""


def _read_pages(path: Path, data: bytes, warnings: list[str], max_pages: int | None = None) -> list[PageContent]:
    """Every page's lines and tables: pdfium's characters, pdfminer's for what pdfium cannot give.

    The whole file goes to pdfminer when pdfium cannot open it (pdfminer's
    reason is the one reported) or had to rebuild a broken cross-reference
    table; a rotated page goes to pdfminer on its own.  A page needing OCR is
    rendered by pdfium and its ruled tables come from pdfium's lines, so
    pdfminer never lays out a scan.
    """
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_raw

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise _translate(path, exc) from exc
        return _read_pages_pdfminer(path, data, warnings, max_pages)
    try:
        if not pdfium_raw.FPDF_DocumentHasValidCrossReferenceTable(document.raw):
            return _read_pages_pdfminer(path, data, warnings, max_pages)
        count = len(document)
        check_pages(path, count, Limits(max_pages=max_pages))
        descents = font_descents(data)
        if not count:
            raise EmptyDocumentError(path, "the PDF has no pages")
        pages: list[PageContent] = []
        needing: list[tuple[int, str]] = []
        fallback: list[int] = []
        scans: dict[int, CharPage] = {}
        for index in range(count):
            char_page = read_page(document, index, descents)
            if char_page is None:
                fallback.append(index)
                pages.append(PageContent(number=index + 1, width=0.0, height=0.0))
                continue
            PDFIUM_STATS["pdfium"] += 1
            content, problem = _read_page(char_page, path)  # type: ignore[arg-type]
            if problem is not None:
                needing.append((index + 1, problem))
                scans[index + 1] = char_page
            pages.append(content)
        with ExitStack() as stack:
            pdf = stack.enter_context(_open(path, data)) if fallback else None
            for index in fallback:
                assert pdf is not None
                PDFIUM_STATS["pdfminer"] += 1
                if index >= len(pdf.pages):  # pdfium counts the page, cannot load it, and pdfminer has no such page
                    pages[index].skipped = True
                    warnings.append(f"page {index + 1} left out: damaged (neither PDF parser can load it)")
                    continue
                page = pdf.pages[index]
                content, problem = _read_page(page, path)
                if problem is not None:
                    needing.append((index + 1, problem))
                pages[index] = content

            def prepare(number: int) -> tuple[Page, list[Table], Image.Image]:
                scan = scans.get(number)
                if scan is None:  # a rotated page: pdfminer's geometry and pdfplumber's rendering
                    assert pdf is not None
                    page = pdf.pages[number - 1]
                    return page, _ocr_tables(page), ocr.render(page)
                return scan, _ocr_tables(scan), render_page(document, number - 1)  # type: ignore[return-value]

            if needing:
                _ocr_pages(path, pages, sorted(needing), warnings, prepare)
    finally:
        document.close()
    return pages


def render_page(document: Any, index: int) -> Image.Image:
    """Page ``index`` as the grey image OCR reads: pdfplumber's rendering (no smoothing) at :data:`ocr.RESOLUTION`.

    pdfplumber's ``to_image`` renders with the same pdfium call but first lays
    the page out with pdfminer and reopens the file; this is the same picture
    without either.
    """
    page = document[index]
    try:
        check_render(index + 1, *page.get_size(), ocr.RESOLUTION)
        bitmap = page.render(
            scale=ocr.RESOLUTION / 72,
            no_smoothtext=True,
            no_smoothpath=True,
            no_smoothimage=True,
            prefer_bgrx=True,
        )
        return bitmap.to_pil().convert("RGB").convert("L")
    finally:
        page.close()


def _read_pages_pdfminer(
    path: Path, data: bytes, warnings: list[str], max_pages: int | None = None
) -> list[PageContent]:
    """The old reader: pdfplumber's pdfminer page objects for every page."""
    with _open(path, data) as pdf:
        try:
            page_objects = list(pdf.pages)
        except Exception as exc:
            raise _translate(path, exc) from exc
        check_pages(path, len(page_objects), Limits(max_pages=max_pages))
        if not page_objects:
            raise EmptyDocumentError(path, "the PDF has no pages")
        pages: list[PageContent] = []
        needing: list[tuple[int, str]] = []
        for page in page_objects:
            PDFIUM_STATS["pdfminer"] += 1
            content, problem = _read_page(page, path)
            if problem is not None:
                needing.append((page.page_number, problem))
            pages.append(content)
            page.close()
        if needing:

            def prepare(number: int) -> tuple[Page, list[Table], Image.Image]:
                page = pdf.pages[number - 1]
                return page, _ocr_tables(page), ocr.render(page)

            _ocr_pages(path, pages, needing, warnings, prepare)
    return pages


def _ocr_pages(
    path: Path,
    pages: list[PageContent],
    needing: list[tuple[int, str]],
    warnings: list[str],
    prepare: Callable[[int], tuple[Page, list[Table], Image.Image]],
) -> None:
    """OCR the pages ``needing`` it, or leave them out with a warning.

    ``prepare`` gives a page (anything with its number and size), its ruled tables and its image.
    """
    reasons = ", ".join(f"page {number}: {problem}" for number, problem in needing)
    if ocr.missing_ocr() is not None:
        if len(needing) * 2 > len(pages):
            ocr.require_ocr(path, f"{len(needing)} of {len(pages)} pages have no usable text ({reasons})")
        for number, problem in needing:
            pages[number - 1].skipped = True
            warnings.append(f"page {number} left out: {problem} and OCR is not available ({ocr.missing_ocr()})")
        return
    problems = dict(needing)

    def jobs() -> Iterator[ocr_pool.PageJob[tuple[Page, list[Table]]]]:
        """Pages rendered here, in this thread (pdfium is not thread-safe), as the pool asks for them.

        The page is read whole, tables unmasked: blanking the table boxes
        changes how Tesseract segments the rest (one word fewer in order on
        the Lào Cai PDF), while reading it whole gives the same words as one
        run per cell did; the words inside tables are dropped afterwards.
        """
        for number, _ in needing:
            page, tables, image = prepare(number)
            cells = [cell for table in tables for row in table.rows for cell in row.cells if cell is not None]
            yield ocr_pool.PageJob(number, image, cells=cells, tag=(page, tables))

    for job, result in ocr_pool.ocr_pages(jobs(), path):
        assert job.tag is not None
        page, tables = job.tag
        pages[job.number - 1] = _ocr_content(page, result.words, tables, result.cell)
        warnings.append(f"page {job.number} read by OCR (tesseract -l vie): {problems[job.number]}")
