"""Ingestion fidelity: how much of a reference text's word sequence a reader reproduces, in order.

Both texts become word lists folded for case and diacritics (``fold_diacritics``;
words are runs of letters and digits, so markdown ``**``, ``#``, ``|`` and
punctuation vanish).  ``difflib.SequenceMatcher(autojunk=False)`` aligns the
reference with the extracted words; **in order** = matched words / reference
words.

Two documented adjustments, both applied to the reference only:

* real-world references made with ``pdftotext -layout`` carry every page's
  running header and page number (split by form feeds).  Lines that repeat on
  half the pages or more, and bare page numbers, are removed from the
  reference, because the reader is required to drop them.
* ``-layout`` also interleaves a table's cells line by line ("two header
  columns on one line, table cells one per line", corpus README).  **near**
  additionally counts a reference word the in-order alignment missed when the
  same word, unmatched, sits within ``NEAR_WORDS`` words of where the
  alignment puts it: a word read in row order instead of the reference's
  line order.  Real documents are held to the near figure; dev-bin renderings,
  whose reference is clean text with tables as rows, to the in-order one.
* a partial rendering (``003…scanned.pdf`` holds 2 of 003's 8 pages) is
  compared with the stretch of the reference it covers: from the first to the
  last matched reference word.

Print the table:  ``.venv/bin/python -m tests.fidelity``
"""

from __future__ import annotations

import functools
import re
import sys
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

from kehoach.models.document import ParsedDocument
from kehoach.models.text_forms import fold_diacritics, nfc
from kehoach.pipeline.ingest import read_document

CORPUS = Path(__file__).parent / "corpus"
DEV, DEV_BIN, REAL = CORPUS / "dev", CORPUS / "dev-bin", CORPUS / "real"
NEAR_WORDS = 100
_WORD = re.compile(r"[^\W_]+")
_PAGE_NUMBER = re.compile(r"^\s*(?:[-–]\s*)?\d{1,4}(?:\s*[-–])?\s*$")

FLOOR_DEV_BIN = 0.98
FLOOR_SCANNED = 0.95
FLOOR_REAL = 0.95


def words(text: str) -> list[str]:
    return _WORD.findall(fold_diacritics(nfc(text)))


def strip_running_lines(reference: str) -> str:
    """Drop page numbers and lines repeated on half the form-feed pages or more."""
    pages = [page for page in reference.split("\f") if page.strip()]
    if len(pages) < 2:
        return reference
    key = lambda line: re.sub(r"\d+", "#", " ".join(line.split()).lower())  # noqa: E731
    counts = Counter(k for page in pages for k in {key(line) for line in page.splitlines() if line.strip()})
    needed = max(2, (len(pages) + 1) // 2)
    kept = [
        line
        for page in pages
        for line in page.splitlines()
        if line.strip() and counts[key(line)] < needed and not _PAGE_NUMBER.match(line)
    ]
    return "\n".join(kept)


@dataclass(frozen=True)
class Fidelity:
    reference_words: int
    in_order: float
    near: float


def fidelity(extracted: str, reference: str, *, partial: bool = False) -> Fidelity:
    ref, out = words(reference), words(extracted)
    if not ref:
        return Fidelity(0, 1.0, 1.0)
    blocks = [b for b in SequenceMatcher(None, ref, out, autojunk=False).get_matching_blocks() if b.size]
    pairs = [(b.a + k, b.b + k) for b in blocks for k in range(b.size)]
    total = len(ref)
    if partial and pairs:
        total = pairs[-1][0] - pairs[0][0] + 1
        ref_range = range(pairs[0][0], pairs[-1][0] + 1)
    else:
        ref_range = range(len(ref))
    matched_ref = {i for i, _ in pairs}
    used_out = {j for _, j in pairs}
    free_out: dict[str, list[int]] = {}
    for j, word in enumerate(out):
        if j not in used_out:
            free_out.setdefault(word, []).append(j)
    anchors_i = [i for i, _ in pairs]
    near = 0
    for i in ref_range:
        if i in matched_ref:
            continue
        k = bisect_right(anchors_i, i) - 1
        expected = pairs[k][1] + (i - pairs[k][0]) if k >= 0 else i
        candidates = free_out.get(ref[i], [])
        best = min(candidates, key=lambda j: abs(j - expected), default=None)
        if best is not None and abs(best - expected) <= NEAR_WORDS:
            candidates.remove(best)
            near += 1
    return Fidelity(total, len(pairs) / total, (len(pairs) + near) / total)


@dataclass(frozen=True)
class Case:
    rendering: Path
    reference: Path
    floor: float
    measure: str
    """``in_order`` or ``near``: which figure the floor applies to."""
    partial: bool = False
    ocr: bool = False


def cases() -> list[Case]:
    found: list[Case] = []
    for rendering in sorted(DEV_BIN.iterdir()):
        stem = rendering.name.split(".")[0]
        scanned = ".scanned." in rendering.name
        found.append(
            Case(
                rendering,
                DEV / f"{stem}.txt",
                FLOOR_SCANNED if scanned else FLOOR_DEV_BIN,
                "in_order",
                partial=scanned,
                ocr=scanned,
            )
        )
    for reference in sorted(REAL.glob("*.reference.txt")):
        stem = reference.name.removesuffix(".reference.txt")
        for rendering in sorted(REAL.glob(f"{stem}.*")):
            if rendering != reference:
                garbled = "laocai-kh-1105" in rendering.name  # text layer is mojibake: OCR-ed pages
                found.append(Case(rendering, reference, FLOOR_REAL, "near", ocr=garbled))
    return found


def reference_text(case: Case) -> str:
    text = case.reference.read_text(encoding="utf-8")
    return strip_running_lines(text) if case.reference.parent == REAL else text


@functools.cache
def read(path: Path) -> ParsedDocument:
    """read_document once per path and process: OCR-ed files take seconds, tests share the result."""
    return read_document(path)


def measure(case: Case) -> Fidelity:
    return fidelity(read(case.rendering).content, reference_text(case), partial=case.partial)


def main() -> int:
    rows = []
    for case in cases():
        try:
            result = measure(case)
        except Exception as exc:  # report, keep printing the table
            rows.append((case, None, f"{type(exc).__name__}: {exc}"))
            continue
        rows.append((case, result, ""))
    print("| rendering | reference words | in order | near | floor |")
    print("| --- | ---: | ---: | ---: | --- |")
    failed = 0
    for case, result, error in rows:
        name = case.rendering.relative_to(CORPUS)
        if result is None:
            print(f"| {name} | | | | ERROR {error} |")
            failed += 1
            continue
        value = getattr(result, case.measure)
        ok = value >= case.floor
        failed += not ok
        mark = "ok" if ok else "BELOW"
        print(
            f"| {name} | {result.reference_words} | {result.in_order:.3f} | {result.near:.3f} "
            f"| {case.measure} ≥ {case.floor} {mark} |"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
