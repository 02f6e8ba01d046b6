"""OCR render resolution: character error and Tesseract time per page at each dpi, on the corpus' OCR-ed PDFs.

Usage: ``.venv/bin/python benchmarks/ocr_resolution.py [DPI ...]`` (default 150 200 250 300 400).

Each PDF is read by :func:`pipeline.ingest.read_document` with
``ocr.RESOLUTION`` set to the dpi, so the figures are those of the reader
as it stands (page OCR, table cells, layout).  Two files, the two kinds of
page that need OCR:

* ``dev-bin/003…scanned.pdf``, a 150 ppi greyscale scan of 2 of the 8 pages
  of ``dev/003….txt`` (compared with the stretch of the text it covers);
* ``real/laocai-kh-1105-dkt-2026.pdf``, a vector PDF whose fonts have no
  Unicode map (garbled text layer): pages 1–3 are text, 4–6 a ruled table.
  Its reference is ``pdftotext -layout`` text, whose letterhead and table
  lines interleave columns, so part of the error is reading order, the same
  at every dpi: compare the rows with each other, not with zero.

**CER** = character edit distance / reference characters, over the words
(letters and digits, lower-cased, diacritics kept, one space between
words).  The word sequences are aligned first (``difflib``) and each
mismatched stretch costs its character edit distance, which keeps the
measure linear in the document's length.  **Tesseract s/page** is the CPU
time of the Tesseract processes per page (``RUSAGE_CHILDREN``), the figure
that decides pages per second on N cores; it does not depend on the load
of the machine the way wall time does.
"""

from __future__ import annotations

import re
import resource
import sys
import unicodedata
from difflib import SequenceMatcher
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kehoach.pipeline.ingest import ocr, read_document  # noqa: E402

from tests.fidelity import fidelity, strip_running_lines  # noqa: E402

CORPUS = ROOT / "tests" / "corpus"
SCAN = CORPUS / "dev-bin" / "003_3286ee62c434ea9b.scanned.pdf"
SCAN_REFERENCE = CORPUS / "dev" / "003_3286ee62c434ea9b.txt"
GARBLED = CORPUS / "real" / "laocai-kh-1105-dkt-2026.pdf"
GARBLED_REFERENCE = CORPUS / "real" / "laocai-kh-1105-dkt-2026.reference.txt"
GROUPS = ({1, 2, 3}, {4, 5, 6})
"""The Lào Cai plan's text pages and its table pages."""
_WORD = re.compile(r"[^\W_]+")


def _words(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFC", text).lower())


def _edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other)))
        previous = current
    return previous[-1]


def cer(extracted: str, reference: str, *, partial: bool = False) -> float:
    """Character error rate of ``extracted`` against ``reference`` (see the module docstring)."""
    ref, out = _words(reference), _words(extracted)
    matcher = SequenceMatcher(None, ref, out, autojunk=False)
    if partial:
        blocks = [block for block in matcher.get_matching_blocks() if block.size]
        ref = ref[blocks[0].a : blocks[-1].a + blocks[-1].size]
        matcher = SequenceMatcher(None, ref, out, autojunk=False)
    errors = 0
    for op, i0, i1, j0, j1 in matcher.get_opcodes():
        if op == "equal":
            continue
        left, right = " ".join(ref[i0:i1]), " ".join(out[j0:j1])
        errors += _edit_distance(left, right) if left and right else len(left) + len(right) + 1
    return errors / max(1, len(" ".join(ref)))


def _read(path: Path) -> tuple[object, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    document = read_document(path)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return document, cpu / document.source.pages


def _pages_text(document: object, pages: set[int]) -> str:
    blocks = [block for block in document.blocks if block.page in pages]  # type: ignore[attr-defined]
    return "\n".join(
        " ".join(cell.text for cell in block.cells) if block.kind == "table_row" else document.text_of(block.span)  # type: ignore[attr-defined]
        for block in blocks
    )


def main(resolutions: list[int]) -> None:
    scan_reference = SCAN_REFERENCE.read_text(encoding="utf-8")
    garbled_pages = GARBLED_REFERENCE.read_text(encoding="utf-8").split("\f")
    print(
        "| dpi | scan CER | scan in order | scan Tesseract s/page | Lào Cai text pages CER "
        "| Lào Cai table pages CER | Lào Cai near | Lào Cai Tesseract s/page |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for dpi in resolutions:
        ocr.RESOLUTION = dpi
        scan, scan_cpu = _read(SCAN)
        garbled, garbled_cpu = _read(GARBLED)
        references = [strip_running_lines("\f".join(garbled_pages[p - 1] for p in sorted(pages))) for pages in GROUPS]
        groups = [cer(_pages_text(garbled, pages), text) for pages, text in zip(GROUPS, references, strict=True)]
        scan_text = scan.content  # type: ignore[attr-defined]
        near = fidelity(garbled.content, strip_running_lines("\f".join(garbled_pages))).near  # type: ignore[attr-defined]
        print(
            f"| {dpi} | {100 * cer(scan_text, scan_reference, partial=True):.2f} % "
            f"| {fidelity(scan_text, scan_reference, partial=True).in_order:.3f} | {scan_cpu:.2f} "
            f"| {100 * groups[0]:.2f} % | {100 * groups[1]:.2f} % | {near:.3f} | {garbled_cpu:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [150, 200, 250, 300, 400])
