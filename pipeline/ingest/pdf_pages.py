"""A PDF's pages after reading, before the content builder: running lines, tables across pages, margins.

Split from :mod:`pipeline.ingest.pdf` (which reads the pages, from pdfium's
characters, pdfminer's or OCR) because this half never looks at the file:
it drops running headers, footers and page numbers, joins a paragraph or a
table row cut by a page break, keeps a table's header rows once, and finds
each page's body margins.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from kehoach.pipeline.ingest.pdf_layout import (
    Line,
    TextBlock,
    assemble,
    continues,
    join_wrapped,
    margins,
    order_columns,
)

RUNNING_BAND = 0.13
"""Running headers live in the top 13 % of the page, footers in the bottom 13 %."""
PAGE_NUMBER = re.compile(r"^(?:[-–—]\s*)?(?:trang\s+|page\s+)?\d{1,4}(?:\s*/\s*\d{1,4})?(?:\s*[-–—])?$", re.I)
MARKER_START = re.compile(r"^(?:[-–—+•*]|\d{1,2}[.)]|[a-zđ][.)])\s")


# --------------------------------------------------------------------------- page content


@dataclass
class TableData:
    rows: list[list[str | None]]
    spans: list[list[int]]
    """Per row, the column span of each non-merged cell (same length as the row's kept cells)."""
    top: float
    bottom: float

    @property
    def text(self) -> str:
        return " ".join(cell for row in self.rows for cell in row if cell)


@dataclass
class PageContent:
    number: int
    width: float
    height: float
    items: list[Line | TableData] = field(default_factory=list)
    ocr: bool = False
    skipped: bool = False


def item_top(item: Line | TableData) -> float:
    return item.top


# --------------------------------------------------------------------------- running headers


def _signature(item: Line | TableData) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", " ", item.text.lower())).strip()


def _in_band(item: Line | TableData, page: PageContent) -> str | None:
    band = RUNNING_BAND * page.height
    if item.top < band:
        return "top"
    if item.bottom > page.height - band:
        return "bottom"
    return None


def drop_running_lines(pages: list[PageContent]) -> None:
    """Remove page numbers and lines/tables repeated in the same band on most pages."""
    counts: Counter[tuple[str, str]] = Counter()
    for page in pages:
        seen = {(band, _signature(item)) for item in page.items if (band := _in_band(item, page))}
        counts.update(seen)
    text_pages = sum(1 for page in pages if page.items)
    needed = max(2, (text_pages + 1) // 2)
    for page in pages:
        kept: list[Line | TableData] = []
        for item in page.items:
            band = _in_band(item, page)
            if band and isinstance(item, Line) and PAGE_NUMBER.match(item.text.strip()):
                continue
            if band and text_pages >= 2 and counts[(band, _signature(item))] >= needed:
                continue
            kept.append(item)
        page.items = kept


# --------------------------------------------------------------------------- output assembly


@dataclass
class RowOut:
    cells: list[str]
    spans: list[int]
    page: int
    table: int
    header: bool


@dataclass
class TableState:
    index: int
    columns: int
    headers: set[tuple[str, ...]]


def _row_key(row: list[str | None]) -> tuple[str, ...]:
    return tuple(cell.lower() for cell in row if cell)


def _is_continuation(row: list[str | None]) -> bool:
    """First row on a new page of a table split over the break: empty first cell, text going on."""
    cells = [cell for cell in row if cell is not None]
    if not cells or cells[0]:
        return False
    filled = [cell for cell in cells if cell]
    if not filled:
        return False
    first = filled[0]
    return first[:1].islower() or len(filled) * 2 < len(cells) and not MARKER_START.match(first) or len(filled) == 1


class PageAssembler:
    def __init__(self) -> None:
        self.out: list[TextBlock | RowOut] = []
        self.table: TableState | None = None
        self.tables = 0

    def page(self, page: PageContent, page_margins: tuple[float, float]) -> None:
        left, right = page_margins
        first = True
        pending: list[Line] = []

        def flush() -> None:
            nonlocal first
            if not pending:
                return
            blocks = assemble(order_columns(pending), left, right)
            pending.clear()
            if first and blocks and self.out and isinstance(self.out[-1], TextBlock):
                previous = self.out[-1]
                if continues(previous, blocks[0].lines[0], left):
                    previous.lines.extend(blocks[0].lines)
                    previous.open_end = blocks[0].open_end
                    blocks = blocks[1:]
            for block in blocks:
                block.texts = []
                self.out.append(block)
            first = False

        for item in page.items:
            if isinstance(item, Line):
                pending.append(item)
                continue
            flush()
            self._table(item, page.number, continuing=first)
            first = False
        flush()

    def _table(self, table: TableData, page: int, continuing: bool) -> None:
        columns = len(table.rows[0]) if table.rows else 0
        state = self.table
        same = (
            continuing
            and state is not None
            and state.columns == columns
            and self.out
            and isinstance(self.out[-1], RowOut)
            and self.out[-1].table == state.index
        )
        if not same:
            state = self.table = TableState(index=self.tables, columns=columns, headers=set())
            self.tables += 1
        assert state is not None
        first_data = same  # only the first data row on the page can continue the previous page's row
        header_rows = 0
        for position, (row, spans) in enumerate(zip(table.rows, table.spans, strict=False)):
            key = _row_key(row)
            if not key or key in state.headers:
                continue
            cells = [cell for cell in row if cell is not None]
            spans_above = table.spans[position - 1] if position else []
            is_header = not same and (
                position == 0 or (position == header_rows and max(spans_above, default=1) > 1 and _is_subheader(row))
            )
            if is_header:
                header_rows += 1
                state.headers.add(key)
                self.out.append(RowOut(cells, spans, page, state.index, header=True))
                continue
            if first_data and _is_continuation(row):
                previous = self.out[-1]
                if isinstance(previous, RowOut) and len(previous.cells) == len(cells):
                    previous.cells = [join_wrapped([a, b]) for a, b in zip(previous.cells, cells, strict=True)]
                    first_data = False
                    continue
            first_data = False
            self.out.append(RowOut(cells, spans, page, state.index, header=False))


def _is_subheader(row: list[str | None]) -> bool:
    """The second line of a two-level header: cells under a merged header cell, others merged from above."""
    return any(cell == "" for cell in row) and sum(1 for cell in row if cell) >= 1


def page_margins_of(pages: list[PageContent]) -> dict[int, tuple[float, float]]:
    """Body margins per page; pages with too few lines borrow those of pages of the same width."""
    found: dict[int, tuple[float, float]] = {}
    by_width: dict[int, list[tuple[float, float]]] = {}
    for page in pages:
        lines = [item for item in page.items if isinstance(item, Line)]
        m = margins(lines)
        if m is not None:
            found[page.number] = m
            by_width.setdefault(round(page.width), []).append(m)
    result: dict[int, tuple[float, float]] = {}
    for page in pages:
        if page.number in found:
            result[page.number] = found[page.number]
            continue
        same = by_width.get(round(page.width))
        if same:
            lefts = sorted(m[0] for m in same)
            rights = sorted(m[1] for m in same)
            result[page.number] = (lefts[len(lefts) // 2], rights[len(rights) // 2])
        else:
            result[page.number] = (0.1 * page.width, 0.9 * page.width)
    return result
