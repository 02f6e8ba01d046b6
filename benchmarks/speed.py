"""Speed of every stage of kehoach, measured in one run on the same files (issue 9).

Usage (from the project root; about 4 minutes on 2 idle cores):

    .venv/bin/python benchmarks/speed.py                           # a 200-document ingest batch
    .venv/bin/python benchmarks/speed.py --repeats 1 --copies 5    # a quick look

Printed, as Markdown tables:

- **PDF readers** on the text-layer PDFs of the corpus (``tests/corpus/dev-bin``
  without the scanned copy, and ``tests/corpus/real``): ``pdftotext``
  (poppler), pypdfium2 ``get_text_range``, pdfplumber ``page.objects``
  (pdfminer building every page object) and kehoach's own reader, the public
  ``pipeline.ingest.read_document``, whatever reader is committed when this
  runs.  Pages/s of CPU time (the process's own plus its waited-for children:
  pdftotext, Tesseract when a garbled page falls back to OCR), median of
  ``--repeats``, and the ratio to pdftotext in the same run.
- **Extraction** characters/s on the dev texts (read once, extracted ``--repeats`` times).
- **End-to-end ingest** into a fresh SQLite file, ``kehoach ingest --workers 1``
  and ``--workers 2``, on ``--copies`` distinct-bytes copies of the same PDFs
  (copied as ``benchmarks/ingest_benchmark.py`` does; those kehoach reads
  without OCR, unless ``--with-ocr``): documents/s and PDF
  pages/s of wall time, the speed-up of two workers, the CPU seconds of
  every process (on a busy machine, where wall times mislead, equal CPU
  means the workers add no work), the peak RSS of the largest single process
  (parent or worker) and of the whole tree.
- **Start-up**: wall time of ``kehoach extract small.txt``, ``kehoach query``,
  ``kehoach db current`` and ``kehoach --help`` (best and median of 5).
- **OCR**: ``read_document`` on the scanned dev-bin PDF (every page OCR-ed): wall seconds/page.
- **Peak RSS** of this benchmark process.

Wall-time figures need an otherwise idle machine; the CPU-time reader figures
hold on a busy one.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from ingest_benchmark import make_copy  # noqa: E402 - the benchmarks folder is not a package

CORPUS = ROOT / "tests" / "corpus"
PDFS = sorted(p for p in (CORPUS / "dev-bin").glob("*.pdf") if ".scanned." not in p.name) + sorted(
    (CORPUS / "real").glob("*.pdf")
)
SCANNED = sorted((CORPUS / "dev-bin").glob("*.scanned.pdf"))
TEXTS = sorted((CORPUS / "dev").glob("*.txt"))
KEHOACH = Path(sys.executable).with_name("kehoach")
SMALL_PLAN = "KẾ HOẠCH\n1. Sở Xây dựng chủ trì rà soát quy hoạch, hoàn thành trong năm 2025.\n"


# --------------------------------------------------------------------------- measuring


@dataclass
class Cost:
    cpu: float
    wall: float


def cost_of(action: Callable[[], object]) -> Cost:
    """CPU seconds (own + waited-for children) and wall seconds of one call."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu, wall = time.process_time(), time.perf_counter()
    action()
    wall = time.perf_counter() - wall
    cpu = time.process_time() - cpu
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu += (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime)
    return Cost(cpu, wall)


def median_cost(action: Callable[[], object], repeats: int) -> Cost:
    costs = [cost_of(action) for _ in range(repeats)]
    return Cost(statistics.median(c.cpu for c in costs), statistics.median(c.wall for c in costs))


class ProcessTree:
    """Every process under ``pid`` while it runs: each one's own peak RSS and CPU seconds, and the tree's peak.

    Peaks are the kernel's high-water marks (``VmHWM`` in ``/proc/PID/status``), so a sample every 50 ms
    misses no short peak of a live process; the CPU of a worker is its last sample.  ``wait4`` cannot give
    the largest process: it folds in the RSS of the benchmark itself, copied by the fork before the exec,
    and workers forked from a fork server are not children of the one it waits for.
    """

    def __init__(self, pid: int) -> None:
        self.pid, self.peaks, self.cpu, self.tree = pid, {}, {}, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    @staticmethod
    def _high_water(pid: int) -> int:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            line = next(line for line in status if line.startswith("VmHWM:"))
        return int(line.split()[1]) * 1024

    def _watch(self) -> None:
        import psutil

        with contextlib.suppress(psutil.Error):
            root = psutil.Process(self.pid)
            while not self._stop.is_set():
                current = 0
                for process in (root, *root.children(recursive=True)):
                    with contextlib.suppress(psutil.Error, OSError, StopIteration):
                        times = process.cpu_times()
                        self.cpu[process.pid] = times.user + times.system
                        self.peaks[process.pid] = self._high_water(process.pid)
                        current += process.memory_info().rss
                self.tree = max(self.tree, current)
                self._stop.wait(0.05)

    def __enter__(self) -> ProcessTree:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


def mb(size: float) -> str:
    return f"{size / 2**20:.0f}"


# --------------------------------------------------------------------------- stages


def page_count(path: Path) -> int:
    import pypdfium2

    document = pypdfium2.PdfDocument(str(path))
    try:
        return len(document)
    finally:
        document.close()


def read_pdftotext(path: Path) -> None:
    subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True)


def read_pdfium(path: Path) -> None:
    import pypdfium2

    document = pypdfium2.PdfDocument(str(path))
    try:
        for page in document:
            page.get_textpage().get_text_range()
    finally:
        document.close()


def read_pdfplumber(path: Path) -> None:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            _ = page.objects


OCR_PAGES: dict[Path, int] = {}
"""Pages of each PDF that kehoach's reader handed to OCR (a garbled text layer), as its warnings say."""


def read_kehoach(path: Path) -> None:
    from kehoach.pipeline.ingest import read_document

    document = read_document(path)
    OCR_PAGES[path] = sum("read by OCR" in warning for warning in document.source.warnings)


def text_layer_pdfs() -> list[Path]:
    """The PDFs kehoach reads without OCR (each read once here if the reader stage did not run)."""
    for path in PDFS:
        if path not in OCR_PAGES:
            read_kehoach(path)
    return [path for path in PDFS if OCR_PAGES[path] == 0]


READERS: list[tuple[str, Callable[[Path], None]]] = [
    ("pdftotext (poppler)", read_pdftotext),
    ("pypdfium2 get_text_range", read_pdfium),
    ("pdfplumber page.objects", read_pdfplumber),
    ("kehoach read_document", read_kehoach),
]


def bench_readers(repeats: int) -> None:
    pages = {path: page_count(path) for path in PDFS}
    total_pages = sum(pages.values())
    if shutil.which("pdftotext") is None:
        print("pdftotext not installed (apt-get install poppler-utils): its row is left out\n")
    readers = [r for r in READERS if r[1] is not read_pdftotext or shutil.which("pdftotext")]
    for _, read in readers:
        read(PDFS[0])  # warm-up: imports and lazily compiled tables are not reading
    per_file: dict[str, dict[Path, Cost]] = {
        name: {path: median_cost(lambda p=path, r=read: r(p), repeats) for path in PDFS} for name, read in readers
    }
    print(f"## PDF readers: {len(PDFS)} PDFs, {total_pages} pages, median of {repeats}\n")
    print("| reader | pages/s CPU | pages/s wall | × pdftotext (CPU) |")
    print("| --- | ---: | ---: | ---: |")
    text_layer = [path for path in PDFS if OCR_PAGES.get(path, 0) == 0]
    rows = [(name, costs, PDFS) for name, costs in per_file.items()]
    if len(text_layer) < len(PDFS):
        rows.append((f"{READERS[-1][0]}, PDFs read without OCR", per_file[READERS[-1][0]], text_layer))
    for name, costs, paths in rows:
        count = sum(pages[path] for path in paths)
        cpu, wall = sum(costs[path].cpu for path in paths), sum(costs[path].wall for path in paths)
        base = sum(per_file[READERS[0][0]][path].cpu for path in paths) if READERS[0][0] in per_file else 0
        ratio = f"{base / cpu:.2f}" if base else "n/a"
        print(f"| {name} | {count / cpu:.1f} | {count / wall:.1f} | {ratio} |")
    print("\nkehoach's reader per file (CPU includes Tesseract where a garbled page falls back to OCR):\n")
    print("| file | pages | OCR-ed pages | pages/s CPU | pages/s wall |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for path, cost in per_file[READERS[-1][0]].items():
        print(
            f"| {path.name} | {pages[path]} | {OCR_PAGES.get(path, 0)} | {pages[path] / cost.cpu:.1f} "
            f"| {pages[path] / cost.wall:.1f} |"
        )
    print()


def bench_extraction(repeats: int) -> None:
    from kehoach.extractors.extract import extract
    from kehoach.pipeline.ingest import read_document

    parsed = [read_document(p) for p in TEXTS]
    extract(parsed[0])  # warm-up: rule tables compile once per process
    characters = sum(len(p.content) for p in parsed)

    def extract_all() -> None:
        for document in parsed:
            extract(document)

    cost = median_cost(extract_all, repeats)
    print(f"## Extraction: {len(parsed)} dev texts, {characters:,} characters, median of {repeats}\n")
    print("| documents/s | characters/s CPU | characters/s wall |")
    print("| ---: | ---: | ---: |")
    print(f"| {len(parsed) / cost.wall:.1f} | {characters / cost.cpu:,.0f} | {characters / cost.wall:,.0f} |\n")


def run_ingest(folder: Path, db: Path, workers: int) -> tuple[float, ProcessTree]:
    """Wall seconds of one ``kehoach ingest``, and what its processes used."""
    command = [str(KEHOACH), "ingest", str(folder), "--db", str(db), "--workers", str(workers), "--no-progress"]
    began = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    with ProcessTree(process.pid) as tree:
        _, errors = process.communicate()
    wall = time.perf_counter() - began
    if process.returncode != 0:
        raise SystemExit(f"kehoach ingest failed ({process.returncode}): {errors.strip()[-2000:]}")
    return wall, tree


def bench_ingest(work: Path, copies: int, with_ocr: bool) -> Path:
    """Ingest one batch with 1 and 2 workers into fresh SQLite files; the 1-worker database is returned.

    The batch holds the PDFs read without OCR unless ``with_ocr``: the OCR of one document already runs a
    Tesseract process per core, so an OCR-bound batch measures Tesseract, not kehoach's workers.
    """
    sources = PDFS if with_ocr else text_layer_pdfs()
    batch = work / "batch"
    batch.mkdir()
    pages = 0
    for copy in range(copies):
        for source in sources:
            make_copy(source, batch / f"c{copy:03d}_{source.name}", copy)
            pages += page_count(source)
    documents = copies * len(sources)
    kind = "PDFs" if with_ocr else "text-layer PDFs"
    print(f"## End-to-end ingest into SQLite: {documents} {kind} ({copies} copies of {len(sources)}), {pages} pages\n")
    print("| workers | seconds | documents/s | pages/s | speed-up | CPU seconds, all processes | parent CPU s "
          "| peak RSS MB, largest process | tree |")  # fmt: skip
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    first: float | None = None
    for workers in (1, 2):
        db = work / f"ingest-{workers}.db"
        wall, tree = run_ingest(batch, db, workers)
        first = first or wall
        largest = max(tree.peaks.values(), default=0)
        print(
            f"| {workers} | {wall:.1f} | {documents / wall:.2f} | {pages / wall:.1f} | {first / wall:.2f} "
            f"| {sum(tree.cpu.values()):.1f} | {tree.cpu.get(tree.pid, 0):.1f} | {mb(largest)} "
            f"| {mb(tree.tree)} |"
        )
    print()
    return work / "ingest-1.db"


def wall_of(command: list[str], runs: int = 5) -> tuple[float, float]:
    walls = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
        walls.append(time.perf_counter() - began)
    return min(walls), statistics.median(walls)


def bench_startup(work: Path, db: Path) -> None:
    small = work / "small.txt"
    small.write_text(SMALL_PLAN, encoding="utf-8")
    commands = {
        "kehoach extract small.txt": ["extract", str(small)],
        "kehoach query (count of v_tasks)": ["query", "SELECT count(*) FROM v_tasks", "--db", str(db)],
        "kehoach db current": ["db", "current", "--db", str(db)],
        "kehoach --help": ["--help"],
    }
    print("## Start-up: wall seconds of a whole command, 5 runs\n")
    print("| command | best | median |")
    print("| --- | ---: | ---: |")
    for name, args in commands.items():
        best, median = wall_of([str(KEHOACH), *args])
        print(f"| {name} | {best:.2f} | {median:.2f} |")
    print()


def bench_ocr() -> None:
    from kehoach.pipeline.ingest import read_document
    from kehoach.pipeline.ingest.ocr import missing_ocr

    if not SCANNED:
        return
    reason = missing_ocr()
    if reason:
        print(f"## OCR: not measured ({reason})\n")
        return
    path = SCANNED[0]
    pages = page_count(path)
    cost = cost_of(lambda: read_document(path))
    print(f"## OCR: {path.name}, {pages} scanned pages, read_document (every page OCR-ed)\n")
    print("| seconds/page wall | pages/s wall | CPU seconds/page (with Tesseract) | CPUs |")
    print("| ---: | ---: | ---: | ---: |")
    print(f"| {cost.wall / pages:.2f} | {pages / cost.wall:.2f} | {cost.cpu / pages:.2f} | {os.cpu_count()} |\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs per reader and file, and extraction rounds")
    parser.add_argument("--copies", type=int, default=50, help="copies of each PDF in the ingest batch")
    parser.add_argument("--with-ocr", action="store_true", help="keep PDFs that fall back to OCR in the ingest batch")
    parser.add_argument("--skip", default="", help="comma-separated stages to leave out: readers,extraction,ingest,"
                        "startup,ocr")  # fmt: skip
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    load = os.getloadavg()[0]
    print(f"# kehoach speed, {os.cpu_count()} CPUs, load average {load:.2f} at the start\n")
    work = Path(tempfile.mkdtemp(prefix="kehoach-speed-"))
    try:
        if "readers" not in skip:
            bench_readers(args.repeats)
        if "extraction" not in skip:
            bench_extraction(args.repeats)
        db = bench_ingest(work, args.copies, args.with_ocr) if "ingest" not in skip else None
        if "startup" not in skip:
            if db is None:
                db = work / "ingest-1.db"
                run_ingest(Path(TEXTS[0]), db, 1)
            bench_startup(work, db)
        if "ocr" not in skip:
            bench_ocr()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"Peak RSS of this benchmark process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
