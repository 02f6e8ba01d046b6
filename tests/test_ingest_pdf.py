"""PDF reader: reading order, letterhead columns, running lines, tables, paragraphs, bad files."""

from __future__ import annotations

import functools
import io
from pathlib import Path

import pytest
from kehoach.models.document import Block, ParsedDocument
from kehoach.pipeline.errors import DamagedFileError, EmptyDocumentError, EncryptedFileError, UnsupportedFormatError
from kehoach.pipeline.ingest import read_document
from kehoach.pipeline.ingest.pdf import PAGE_NUMBER, _is_continuation
from kehoach.pipeline.ingest.pdf_layout import Line, Word, join_wrapped, marker_of, order_columns
from PIL import Image

CORPUS = Path(__file__).parent / "corpus"
PDF_000 = CORPUS / "dev-bin" / "000_8544ea3e62a3c3aa.pdf"
PDF_003 = CORPUS / "dev-bin" / "003_3286ee62c434ea9b.pdf"
DAKNONG = CORPUS / "real" / "daknong-kh-2024-mang-di-dong.pdf"
LAOCAI_CV = CORPUS / "real" / "laocai-cv-7432-ubnd-xd-2026.pdf"
ENCRYPTED = Path(__file__).parent / "data" / "pdf" / "encrypted.pdf"


@functools.cache
def parsed(path: Path) -> ParsedDocument:
    return read_document(path)


def texts(document: ParsedDocument, kind: str | None = None) -> list[str]:
    return [document.text_of(b.span) for b in document.blocks if kind is None or b.kind == kind]


def index_of(document: ParsedDocument, text: str) -> int:
    found = [i for i, t in enumerate(texts(document)) if t == text]
    assert found, f"no block {text!r}"
    return found[0]


def rows(document: ParsedDocument) -> list[Block]:
    return [b for b in document.blocks if b.kind == "table_row"]


# --------------------------------------------------------------------------- whole documents


@pytest.mark.parametrize("path, pages", [(PDF_000, 7), (PDF_003, 8), (DAKNONG, 8), (LAOCAI_CV, 2)])
def test_pdf_source_pages_and_block_pages(path: Path, pages: int) -> None:
    document = parsed(path)
    assert document.source.format == "pdf"
    assert document.source.pages == pages
    assert all(b.page is not None and 1 <= b.page <= pages for b in document.blocks)
    assert [b.page for b in document.blocks] == sorted(b.page for b in document.blocks)  # type: ignore[type-var]
    for block in document.blocks:
        if block.kind != "table_row":
            assert document.text_of(block.span).strip() == document.text_of(block.span) != ""
        for cell in block.cells:
            assert document.text_of(cell.span) == cell.text


@pytest.mark.parametrize(
    "path, left, right",
    [
        (PDF_000, ["TỈNH ỦY LẠNG SƠN", "BAN CHỈ ĐẠO CÔNG TÁC LẬP"], ["ĐẢNG CỘNG SẢN VIỆT NAM"]),
        (PDF_003, ["UBND TỈNH LẠNG SƠN", "SỞ XÂY DỰNG", "Số: 20/KH - SXD"], ["Độc lập - Tự do - Hạnh phúc"]),
        (LAOCAI_CV, ["ỦY BAN NHÂN DÂN", "TỈNH LÀO CAI", "Số: /UBND-XD"], ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"]),
    ],
)
def test_pdf_letterhead_columns_are_separate_blocks_left_first(path: Path, left: list[str], right: list[str]) -> None:
    document = parsed(path)
    left_at = [index_of(document, text) for text in left]
    right_at = [index_of(document, text) for text in right]
    assert left_at == sorted(left_at)
    assert max(left_at) < min(right_at)


def test_pdf_place_and_date_is_one_block_after_the_motto() -> None:
    document = parsed(PDF_003)
    assert index_of(document, "Lạng Sơn, ngày 18 tháng 02 năm 2022") > index_of(document, "Độc lập - Tự do - Hạnh phúc")


@pytest.mark.parametrize("path", [PDF_000, PDF_003, DAKNONG])
def test_pdf_page_numbers_dropped(path: Path) -> None:
    assert not [t for t in texts(parsed(path)) if t.isdigit()]


def test_pdf_foreign_running_header_dropped() -> None:
    content = parsed(DAKNONG).content
    assert "VIETTEL" not in content
    assert "Lần ban hành" not in content
    assert "Căn cứ Quyết định số 1110/QĐ-BTTTT" in content


def test_pdf_paragraph_joined_across_page_break() -> None:
    document = parsed(PDF_000)
    block = next(
        b for b in document.blocks if document.text_of(b.span).startswith("Việc triển khai thực hiện công tác")
    )
    text = document.text_of(block.span)
    assert "thủ tục lập, thẩm định và trình phê duyệt" in text
    assert text.endswith("các đơn vị liên quan.")
    assert block.page == 1


def test_pdf_wrapped_lines_joined_and_list_items_kept_apart() -> None:
    document = parsed(PDF_003)
    items = {document.text_of(b.span): b for b in document.blocks}
    text = (
        "b) Đơn vị thực hiện: Phòng Quy hoạch - Kiến trúc và Phát triển đô thị; "
        "Đơn vị Tư vấn: Công ty cổ phần kiến trúc, đầu tư và thương mại Việt Nam;"
    )
    assert items[text].kind == "list_item" and items[text].marker == "b)"
    assert items["d) Thời gian thực hiện:"].marker == "d)"
    dashes = [b for b in document.blocks if b.marker == "-"]
    assert dashes and all(document.text_of(b.span).startswith("- ") for b in dashes)
    assert items["I. MỤC ĐÍCH, YÊU CẦU"].kind == "heading"


def test_pdf_centered_title_lines_joined() -> None:
    assert "Tổ chức lập Quy hoạch tỉnh Lạng Sơn thời kỳ 2021 - 2030, tầm nhìn đến năm 2050" in texts(parsed(PDF_000))


# --------------------------------------------------------------------------- tables


def test_pdf_table_rows_with_header_flag_and_merged_header_cell() -> None:
    document = parsed(PDF_000)
    table = rows(document)
    headers = [b for b in table if b.header]
    assert [c.text for c in headers[0].cells] == ["Thời gian", "Nội dung nhiệm vụ", "Phân công", "Ghi chú"]
    assert [c.col_span for c in headers[0].cells] == [1, 1, 2, 1]
    assert [c.text for c in headers[1].cells][2:4] == ["Chủ trì", "Phối hợp, thực hiện"]
    assert all(b.table == 0 for b in table)


def test_pdf_table_header_repeated_on_later_pages_dropped() -> None:
    table = rows(parsed(PDF_000))
    assert sum(1 for b in table if b.cells[0].text == "Thời gian") == 1
    assert {b.page for b in table} == {5, 6, 7}


def test_pdf_table_row_split_over_page_break_joined() -> None:
    document = parsed(PDF_000)
    cells = [c.text for b in rows(document) for c in b.cells]
    assert "- Họp cho ý kiến thống nhất các nội dung Dự thảo Báo cáo Quy hoạch tỉnh Lạng Sơn (dự thảo lần 1)" in cells
    july = next(b for b in rows(document) if b.cells[0].text == "Tháng 7-8/2022")
    assert july.cells[1].text.endswith("cơ quan, tổ chức có liên quan... theo quy định.")
    assert july.page == 6


def test_pdf_table_cell_wrapped_after_hyphen_joined() -> None:
    cells = [c.text for b in rows(parsed(PDF_000)) for c in b.cells]
    assert "Hoàn thiện Hồ sơ trình Hội đồng thẩm định quy hoạch tỉnh thời kỳ 2021-2030, tầm nhìn đến năm 2050." in cells


def test_pdf_table_text_not_repeated_as_paragraphs() -> None:
    document = parsed(PDF_000)
    assert document.content.count("Giai đoạn 1 - Thu thập dữ liệu") == 1
    assert not [t for t in texts(document, "paragraph") if "Cơ quan thường trực" in t]


def test_pdf_table_continues_on_landscape_pages_with_row_continuation() -> None:
    document = parsed(DAKNONG)
    table = rows(document)
    row_7 = next(b for b in table if b.cells[0].text == "7")
    assert "Gia Nghĩa" in row_7.cells[3].text  # the cell's end is on page 8
    assert len({b.table for b in table}) == 1
    assert [b.cells[0].text for b in table if b.cells[0].text.isdigit()] == [str(n) for n in range(1, 8)]


# --------------------------------------------------------------------------- rules


@pytest.mark.parametrize(
    "line, marker",
    [
        ("I. MỤC ĐÍCH, YÊU CẦU", "I."),
        ("II- NỘI DUNG", "II-"),
        ("1. Mục đích", "1."),
        ("1.1. Đồ án Điều chỉnh", "1.1."),
        ("1.2.1 Nâng cao chất lượng", "1.2.1"),
        ("a) Nội dung thực hiện", "a)"),
        ("đ) Hoạt động chính", "đ)"),
        ("- Trình HĐND tỉnh", "-"),
        ("+ Sở Tài chính", "+"),
        ("Điều 3. Hiệu lực", "Điều 3."),
        ("01 tháng 7 năm 2028 theo yêu cầu", None),
        ("1.000 ha đất rừng", None),
        ("2030, tầm nhìn đến năm 2050", None),
        ("Nhằm cụ thể hóa", None),
    ],
)
def test_pdf_layout_marker_of(line: str, marker: str | None) -> None:
    assert marker_of(line) == marker


@pytest.mark.parametrize(
    "parts, joined",
    [
        (["thời kỳ 2021-", "2030"], "thời kỳ 2021-2030"),
        (["ứng dụng i-", "Speed"], "ứng dụng i-Speed"),
        (["Giai đoạn 1 -", "Thu thập"], "Giai đoạn 1 - Thu thập"),
        (["Cơ quan thường trực", "BCĐ"], "Cơ quan thường trực BCĐ"),
    ],
)
def test_pdf_layout_join_wrapped(parts: list[str], joined: str) -> None:
    assert join_wrapped(parts) == joined


@pytest.mark.parametrize(
    "text, is_number", [("1", True), ("- 2 -", True), ("Trang 3", True), ("3/8", True), ("2025 là", False)]
)
def test_pdf_page_number_pattern(text: str, is_number: bool) -> None:
    assert bool(PAGE_NUMBER.match(text)) is is_number


@pytest.mark.parametrize(
    "row, expected",
    [
        (["", "thảo Báo cáo Quy hoạch", "", "", ""], True),
        (["", "", "", "", "", "- Xây dựng các trạm gốc"], True),
        (["", "- Định hướng về cấu trúc", "UBND tỉnh", "Các sở, ban, ngành", ""], False),
        (["3", "Giai đoạn 3", "", "", ""], False),
    ],
)
def test_pdf_table_continuation_row(row: list[str | None], expected: bool) -> None:
    assert _is_continuation(row) is expected


def _line(page: int, top: float, *spans: tuple[str, float]) -> Line:
    words = []
    for text, x0 in spans:
        x = x0
        for token in text.split():
            words.append(Word(token, x, x + 7 * len(token), top, top + 13))
            x += 7 * len(token) + 4
    return Line(words, page)


def test_pdf_layout_two_column_region_read_left_then_right() -> None:
    lines = [
        _line(1, 56, ("UBND TỈNH A", 120), ("CỘNG HÒA XÃ HỘI", 330)),
        _line(1, 73, ("SỞ XÂY DỰNG", 130), ("Độc lập - Tự do", 340)),
        _line(1, 100, ("Số: 1/KH", 130)),
        _line(1, 120, ("Một đoạn văn dài trải rộng qua cả hai cột của trang giấy", 85)),
    ]
    ordered = [line.text for line in order_columns(lines)]
    assert ordered == [
        "UBND TỈNH A",
        "SỞ XÂY DỰNG",
        "Số: 1/KH",
        "CỘNG HÒA XÃ HỘI",
        "Độc lập - Tự do",
        "Một đoạn văn dài trải rộng qua cả hai cột của trang giấy",
    ]


# --------------------------------------------------------------------------- bad files


def test_pdf_truncated_is_damaged(tmp_path: Path) -> None:
    data = PDF_003.read_bytes()
    path = tmp_path / "truncated.pdf"
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(DamagedFileError, match="damaged or truncated"):
        read_document(path)


def test_pdf_garbage_after_header_is_damaged(tmp_path: Path) -> None:
    path = tmp_path / "garbage.pdf"
    path.write_bytes(b"%PDF-1.7\nthis is not a PDF body\n")
    with pytest.raises(DamagedFileError):
        read_document(path)


def test_pdf_encrypted_is_refused_with_reason() -> None:
    with pytest.raises(EncryptedFileError, match="password"):
        read_document(ENCRYPTED)


def test_pdf_zero_bytes_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    with pytest.raises(EmptyDocumentError):
        read_document(path)


def test_pdf_png_renamed_pdf_is_an_image(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    Image.new("L", (20, 20), 255).save(buffer, format="PNG")
    path = tmp_path / "scan.pdf"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(UnsupportedFormatError, match="image"):
        read_document(path)
