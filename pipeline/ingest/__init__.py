"""Readers that turn PDF, DOCX, legacy Word .doc and text files into a :class:`ParsedDocument`.

The reader is chosen by sniffing the bytes, not by the file name: plans
arrive renamed, without extensions, or as ``.txt`` files that are really
Word documents.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from kehoach.models.document import ParsedDocument, SourceFormat, SourceInfo
from kehoach.pipeline.errors import EmptyDocumentError, IngestError, UnsupportedFormatError
from kehoach.pipeline.limits import DEFAULT_LIMITS, Limits, check_chars, check_readable, display_path

MAX_TEXT_BYTES = 20 * 1024 * 1024
"""A plain-text plan is at most a few hundred kB; anything this big is not one."""

DOCUMENT_SUFFIXES = {".pdf", ".docx", ".txt", ".md", ".html", ".htm", ".doc", ""}
"""Suffixes a folder walk picks up (the content is still sniffed)."""


def sniff(data: bytes) -> str:
    """Name the container format of ``data``: pdf, docx, ole, zip, image or text."""
    head = data[:8]
    if data[:1024].lstrip().startswith(b"%PDF-") or b"%PDF-" in data[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "docx" if b"word/" in data[:65536] or b"[Content_Types].xml" in data[:65536] else "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"II*\x00", b"MM\x00*")):
        return "image"
    return "text"


def source_info(path: Path, data: bytes, fmt: SourceFormat, **extra: object) -> SourceInfo:
    """The document's provenance; a file name that is not UTF-8 is recorded escaped (``\\xe9``), so the JSON and
    the database can hold it (the file itself was read under its real name)."""
    return SourceInfo(path=display_path(path), sha256=hashlib.sha256(data).hexdigest(), format=fmt, **extra)  # type: ignore[arg-type]


def read_document(path: str | Path, *, limits: Limits = DEFAULT_LIMITS) -> ParsedDocument:
    """Read one file of any supported kind within ``limits``; raise :class:`IngestError` with a clear reason.

    Only a regular file is opened, and only when its size is within the limit (a FIFO would block the
    read for ever, ``/dev/zero`` would never end it); the text read is checked against ``max_chars``.
    """
    path = Path(path)
    check_readable(path, limits)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(path, f"cannot be read ({exc.strerror})") from exc
    document = _read_bytes(path, data, limits)
    check_chars(path, len(document.content), limits)
    return document


def _read_bytes(path: Path, data: bytes, limits: Limits) -> ParsedDocument:
    if not data.strip():
        raise EmptyDocumentError(path, "file is empty")
    kind = sniff(data)
    if kind == "pdf":
        from kehoach.pipeline.ingest.pdf import read_pdf

        return read_pdf(path, data, max_pages=limits.max_pages)
    if kind == "docx":
        from kehoach.pipeline.ingest.docx import read_docx

        return read_docx(path, data)
    if kind == "ole":
        from kehoach.pipeline.ingest.doc import read_doc

        return read_doc(path, data)
    if kind == "zip":
        raise UnsupportedFormatError(path, "a ZIP archive that is not a Word .docx document")
    if kind == "image":
        raise UnsupportedFormatError(path, "an image, not a document (scan it into a PDF to have it OCR-ed)")
    if len(data) > MAX_TEXT_BYTES:
        raise UnsupportedFormatError(path, f"{len(data) // (1024 * 1024)} MB of non-PDF, non-DOCX data: not a plan")
    from kehoach.pipeline.ingest.text import read_text

    return read_text(path, data)
