"""OCR on every core: one Tesseract run per page (cells included), pages side by side, in order."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pdfplumber
import pytest
from kehoach.pipeline.errors import IngestError
from kehoach.pipeline.ingest import ocr, ocr_pool
from kehoach.pipeline.ingest.ocr import missing_ocr, split_frames
from kehoach.pipeline.ingest.ocr_pool import PageJob, PageOcr
from PIL import Image, ImageDraw

CORPUS = Path(__file__).parent / "corpus"
SCANNED = CORPUS / "dev-bin" / "003_3286ee62c434ea9b.scanned.pdf"
GARBLED = CORPUS / "real" / "laocai-kh-1105-dkt-2026.pdf"
TABLE_PAGE = 4
"""The Lào Cai plan's page with the ruled table of inspected units (22 cells)."""

skip_without_ocr = pytest.mark.skipif(missing_ocr() is not None, reason=f"OCR unavailable: {missing_ocr()}")
HEADER = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"


# --------------------------------------------------------------------------- unit rules


def test_ocr_pool_split_frames_by_page_num() -> None:
    rows = [
        "5\t1\t1\t1\t1\t1\t0\t0\t9\t9\t95\tmột",
        "5\t3\t1\t1\t1\t1\t0\t0\t9\t9\t95\tba",
        "5\t7\t1\t1\t1\t1\t0\t0\t9\t9\t95\tx",
    ]
    frames = split_frames("\n".join([HEADER, *rows]), 3)
    assert [frame.splitlines()[0] for frame in frames] == [HEADER] * 3
    assert [[line.split("\t")[-1] for line in frame.splitlines()[1:]] for frame in frames] == [["một"], [], ["ba"]]


def test_ocr_pool_cell_crop_skips_empty_and_tiny_cells() -> None:
    scale = ocr.RESOLUTION / 72.0
    image = Image.new("L", (int(200 * scale), int(100 * scale)), 255)
    ImageDraw.Draw(image).rectangle((int(20 * scale), int(20 * scale), int(40 * scale), int(30 * scale)), fill=0)
    inked, blank, tiny = (10.0, 10.0, 60.0, 50.0), (100.0, 10.0, 190.0, 50.0), (20.0, 20.0, 21.0, 21.0)
    crops = ocr.cell_crops(image, [inked, blank, tiny, inked])
    assert list(crops) == [inked]
    crop, (left, top) = crops[inked]
    assert left > 10.0 and top > 10.0 and crop.size[0] < (60 - 10) * scale


def test_ocr_pool_cell_words_mapped_back_by_frame_and_offset(monkeypatch: pytest.MonkeyPatch) -> None:
    scale = ocr.RESOLUTION / 72.0
    image = Image.new("L", (int(300 * scale), int(100 * scale)), 255)
    draw = ImageDraw.Draw(image)
    left, right, empty = (10.0, 10.0, 100.0, 60.0), (110.0, 10.0, 200.0, 60.0), (210.0, 10.0, 290.0, 60.0)
    for x in (30, 130):
        draw.rectangle((int(x * scale), int(30 * scale), int((x + 20) * scale), int(40 * scale)), fill=0)
    frames: list[int] = []

    def fake_tesseract(data: bytes, path: str | Path, page: int) -> str:
        frames.append(Image.open(io.BytesIO(data)).n_frames)
        return "\n".join([HEADER, *(f"5\t{n}\t1\t1\t1\t1\t0\t0\t{int(10 * scale)}\t9\t95\tô{n}" for n in (1, 2))])

    monkeypatch.setattr(ocr, "run_tesseract", fake_tesseract)
    cells = ocr.ocr_cells(image, [left, right, empty, left], "t.pdf", 1)
    assert frames == [2]  # two inked cells, one run
    assert [w.text for w in cells[left]] == ["ô1"] and [w.text for w in cells[right]] == ["ô2"] and cells[empty] == []
    assert left[0] < cells[left][0].x0 < left[0] + 2 and right[0] < cells[right][0].x0 < right[0] + 2
    assert cells[left][0].x1 - cells[left][0].x0 == pytest.approx(10.0, abs=0.5)


def test_ocr_pool_masks_painted_white() -> None:
    scale = ocr.RESOLUTION / 72.0
    image = Image.new("L", (int(100 * scale), int(100 * scale)), 0)
    masked = ocr_pool._masked(image, [(10.0, 10.0, 50.0, 50.0)])
    assert masked.getpixel((int(30 * scale), int(30 * scale))) == 255
    assert masked.getpixel((int(70 * scale), int(70 * scale))) == 0
    assert image.getpixel((int(30 * scale), int(30 * scale))) == 0  # the caller's image is untouched


def test_ocr_pool_tesseract_single_threaded(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, str] = {}

    def fake_run(command: list[str], **kwargs: object) -> object:
        seen.update(kwargs["env"])  # type: ignore[arg-type]
        return type("Done", (), {"returncode": 0, "stdout": HEADER.encode(), "stderr": b""})()

    monkeypatch.delenv("OMP_THREAD_LIMIT", raising=False)
    monkeypatch.setattr(ocr.subprocess, "run", fake_run)
    assert ocr.run_tesseract(b"", "x.pdf", 1) == HEADER
    assert seen["OMP_THREAD_LIMIT"] == "1"


def test_ocr_pool_workers_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ocr_pool.WORKERS_VARIABLE, "3")
    assert ocr_pool.default_workers() == 3
    monkeypatch.setenv(ocr_pool.WORKERS_VARIABLE, "zero")
    assert ocr_pool.default_workers() >= 1


class _FakeTesseract:
    """Stands in for :func:`ocr_pool.ocr_page`: records how many pages run at once."""

    def __init__(self, fail: int | None = None) -> None:
        self.lock = threading.Lock()
        self.active = self.peak = 0
        self.started: list[int] = []
        self.fail = fail

    def __call__(self, job: PageJob, path: str | Path) -> PageOcr:
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
            self.started.append(job.number)
        time.sleep(0.05)
        with self.lock:
            self.active -= 1
        if job.number == self.fail:
            raise IngestError(path, f"OCR of page {job.number} failed: test")
        return PageOcr(number=job.number, words=[])


def _jobs(count: int, pulled: list[int]) -> Iterator[PageJob]:
    for number in range(1, count + 1):
        pulled.append(number)
        yield PageJob(number, Image.new("L", (8, 8), 255))


def test_ocr_pool_pages_in_order_on_every_worker_lazily(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _FakeTesseract()
    monkeypatch.setattr(ocr_pool, "ocr_page", fake)
    pulled: list[int] = []
    results = ocr_pool.ocr_pages(_jobs(12, pulled), "scan.pdf", workers=2)
    first_job, first = next(results)
    assert first_job.number == first.number == 1
    assert len(pulled) <= 2 + 2  # rendering follows the workers: no scan held in memory
    rest = [result.number for _, result in results]
    assert rest == list(range(2, 13))
    assert fake.peak == 2


def test_ocr_pool_page_error_raised_later_pages_not_started(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _FakeTesseract(fail=2)
    monkeypatch.setattr(ocr_pool, "ocr_page", fake)
    pulled: list[int] = []
    done: list[int] = []
    with pytest.raises(IngestError, match="page 2"):
        for job, _ in ocr_pool.ocr_pages(_jobs(40, pulled), "scan.pdf", workers=2):
            done.append(job.number)
    assert done == [1]
    assert len(fake.started) < 10 and len(pulled) < 10


# --------------------------------------------------------------------------- real pages


TablePage = tuple[Image.Image, list[tuple[float, float, float, float]], tuple[float, ...]]


def _texts(cells: dict[tuple[float, float, float, float], list[ocr.Word]]) -> dict[object, list[str]]:
    return {cell: [w.text for w in words] for cell, words in cells.items()}


@pytest.fixture
def tesseract_runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The page number of every Tesseract process started during the test."""
    runs: list[int] = []
    real = ocr.run_tesseract
    monkeypatch.setattr(ocr, "run_tesseract", lambda data, path, page: runs.append(page) or real(data, path, page))
    return runs


@pytest.fixture(scope="module")
def table_page() -> Iterator[TablePage]:
    with pdfplumber.open(GARBLED) as document:
        page = document.pages[TABLE_PAGE - 1]
        tables = [t for t in page.find_tables() if len(t.columns) >= 2]
        cells = [cell for table in tables for cell in table.cells]
        yield ocr.render(page), cells, tables[0].bbox


@pytest.mark.ocr
@skip_without_ocr
def test_ocr_pool_cells_in_one_run_read_as_one_run_per_cell(table_page: TablePage, tesseract_runs: list[int]) -> None:
    image, cells, _ = table_page
    assert len(cells) >= 10
    runs = tesseract_runs
    batched = ocr.ocr_cells(image, cells, GARBLED, TABLE_PAGE)
    assert runs == [TABLE_PAGE]
    separate = {cell: ocr.ocr_region(image, cell, GARBLED, TABLE_PAGE) for cell in cells}
    assert len(runs) > 10
    assert _texts(batched) == _texts(separate)
    for cell, words in batched.items():  # boxes land inside their own cell, in page coordinates
        assert all(cell[0] - 1 <= w.x0 and w.x1 <= cell[2] + 1 for w in words)
    texts = [" ".join(w.text for w in words) for words in batched.values()]
    assert any(text.startswith("Gói thầu số 15: Thi công công trình đường kết nối") for text in texts)


@pytest.mark.ocr
@skip_without_ocr
def test_ocr_pool_table_page_one_run_page_words_outside_table(table_page: TablePage, tesseract_runs: list[int]) -> None:
    image, cells, table_box = table_page
    runs = tesseract_runs
    result = ocr_pool.ocr_page(PageJob(TABLE_PAGE, image, cells=cells, masks=[table_box]), GARBLED)
    assert runs == [TABLE_PAGE]
    x0, top, x1, bottom = table_box
    inside = [w for w in result.words if x0 <= (w.x0 + w.x1) / 2 <= x1 and top <= (w.top + w.bottom) / 2 <= bottom]
    assert inside == [] and len(result.words) >= 5  # the text above and below the table is still read
    assert sum(1 for words in result.cells.values() if words) >= len(cells) // 2
    assert result.cell(cells[0]) == result.cells[tuple(cells[0])]


@pytest.mark.ocr
@skip_without_ocr
def test_ocr_pool_scan_pages_in_parallel_same_words_as_one_by_one() -> None:
    with pdfplumber.open(SCANNED) as document:
        images = [ocr.render(page) for page in document.pages]
    parallel = list(ocr_pool.ocr_pages((PageJob(n, im) for n, im in enumerate(images, 1)), SCANNED, workers=2))
    assert [job.number for job, _ in parallel] == [1, 2]
    serial = [ocr.ocr_image(image, SCANNED, number) for number, image in enumerate(images, 1)]
    assert [[w.text for w in result.words] for _, result in parallel] == [[w.text for w in ws] for ws in serial]
    first_page = " ".join(w.text for w in parallel[0][1].words)
    assert "UBND TỈNH LẠNG SƠN" in first_page and "Quyết định số 197/QĐ-UBND" in first_page
