"""Each font's descent as its PDF font descriptor states it: where pdfminer, and so kehoach, puts a letter's bottom.

Why: pdfium's ``FPDFFont_GetDescent`` answers from the font program when the
descriptor says 0, which LibreOffice writes for every font; pdfminer takes
the descriptor as written.  A line whose letters sat 2.5 pt lower than
pdfminer put them clustered with another line (held-out LibreOffice
renderings of the Lâm Đồng letters), so the character reader takes the
descriptor's value wherever a font has one.

Only the page tree and the font dictionaries are parsed (pdfminer's
``PDFDocument``, no content stream is decoded): about a millisecond a page.
"""

from __future__ import annotations

import io
from typing import Any

from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import resolve1
from pdfminer.psparser import PSLiteral

MAX_FORM_DEPTH = 4
"""Form XObjects nested deeper than this are not searched for fonts (none in real plans nest at all)."""


def _name(value: Any) -> str | None:
    value = resolve1(value)
    if isinstance(value, PSLiteral):
        return str(value.name)
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value if isinstance(value, str) else None


def _descriptor_descent(spec: dict[str, Any]) -> float | None:
    """The descriptor's /Descent in text space units per 1000 (made negative, as pdfminer does), or None."""
    descriptor = resolve1(spec.get("FontDescriptor"))
    if not isinstance(descriptor, dict) or "Descent" not in descriptor:
        return None
    try:
        value = float(resolve1(descriptor["Descent"]))
    except (TypeError, ValueError):
        return None
    return -abs(value)


def _add_fonts(fonts: Any, out: dict[str, float]) -> None:
    fonts = resolve1(fonts)
    if not isinstance(fonts, dict):
        return
    for ref in fonts.values():
        spec = resolve1(ref)
        if not isinstance(spec, dict) or _name(spec.get("Subtype")) == "Type3":
            continue  # Type 3 fonts are sized by their FontBBox, which pdfium reads the same way
        descent = _descriptor_descent(spec)
        names = [_name(spec.get("BaseFont"))]
        if descent is None and _name(spec.get("Subtype")) == "Type0":
            descendants = resolve1(spec.get("DescendantFonts"))
            if isinstance(descendants, list) and descendants:
                child = resolve1(descendants[0])
                if isinstance(child, dict):
                    descent = _descriptor_descent(child)
                    names.append(_name(child.get("BaseFont")))
        if descent is None:
            continue
        for name in names:
            if name:
                out.setdefault(name, descent)
                out.setdefault(_without_subset(name), descent)


def _without_subset(name: str) -> str:
    """``BAAAAA+DejaVuSerif`` → ``DejaVuSerif``: pdfium names some fonts without their subset tag."""
    tag, plus, rest = name.partition("+")
    return rest if plus and len(tag) == 6 and tag.isupper() and tag.isalpha() else name


def _walk(resources: Any, out: dict[str, float], depth: int) -> None:
    resources = resolve1(resources)
    if not isinstance(resources, dict):
        return
    _add_fonts(resources.get("Font"), out)
    if depth >= MAX_FORM_DEPTH:
        return
    xobjects = resolve1(resources.get("XObject"))
    if isinstance(xobjects, dict):
        for ref in xobjects.values():
            form = resolve1(ref)
            attrs = getattr(form, "attrs", None)
            if isinstance(attrs, dict) and _name(attrs.get("Subtype")) == "Form":
                _walk(attrs.get("Resources"), out, depth + 1)


def font_descents(data: bytes) -> dict[str, float]:
    """BaseFont name → descriptor descent per 1000 units of font size, for every font the pages use.

    Empty when pdfminer cannot parse the file: the reader then keeps pdfium's descents.
    """
    out: dict[str, float] = {}
    try:
        document = PDFDocument(PDFParser(io.BytesIO(data)))
        for page in PDFPage.create_pages(document):
            _walk(page.resources, out, 0)
    except Exception:  # a damaged structure costs only the descents, never the reading
        return out
    return out
