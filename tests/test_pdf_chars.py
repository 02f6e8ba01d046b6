"""pdfium characters in pdfminer's conventions: same words, same documents, marks, spaces, fallbacks, debug view."""

from __future__ import annotations

import functools
import io
import shutil
import subprocess
from pathlib import Path

import pdfplumber
import pypdfium2 as pdfium
import pytest
from kehoach.pipeline.cli import app
from kehoach.pipeline.debug_page import draw_page
from kehoach.pipeline.ingest import ocr, pdf
from kehoach.pipeline.ingest.ocr import missing_ocr
from kehoach.pipeline.ingest.pdf_chars import _kept_spaces, attach_marks, group_words, read_page
from kehoach.pipeline.ingest.pdf_fonts import font_descents
from pdfplumber.utils import extract_words
from PIL import Image
from typer.testing import CliRunner

CORPUS = Path(__file__).parent / "corpus"
PDF_000 = CORPUS / "dev-bin" / "000_8544ea3e62a3c3aa.pdf"
PDF_003 = CORPUS / "dev-bin" / "003_3286ee62c434ea9b.pdf"
DAKNONG = CORPUS / "real" / "daknong-kh-2024-mang-di-dong.pdf"
LAOCAI_CV = CORPUS / "real" / "laocai-cv-7432-ubnd-xd-2026.pdf"
GARBLED = CORPUS / "real" / "laocai-kh-1105-dkt-2026.pdf"
TEXT_LAYER = [PDF_000, PDF_003, DAKNONG, LAOCAI_CV]


def _pdfminer_read(path: Path) -> pdf.ParsedDocument:
    saved = pdf._read_pages
    pdf._read_pages = pdf._read_pages_pdfminer  # type: ignore[assignment]
    try:
        return pdf.read_pdf(path, path.read_bytes())
    finally:
        pdf._read_pages = saved  # type: ignore[assignment]


@functools.cache
def _pages(path: Path) -> list[tuple[pdf.CharPage | None, list[dict[str, object]]]]:
    """Per page: pdfium's page and pdfplumber's (pdfminer) words of the same page."""
    document = pdfium.PdfDocument(path)
    with pdfplumber.open(path) as plumber:
        return [(read_page(document, i), plumber.pages[i].extract_words()) for i in range(len(document))]


# --------------------------------------------------------------------------- whole documents


@pytest.mark.parametrize("path", TEXT_LAYER, ids=lambda p: p.name)
def test_pdf_chars_reader_gives_the_pdfminer_readers_document(path: Path) -> None:
    """The speed-up changes nothing downstream: same content, blocks, cells, spans and pages."""
    new = pdf.read_pdf(path, path.read_bytes())
    old = _pdfminer_read(path)
    assert new.content == old.content
    assert new.model_dump() == old.model_dump()


@pytest.mark.parametrize("path", TEXT_LAYER, ids=lambda p: p.name)
def test_pdf_chars_words_match_pdfminer_on_every_page(path: Path) -> None:
    for number, (page, plumber_words) in enumerate(_pages(path), start=1):
        assert page is not None
        ours = page.extract_words()
        assert [w["text"] for w in ours] == [w["text"] for w in plumber_words], f"page {number}"  # type: ignore[call-overload]
        for mine, theirs in zip(ours, plumber_words, strict=True):
            assert abs(mine["x0"] - theirs["x0"]) < 0.05 and abs(mine["top"] - theirs["top"]) < 0.05  # type: ignore[operator]


@pytest.mark.parametrize("path", TEXT_LAYER, ids=lambda p: p.name)
def test_pdf_chars_group_words_is_pdfplumbers_extract_words(path: Path) -> None:
    for page, _ in _pages(path):
        assert page is not None
        assert group_words(page.chars, return_chars=True) == extract_words(page.chars, return_chars=True)


def test_pdf_chars_tone_marked_letters_drawn_last_come_back_in_place() -> None:
    """LibreOffice draws letters missing from the main font at the line's end (FACTS: 30 % error in plain text)."""
    page, _ = _pages(PDF_000)[0]
    assert page is not None
    texts = [w["text"] for w in page.extract_words()]
    assert texts[texts.index("TỈNH") : texts.index("TỈNH") + 4] == ["TỈNH", "ỦY", "LẠNG", "SƠN"]
    assert "Lạng" in texts and "Lạn" not in texts


@pytest.mark.parametrize(
    "path, page, words",
    [
        (PDF_000, 1, ["như", "sau:"]),  # a real space pdfium turned into a generated one
        (PDF_000, 1, ["ở", "các"]),  # a space pdfium dropped after a fallback-font letter
        (PDF_003, 7, ["ở", "mức"]),
        (PDF_000, 5, ["Kế", "hoạch"]),
    ],
)
def test_pdf_chars_word_breaks_pdfium_lost_are_restored(path: Path, page: int, words: list[str]) -> None:
    char_page, _ = _pages(path)[page - 1]
    assert char_page is not None
    texts = [w["text"] for w in char_page.extract_words()]
    assert any(texts[i : i + len(words)] == words for i in range(len(texts)))
    assert "".join(words) not in texts


def test_pdf_chars_line_end_hyphen_is_printed() -> None:
    """pdfium reports a hyphen that ends a line as U+FFFE; the text keeps the hyphen ("i-" / "Speed")."""
    page, _ = _pages(DAKNONG)[1]
    assert page is not None
    assert "i-" in [w["text"] for w in page.extract_words()]


def test_pdf_chars_ruling_lines_give_the_tables() -> None:
    page, _ = _pages(PDF_000)[4]
    assert page is not None and page.edges
    tables = page.find_tables()
    assert len(tables) == 1 and len(tables[0].columns) == 5
    assert tables[0].extract()[0][:2] == ["Thời gian", "Nội dung nhiệm vụ"]
    assert not _pages(PDF_003)[0][0].find_tables()  # type: ignore[union-attr]


def test_pdf_chars_garbled_text_layer_still_detected() -> None:
    page, _ = _pages(GARBLED)[0]
    assert page is not None
    assert pdf._needs_ocr(page, pdf._words(page, [])) == "garbled text layer"  # type: ignore[arg-type]


def test_pdf_chars_rotated_page_falls_back_to_pdfminer() -> None:
    document = pdfium.PdfDocument(LAOCAI_CV)
    document[1].set_rotation(90)
    buffer = io.BytesIO()
    document.save(buffer)
    before = pdf.PDFIUM_STATS["pdfminer"]
    parsed = pdf.read_pdf(LAOCAI_CV, buffer.getvalue())
    assert pdf.PDFIUM_STATS["pdfminer"] == before + 1
    assert {b.page for b in parsed.blocks} == {1, 2}
    assert "ỦY BAN NHÂN DÂN" in parsed.content


def test_pdf_chars_corpus_pdfs_need_no_pdfminer_page() -> None:
    before = pdf.PDFIUM_STATS["pdfminer"]
    for path in TEXT_LAYER:
        pdf.read_pdf(path, path.read_bytes())
    assert pdf.PDFIUM_STATS["pdfminer"] == before


# --------------------------------------------------------------------------- rules


def _char(text: str, x0: float, x1: float, top: float = 100.0, size: float = 13.0) -> dict[str, object]:
    return {
        "text": text,
        "x0": x0,
        "x1": x1,
        "top": top,
        "doctop": top,
        "bottom": top + size,
        "size": size,
        "baseline": top + size,
        "upright": True,
        "fontname": "LiberationSerif",
    }


def test_pdf_chars_combining_mark_joins_the_letter_under_it_nfc() -> None:
    chars = [
        _char("K", 10, 19),
        _char("e", 19, 25),
        _char("t", 25, 29),
        _char("\u0302", 19.5, 24),
        _char("\u0301", 20, 24),
    ]
    assert [c["text"] for c in attach_marks(chars)] == ["K", "ế", "t"]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "x, kept",
    [
        (222.92, True),  # at the end of "ư", 3.5 pt before "s": a space
        (213.93, False),  # at the origin of "ư": inside the word
        (217.0, False),  # inside the letter "ư"
    ],
)
def test_pdf_chars_generated_space_kept_only_where_a_gap_opens(x: float, kept: bool) -> None:
    line = [_char("h", 206.93, 213.93), _char("ư", 213.93, 223.56), _char("s", 226.42, 231.86)]
    result = _kept_spaces({113: line}, [(x, 113.0, 13.0)])  # type: ignore[dict-item]
    assert bool(result) is kept


# --------------------------------------------------------------------------- debug view


def test_pdf_chars_debug_page_draws_words_lines_and_cells(tmp_path: Path) -> None:
    out = tmp_path / "page5.png"
    view = draw_page(PDF_000, 5, out)
    assert view.tables == 1 and view.cells > 20 and view.edges > 0 and view.words > 10
    with Image.open(out) as image:
        assert image.width > 800 and image.format == "PNG"
        colours = {colour for _, colour in image.convert("RGB").getcolors(1 << 20) or []}
    assert (192, 20, 192) in colours or any(r > 150 and g < 80 and b > 150 for r, g, b in colours)  # cell borders


def test_pdf_chars_debug_page_command(tmp_path: Path) -> None:
    runner = CliRunner()
    done = runner.invoke(app, ["debug-page", str(PDF_003), "1", "--png", str(tmp_path / "p1.png")])
    assert done.exit_code == 0, done.output
    assert "in columns" in done.output and (tmp_path / "p1.png").stat().st_size > 10_000
    missing = runner.invoke(app, ["debug-page", str(PDF_003), "99", "--png", str(tmp_path / "p99.png")])
    assert missing.exit_code == 1 and "no page 99" in missing.output


# --------------------------------------------------------------------------- OCR through the pool


@pytest.mark.ocr
@pytest.mark.skipif(missing_ocr() is not None, reason=f"OCR unavailable: {missing_ocr()}")
def test_pdf_chars_ocr_pool_reads_what_one_run_per_cell_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages rendered by pdfium, tables from pdfium's lines, pages side by side with their cells in one run:
    the same document as pdfminer's pages OCR-ed one after the other, one Tesseract run per cell."""
    pooled = pdf.read_pdf(GARBLED, GARBLED.read_bytes())

    def one_run_per_cell(path, pages, needing, warnings, prepare):  # type: ignore[no-untyped-def]
        with pdfplumber.open(path) as plumber:
            for number, problem in needing:
                pages[number - 1] = pdf._ocr_page(plumber.pages[number - 1], path)
                warnings.append(f"page {number} read by OCR (tesseract -l vie): {problem}")

    monkeypatch.setattr(pdf, "_ocr_pages", one_run_per_cell)
    separate = _pdfminer_read(GARBLED)
    assert pooled.source.format == "pdf-ocr" and any(b.kind == "table_row" for b in pooled.blocks)
    assert pooled.model_dump() == separate.model_dump()


@pytest.mark.parametrize("path, number", [(GARBLED, 1), (CORPUS / "dev-bin" / "003_3286ee62c434ea9b.scanned.pdf", 2)])
def test_pdf_chars_render_page_is_pdfplumbers_picture(path: Path, number: int) -> None:
    document = pdfium.PdfDocument(path)
    try:
        ours = pdf.render_page(document, number - 1)
    finally:
        document.close()
    with pdfplumber.open(path) as plumber:
        theirs = ocr.render(plumber.pages[number - 1])
    assert ours.size == theirs.size and ours.mode == theirs.mode == "L"
    assert ours.tobytes() == theirs.tobytes()


# --------------------------------------------------------------------------- font descriptors, held-out renderings


@pytest.mark.parametrize(
    "path, font, descent",
    [
        (
            PDF_000,
            "BAAAAA+LiberationSerif",
            0.0,
        ),  # LibreOffice writes Descent 0; pdfium would answer from the font file
        (PDF_000, "DejaVuSerif", 0.0),  # pdfium names some fonts without their subset tag
        (DAKNONG, "BCDEEE+TimesNewRomanPSMT", -216.0),
    ],
)
def test_pdf_chars_font_descents_are_the_descriptors(path: Path, font: str, descent: float) -> None:
    assert font_descents(path.read_bytes())[font] == descent


def test_pdf_chars_font_descents_of_a_damaged_file_are_empty() -> None:
    assert font_descents(b"%PDF-1.7\nnot a pdf") == {}


def _render_docx(docx: Path, out: Path) -> Path:
    profile = out / "profile"
    subprocess.run(
        [
            "soffice",
            "--headless",
            f"-env:UserInstallation=file://{profile}",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(docx),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    return out / (docx.stem + ".pdf")


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
@pytest.mark.parametrize(
    "docx",
    [
        CORPUS / "real" / "lamdong-tb-ubnd-2026-ket-luan-hoi-nghi-cchc.docx",
        CORPUS / "real" / "laocai-kh-ct11-khoang-san-du-thao.docx",
    ],
    ids=lambda p: p.name,
)
def test_pdf_chars_fresh_libreoffice_rendering_reads_as_pdfminer_reads_it(docx: Path, tmp_path: Path) -> None:
    """PDFs the rules were not written on: glyphs mapped to letter + mark, descriptor descents of 0, font switches."""
    rendering = _render_docx(docx, tmp_path)
    new = pdf.read_pdf(rendering, rendering.read_bytes())
    assert new.model_dump() == _pdfminer_read(rendering).model_dump()
