"""The provenance invariant of the document model, on every corpus file in every format.

``content[start:end]`` is the text of each block and each table cell, whatever the reader.
"""

from __future__ import annotations

import shutil

import pytest
from kehoach.pipeline.ingest import read_document

from tests.conftest import DEV, DEV_BIN, REAL

FILES = [*sorted(DEV.glob("*.txt")), *sorted(DEV_BIN.glob("*.docx")), *sorted(DEV_BIN.glob("*.pdf"))]
FILES += [p for p in sorted(REAL.iterdir()) if p.suffix in (".pdf", ".docx")]


def _needs_ocr(path) -> bool:
    return "scanned" in path.name or "1105" in path.name


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_document_model_spans_are_exact_for_every_block_and_cell(path):
    if _needs_ocr(path) and not shutil.which("tesseract"):
        pytest.skip("needs Tesseract (apt-get install tesseract-ocr tesseract-ocr-vie)")
    parsed = read_document(path)
    assert parsed.blocks, path
    previous_end = -1
    for block in parsed.blocks:
        start, end = block.span
        assert previous_end <= start < end <= len(parsed.content)
        text = parsed.content[start:end]
        assert text.strip()
        if block.kind != "table_row":  # a row may start or end with an empty cell: " | x"
            assert text == text.strip()
        for cell in block.cells:
            assert start <= cell.span[0] <= cell.span[1] <= end
            assert parsed.content[cell.span[0] : cell.span[1]] == cell.text
        previous_end = end
    if parsed.source.pages:
        assert all(block.page is not None and 1 <= block.page <= parsed.source.pages for block in parsed.blocks)
