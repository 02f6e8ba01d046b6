"""kehoach's PDF reader on pdfium characters against the pdfminer reader it replaced, in one run.

    .venv/bin/python benchmarks/pdf_reader.py [--repeat 5]

On the text-layer PDFs of the corpus (dev-bin 000 and 003, the Đắk Nông and
Lào Cai originals; 25 pages) it prints, per reader, the median over the
repeats of the CPU time of one pass (``time.process_time``), as pages/s and
as a multiple of ``pdftotext`` in the same run, and checks that the pdfium
reader's ``ParsedDocument`` equals the pdfminer reader's on every file (the
garbled Lào Cai PDF and the scan are left out: their time is Tesseract's).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pdfplumber  # noqa: E402
import pypdfium2 as pdfium  # noqa: E402
from kehoach.pipeline.ingest import pdf  # noqa: E402

CORPUS = ROOT / "tests" / "corpus"
FILES = [
    CORPUS / "dev-bin" / "000_8544ea3e62a3c3aa.pdf",
    CORPUS / "dev-bin" / "003_3286ee62c434ea9b.pdf",
    CORPUS / "real" / "daknong-kh-2024-mang-di-dong.pdf",
    CORPUS / "real" / "laocai-cv-7432-ubnd-xd-2026.pdf",
]


def _pdftotext(path: Path) -> None:
    subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True)


def _pdfium_text(path: Path) -> None:
    document = pdfium.PdfDocument(path)
    for page in document:
        textpage = page.get_textpage()
        textpage.get_text_range()
        textpage.close()
        page.close()
    document.close()


def _plumber_objects(path: Path) -> None:
    with pdfplumber.open(path) as document:
        for page in document.pages:
            page.objects  # noqa: B018  (building them is what is measured)
            page.close()


def _kehoach(old: bool) -> Callable[[Path], None]:
    def read(path: Path) -> None:
        saved = pdf._read_pages
        if old:
            pdf._read_pages = pdf._read_pages_pdfminer
        try:
            pdf.read_pdf(path, path.read_bytes())
        finally:
            pdf._read_pages = saved

    return read


def _cpu(function: Callable[[Path], None], repeat: int, children: bool = False) -> float:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        child_start = _child_cpu()
        for path in FILES:
            function(path)
        times.append(time.process_time() - start + (_child_cpu() - child_start if children else 0.0))
    return statistics.median(times)


def _child_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    pages = sum(len(pdfium.PdfDocument(path)) for path in FILES)
    for path in FILES:
        data = path.read_bytes()
        saved = pdf._read_pages
        pdf._read_pages = pdf._read_pages_pdfminer
        try:
            old = pdf.read_pdf(path, data)
        finally:
            pdf._read_pages = saved
        new = pdf.read_pdf(path, data)
        print(f"{path.name}: {'identical' if old.model_dump() == new.model_dump() else 'DIFFERENT'} document")
    readers: list[tuple[str, Callable[[Path], None], bool]] = []
    if shutil.which("pdftotext"):
        readers.append(("`pdftotext -layout` (poppler)", _pdftotext, True))
    readers += [
        ("pypdfium2 `get_text_range`", _pdfium_text, False),
        ("pdfplumber `page.objects` (pdfminer)", _plumber_objects, False),
        ("kehoach `read_pdf`, pdfminer characters (before)", _kehoach(old=True), False),
        ("kehoach `read_pdf`, pdfium characters (now)", _kehoach(old=False), False),
    ]
    results = [(name, pages / _cpu(function, args.repeat, children)) for name, function, children in readers]
    reference = results[0][1] if shutil.which("pdftotext") else None
    print(f"\n{pages} pages, median of {args.repeat}, CPU time\n")
    print("| reader | pages/s | × pdftotext |\n| --- | ---: | ---: |")
    for name, rate in results:
        ratio = f"{rate / reference:.2f}" if reference else "–"
        print(f"| {name} | {rate:.1f} | {ratio} |")


if __name__ == "__main__":
    main()
