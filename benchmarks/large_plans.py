"""Large plans: time and peak memory to read and extract a 50-, 200- and 500-page PDF, a 10,000-paragraph
DOCX and an 8 MB text (issue 10, item 3).

Usage (from the project root; a few minutes on one idle core):

    .venv/bin/python benchmarks/large_plans.py                  # 50, 200, 500 pages, the DOCX and the text
    .venv/bin/python benchmarks/large_plans.py --pages 50 200   # only these PDFs

The inputs are made from the corpus, not downloaded: the pages of
text-layer PDFs of the corpus (:data:`PDF_SOURCES`) repeated up to the page count
(pypdfium2 ``import_pages``), the body of a corpus DOCX repeated to 10,000
paragraphs, a dev text repeated to 8 MB.  Each is read and extracted in a
fresh process (``kehoach.pipeline.pool.extract_file`` with the default
limits, what an ingest worker runs), so the peak RSS of that process
(``VmHWM``, which starts afresh at ``exec``; ``ru_maxrss`` would carry the
benchmark's own over) is the cost of that one document.  Printed as a Markdown table: wall seconds, CPU
seconds, peak RSS, tasks found; memory per page shows whether memory grows
with the document (linear) or faster.
"""

from __future__ import annotations

import argparse
import copy
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus"
PDF_SOURCES = [
    *sorted(p for p in (CORPUS / "dev-bin").glob("*.pdf") if ".scanned." not in p.name),
    CORPUS / "real" / "daknong-kh-2024-mang-di-dong.pdf",
]
"""Text-layer PDFs that need no OCR: the benchmark measures the reader and the extractors, not Tesseract."""
DOCX_SOURCE = CORPUS / "real" / "laocai-kh-ct11-khoang-san-du-thao.docx"
TEXT_SOURCE = max((CORPUS / "dev").glob("*.txt"), key=lambda p: p.stat().st_size)


def make_pdf(pages: int, target: Path) -> Path:
    """A PDF of ``pages`` pages: the corpus PDFs' pages again and again (one plan of many chapters)."""
    import pypdfium2 as pdfium

    out = pdfium.PdfDocument.new()
    sources = [pdfium.PdfDocument(str(path)) for path in PDF_SOURCES]
    while len(out) < pages:
        for source in sources:
            take = min(len(source), pages - len(out))
            if take <= 0:
                break
            out.import_pages(source, list(range(take)))
    out.save(str(target))
    for source in sources:
        source.close()
    out.close()
    return target


def make_docx(paragraphs: int, target: Path) -> Path:
    """A DOCX whose body is a corpus plan's body repeated until it holds ``paragraphs`` paragraphs."""
    import docx
    from docx.oxml.ns import qn

    document = docx.Document(str(DOCX_SOURCE))
    body = document.element.body
    original = [child for child in body if child.tag != qn("w:sectPr")]
    section = body.find(qn("w:sectPr"))
    count = len(body.findall(qn("w:p")))
    while count < paragraphs:
        for child in original:
            clone = copy.deepcopy(child)
            if section is not None:
                section.addprevious(clone)
            else:
                body.append(clone)
            count += 1 if child.tag == qn("w:p") else 0
            if count >= paragraphs:
                break
    document.save(str(target))
    return target


def make_text(size: int, target: Path) -> Path:
    """A UTF-8 text of at least ``size`` bytes: a dev plan repeated."""
    unit = TEXT_SOURCE.read_bytes()
    target.write_bytes(unit * (size // len(unit) + 1))
    return target


def measure(path: Path) -> dict[str, object]:
    """Read and extract ``path`` in a fresh process: wall and CPU seconds, peak RSS, tasks or the error."""
    code = (
        "import json, resource, sys, time\n"
        "from kehoach.pipeline.pool import extract_file\n"
        "began = time.perf_counter()\n"
        "path, extraction, error, message = extract_file(sys.argv[1])\n"
        "cpu = sum(u.ru_utime + u.ru_stime for u in map(resource.getrusage, (resource.RUSAGE_SELF,"
        " resource.RUSAGE_CHILDREN)))\n"
        "peak = next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM'))\n"
        "print(json.dumps({'seconds': time.perf_counter() - began, 'cpu': cpu,\n"
        "  'peak_mb': peak / 1024, 'error': error and f'{error}: {message}',\n"
        "  'chars': extraction and len(extraction.content), 'pages': extraction and extraction.source.pages,\n"
        "  'tasks': extraction and len(extraction.tasks)}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"error": f"exit {done.returncode}: {done.stderr.strip().splitlines()[-1:]}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, nargs="*", default=[50, 200, 500])
    parser.add_argument("--paragraphs", type=int, default=10_000)
    parser.add_argument("--text-mb", type=float, default=8.0)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="kehoach-large-") as folder:
        inputs = [(f"PDF, {n} pages", make_pdf(n, Path(folder) / f"plan-{n}.pdf")) for n in args.pages]
        if args.paragraphs:
            name = f"DOCX, {args.paragraphs:,} paragraphs"
            inputs.append((name, make_docx(args.paragraphs, Path(folder) / "plan.docx")))
        if args.text_mb:
            inputs.append((f"text, {args.text_mb:g} MB", make_text(int(args.text_mb * 1e6), Path(folder) / "plan.txt")))
        for label, path in inputs:
            began = time.perf_counter()
            result = measure(path)
            result.setdefault("seconds", time.perf_counter() - began)
            rows.append((label, path.stat().st_size, result))
            print(f"{label}: {result}", file=sys.stderr)
    print("| input | file MB | wall s | CPU s | peak RSS MB | characters | tasks | outcome |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for label, size, r in rows:
        print(
            f"| {label} | {size / 1e6:.1f} | {r.get('seconds', 0):.1f} | {r.get('cpu', 0):.1f} | "
            f"{r.get('peak_mb', 0):.0f} | {r.get('chars') or 0:,} | {r.get('tasks') or 0:,} | "
            f"{r.get('error') or 'extracted'} |"
        )
    print(f"\n(benchmark process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)")


if __name__ == "__main__":
    main()
