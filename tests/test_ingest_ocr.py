"""OCR of scanned pages and of pages whose text layer is garbled (Tesseract, Vietnamese model)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pdfplumber
import pytest
from kehoach.pipeline.errors import MissingDependencyError
from kehoach.pipeline.ingest import ocr, pdf
from kehoach.pipeline.ingest.ocr import missing_ocr, parse_tsv

try:
    from tests.fidelity import read
except ModuleNotFoundError:  # pytest puts tests/ itself on sys.path
    from fidelity import read  # type: ignore[no-redef]

CORPUS = Path(__file__).parent / "corpus"
SCANNED = CORPUS / "dev-bin" / "003_3286ee62c434ea9b.scanned.pdf"
GARBLED = CORPUS / "real" / "laocai-kh-1105-dkt-2026.pdf"
CLEAN = CORPUS / "dev-bin" / "003_3286ee62c434ea9b.pdf"

skip_without_ocr = pytest.mark.skipif(missing_ocr() is not None, reason=f"OCR unavailable: {missing_ocr()}")


def _words_of_page(path: Path, number: int) -> tuple[pdfplumber.page.Page, list[pdf.Word]]:
    document = pdfplumber.open(path)
    page = document.pages[number - 1]
    return page, pdf._words(page, [])


@pytest.mark.parametrize(
    "path, page, problem",
    [
        (GARBLED, 1, "garbled text layer"),
        (GARBLED, 2, "garbled text layer"),
        (SCANNED, 1, "no text layer"),
        (CLEAN, 1, None),
        (CLEAN, 5, None),
    ],
)
def test_ocr_page_needing_ocr_detected(path: Path, page: int, problem: str | None) -> None:
    plumber_page, words = _words_of_page(path, page)
    assert pdf._needs_ocr(plumber_page, words) == problem


@pytest.fixture
def no_tesseract(monkeypatch: pytest.MonkeyPatch):
    ocr.missing_ocr.cache_clear()
    monkeypatch.setattr(ocr.shutil, "which", lambda name: None)
    yield
    ocr.missing_ocr.cache_clear()


@pytest.mark.parametrize("path", [SCANNED, GARBLED])
def test_ocr_missing_tesseract_names_debian_package(no_tesseract: None, path: Path) -> None:
    from kehoach.pipeline.ingest import read_document

    with pytest.raises(MissingDependencyError, match="tesseract-ocr-vie"):
        read_document(path)


def test_ocr_missing_vietnamese_model_named(monkeypatch: pytest.MonkeyPatch) -> None:
    ocr.missing_ocr.cache_clear()
    monkeypatch.setattr(ocr.shutil, "which", lambda name: "/usr/bin/tesseract")
    monkeypatch.setattr(
        ocr.subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(a, 0, "List of languages:\neng\nosd\n", "")
    )
    try:
        reason = missing_ocr()
    finally:
        ocr.missing_ocr.cache_clear()
    assert reason is not None and "vie" in reason and "tesseract-ocr-vie" in reason


def test_ocr_minority_of_unreadable_pages_left_out_with_warning(
    no_tesseract: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = pdf._needs_ocr
    monkeypatch.setattr(
        pdf, "_needs_ocr", lambda page, words: "garbled text layer" if page.page_number == 3 else real(page, words)
    )
    document = pdf.read_pdf(CLEAN, CLEAN.read_bytes())
    assert document.source.format == "pdf"
    assert {b.page for b in document.blocks} == {1, 2, 4, 5, 6, 7, 8}
    assert any("page 3 left out: garbled text layer" in w for w in document.source.warnings)


def test_ocr_parse_tsv_scales_boxes_and_drops_specks() -> None:
    header = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
    rows = [
        "4\t1\t1\t1\t1\t0\t100\t200\t900\t60\t-1\t",
        "5\t1\t1\t1\t1\t1\t100\t210\t300\t40\t96.5\tKẾ",
        "5\t1\t1\t1\t1\t2\t500\t215\t400\t35\t91.0\tHOẠCH",
        "5\t1\t1\t1\t1\t3\t950\t215\t10\t10\t12.0\t~",
    ]
    words = parse_tsv("\n".join([header, *rows]), scale=0.24)
    assert [w.text for w in words] == ["KẾ", "HOẠCH"]
    assert words[0].x0 == pytest.approx(24.0) and words[0].x1 == pytest.approx(96.0)
    assert words[1].top == pytest.approx(48.0) and words[1].bottom == pytest.approx(62.4)


@pytest.mark.ocr
@skip_without_ocr
def test_ocr_scanned_pdf_read_as_pdf_ocr() -> None:
    document = read(SCANNED)
    assert document.source.format == "pdf-ocr"
    assert document.source.pages == 2
    assert [w.split(" read by OCR")[0] for w in document.source.warnings] == ["page 1", "page 2"]
    assert {b.page for b in document.blocks} == {1, 2}
    texts = [document.text_of(b.span) for b in document.blocks]
    assert texts.index("UBND TỈNH LẠNG SƠN") < texts.index("SỞ XÂY DỰNG") < texts.index("Độc lập - Tự do - Hạnh phúc")
    assert "Thực hiện Quyết định số 197/QĐ-UBND ngày 25/01/2022" in document.content


@pytest.mark.ocr
@skip_without_ocr
def test_ocr_garbled_text_layer_replaced_never_passed_on() -> None:
    document = read(GARBLED)
    assert document.source.format == "pdf-ocr"
    assert len([w for w in document.source.warnings if "garbled text layer" in w]) == 6
    assert "(cid:" not in document.content and "WKLӃW" not in document.content
    assert "Hồ sơ thiết kế và các văn bản pháp lý" in document.content
    cells = [c.text for b in document.blocks if b.kind == "table_row" for c in b.cells]
    assert any(cell.startswith("Gói thầu số 15: Thi công công trình đường kết nối") for cell in cells)


@pytest.mark.ocr
@skip_without_ocr
def test_ocr_pages_side_by_side_give_the_document_one_at_a_time_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    from kehoach.pipeline.ingest import ocr_pool, read_document

    monkeypatch.setenv(ocr_pool.WORKERS_VARIABLE, "1")
    one = read_document(SCANNED)
    monkeypatch.setenv(ocr_pool.WORKERS_VARIABLE, "2")
    two = read_document(SCANNED)
    assert two.content == one.content and two.source.warnings == one.source.warnings
    assert [b.page for b in two.blocks] == sorted(b.page for b in two.blocks)  # pages come back in order
