"""``kehoach debug-page FILE PAGE --png OUT``: what the PDF reader saw on one page, drawn on the page.

For anyone debugging the reader: the page is rendered (pdfium, through
pdfplumber's ``PageImage``) and overlaid with the words as kehoach grouped
them from pdfium's characters (blue boxes), the lines they formed (green
baselines, with the letterhead and signature columns in orange), the ruling
lines pdfium found (red) and the cells of the tables the finder resolved
(magenta).  The counts are printed, so a missing table or a merged word is
seen at once.  Drawing is pdfplumber's: nothing here touches the reader's
decisions, it only shows them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pdfplumber
import pypdfium2 as pdfium
from kehoach.pipeline.ingest import pdf
from kehoach.pipeline.ingest.pdf_chars import read_page
from kehoach.pipeline.ingest.pdf_layout import group_lines, order_columns

RESOLUTION = 110
"""Dots per inch of the picture: a whole A4 page readable on a screen."""


@dataclass
class PageView:
    """What :func:`draw_page` drew, for the command's summary and for tests."""

    words: int
    lines: int
    column_lines: int
    edges: int
    tables: int
    cells: int


def draw_page(path: Path, number: int, out: Path) -> PageView:
    """Render page ``number`` (1-based) of ``path`` with the reader's words, lines, edges and cells onto ``out``."""
    document = pdfium.PdfDocument(path)
    try:
        if not 1 <= number <= len(document):
            raise ValueError(f"the PDF has {len(document)} pages, there is no page {number}")
        page = read_page(document, number - 1)
    finally:
        document.close()
    with pdfplumber.open(path) as plumber:
        plumber_page = plumber.pages[number - 1]
        if page is None:  # a rotated page: the reader takes pdfminer's characters
            source = plumber_page
            edges = plumber_page.edges
        else:
            source = page  # type: ignore[assignment]
            edges = page.edges
        tables = [t for t in source.find_tables() if len(t.columns) >= 2 and len(t.rows) >= 1]
        words = pdf._words(source, tables)  # type: ignore[arg-type]
        lines = order_columns(group_lines(words, number))
        image = plumber_page.to_image(resolution=RESOLUTION)
        image.draw_rects([(w.x0, w.top, w.x1, w.bottom) for w in words], stroke="#1f5fd1", fill=None, stroke_width=1)
        for line in lines:
            colour = "#e07b00" if line.column else "#1a9c3c"
            image.draw_line([(line.x0, line.bottom), (line.x1, line.bottom)], stroke=colour, stroke_width=2)
        image.draw_lines(
            [((e["x0"], e["top"]), (e["x1"], e["bottom"])) for e in edges], stroke="#d11f1f", stroke_width=1
        )
        cells = [cell for table in tables for cell in table.cells]
        image.draw_rects(cells, stroke="#c014c0", fill=(192, 20, 192, 30), stroke_width=2)
        out.parent.mkdir(parents=True, exist_ok=True)
        image.save(out, format="PNG")
    return PageView(
        words=len(words),
        lines=len(lines),
        column_lines=sum(1 for line in lines if line.column),
        edges=len(edges),
        tables=len(tables),
        cells=len(cells),
    )
