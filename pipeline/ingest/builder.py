"""Assemble ``content`` and its ``blocks`` so spans are right by construction.

Every reader appends blocks through one :class:`ContentBuilder`; the builder
owns the separators, so ``content[block.span[0]:block.span[1]]`` is the block
text for every reader, and table cells carry their own spans.

It also removes NUL characters, for every reader, before spans are taken:
PostgreSQL cannot store them in text (SQLite can), so a plan with one stray
NUL once ingested on one backend and failed on the other.  How many were
removed goes into the document's warnings.
"""

from __future__ import annotations

from kehoach.models.document import Block, BlockKind, ParsedDocument, SourceInfo, TableCell
from kehoach.models.text_forms import clean_inline

CELL_SEPARATOR = " | "
BLOCK_SEPARATOR = "\n\n"
ROW_SEPARATOR = "\n"


NUL = "\x00"


class ContentBuilder:
    def __init__(self) -> None:
        self._parts: list[str] = []
        self._length = 0
        self.blocks: list[Block] = []
        self.nul_removed = 0

    def _clean(self, text: str) -> str:
        if NUL in text:
            self.nul_removed += text.count(NUL)
            text = text.replace(NUL, "")
        return clean_inline(text)

    def _append(self, text: str, joined_to_previous_row: bool) -> int:
        if self._parts:
            separator = ROW_SEPARATOR if joined_to_previous_row else BLOCK_SEPARATOR
            self._parts.append(separator)
            self._length += len(separator)
        start = self._length
        self._parts.append(text)
        self._length += len(text)
        return start

    def add(
        self,
        text: str,
        kind: BlockKind = "paragraph",
        *,
        page: int | None = None,
        marker: str | None = None,
        level: int | None = None,
        bold: bool = False,
        centered: bool = False,
    ) -> Block | None:
        """Append one block; blank text is dropped (returns None)."""
        text = self._clean(text)
        if not text:
            return None
        start = self._append(text, joined_to_previous_row=False)
        block = Block(
            kind=kind,
            span=(start, start + len(text)),
            page=page,
            marker=marker,
            level=level,
            bold=bold,
            centered=centered,
        )
        self.blocks.append(block)
        return block

    def add_row(
        self,
        cells: list[str],
        *,
        table: int,
        page: int | None = None,
        header: bool = False,
        col_spans: list[int] | None = None,
    ) -> Block | None:
        """Append one table row; cells are joined with `` | `` and keep their spans."""
        cleaned = [self._clean(cell) for cell in cells]
        if not any(cleaned):
            return None
        previous = self.blocks[-1] if self.blocks else None
        same_table = previous is not None and previous.kind == "table_row" and previous.table == table
        row_text = CELL_SEPARATOR.join(cleaned)
        start = self._append(row_text, joined_to_previous_row=same_table)
        table_cells: list[TableCell] = []
        offset = start
        grid_column = 0
        for index, cell in enumerate(cleaned):
            span_width = col_spans[index] if col_spans else 1
            table_cells.append(
                TableCell(text=cell, span=(offset, offset + len(cell)), col=grid_column, col_span=span_width)
            )
            offset += len(cell) + len(CELL_SEPARATOR)
            grid_column += span_width
        block = Block(
            kind="table_row",
            span=(start, start + len(row_text)),
            page=page,
            table=table,
            header=header,
            cells=table_cells,
        )
        self.blocks.append(block)
        return block

    @property
    def content(self) -> str:
        return "".join(self._parts)

    def build(self, source: SourceInfo) -> ParsedDocument:
        if self.nul_removed:
            plural = "s" if self.nul_removed != 1 else ""
            warning = f"{self.nul_removed} NUL character{plural} removed (not text; PostgreSQL cannot store them)"
            source = source.model_copy(update={"warnings": [*source.warnings, warning]})
        return ParsedDocument(source=source, content=self.content, blocks=self.blocks)
