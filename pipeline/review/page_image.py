"""A PDF page as a PNG, so an analyst can check the text against the printed page in one click.

Rendered on demand with pypdfium2 (already a kehoach dependency: the PDF
reader uses it) from ``documents.source_path``; nothing is stored.  A file
that has moved or changed since ingestion is refused rather than shown, as
the picture would not be the page the spans point into.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

SCALE = 1.6
"""About 115 dpi: small print in a Vietnamese administrative document stays legible."""


class PageUnavailable(Exception):
    """No picture for this page (file gone or changed, page out of range, not a PDF)."""


@lru_cache(maxsize=32)
def _render(path: str, page: int, mtime_ns: int) -> bytes:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(path)
    try:
        if not 1 <= page <= len(pdf):
            raise PageUnavailable(f"page {page} is not in this PDF ({len(pdf)} pages)")
        image = pdf[page - 1].render(scale=SCALE).to_pil()
    finally:
        pdf.close()
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def page_png(source_path: str | None, sha256: str, page: int) -> bytes:
    """PNG bytes of ``page`` (from 1) of the ingested PDF at ``source_path`` whose bytes hash to ``sha256``."""
    path = Path(source_path or "")
    if not source_path or not path.is_file():
        raise PageUnavailable(f"the source file {source_path} is no longer there")
    from kehoach.pipeline.run import sha256_of  # the hash ingestion stored

    if sha256_of(path) != sha256:
        raise PageUnavailable(f"{path.name} changed since it was ingested")
    try:
        return _render(str(path), page, path.stat().st_mtime_ns)
    except PageUnavailable:
        raise
    except Exception as exc:  # pypdfium2 raises its own PdfiumError on a damaged file
        raise PageUnavailable(f"{path.name}: cannot render page {page} ({exc})") from exc
