"""The text reader and the shared line layout rules (pipeline.ingest.text / layout)."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import pytest
from kehoach.models.document import ParsedDocument
from kehoach.models.text_forms import fold_diacritics
from kehoach.pipeline.ingest import read_document
from kehoach.pipeline.ingest.layout import classify_line, continues_heading, split_marker
from kehoach.pipeline.ingest.text import read_text

DEV = Path(__file__).parent / "corpus" / "dev"
DATA = Path(__file__).parent / "data" / "text"


def _dev(stem: str) -> ParsedDocument:
    return read_document(next(DEV.glob(f"{stem}_*.txt")))


def _block_with(document: ParsedDocument, needle: str):
    found = [b for b in document.blocks if needle in document.text_of(b.span)]
    assert found, f"no block contains {needle!r}"
    return found[0]


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", fold_diacritics(text))


# --------------------------------------------------------------------------- invariants on the dev corpus


def test_text_spans_are_exact_on_dev_files(dev_texts: list[Path]) -> None:
    for path in dev_texts:
        document = read_document(path)
        assert document.source.format == "text"
        assert document.blocks
        previous_end = -1
        for block in document.blocks:
            text = document.text_of(block.span)
            assert text.strip(), (path.name, block)
            if block.kind != "table_row":  # a row may open with an empty cell
                assert text == text.strip(), (path.name, block)
            assert block.span[0] > previous_end
            previous_end = block.span[1]
            for cell in block.cells:
                assert document.text_of(cell.span) == cell.text
            if block.kind == "table_row":
                assert block.table is not None and block.cells


def test_text_keeps_every_word_in_order(dev_texts: list[Path]) -> None:
    for path in dev_texts:
        raw = path.read_text("utf-8").replace("**", " ").replace("*", " ").replace("#", " ")
        source, content = _words(raw), _words(read_document(path).content)
        ratio = difflib.SequenceMatcher(None, source, content, autojunk=False).ratio()
        assert ratio >= 0.99, (path.name, ratio)


def test_text_content_is_nfc_without_markup(dev_texts: list[Path]) -> None:
    for path in dev_texts:
        content = read_document(path).content
        assert "**" not in content
        assert "\t" not in content
        assert not re.search(r"^\s*\|\s*$", content, re.MULTILINE)
        assert not re.search(r"^-{3,}$", content, re.MULTILINE)


# --------------------------------------------------------------------------- line wrapping


def test_text_joins_sentence_broken_over_page_break() -> None:
    document = _dev("000")
    block = _block_with(document, "phù hợp với tình hình thực tế của tỉnh")
    assert document.text_of(block.span).startswith("Các nội dung, nhiệm vụ")


def test_text_joins_html_wrapped_lines() -> None:
    document = _dev("002")
    assert document.text_of(_block_with(document, "Lạng Sơn, ngày 27").span) == "Lạng Sơn, ngày 27 tháng 5 năm 2023"
    heading = _block_with(document, "I. MỤC ĐÍCH")
    assert document.text_of(heading.span) == "I. MỤC ĐÍCH, YÊU CẦU"
    assert (heading.kind, heading.marker, heading.level) == ("heading", "I.", 1)
    assert document.text_of(_block_with(document, "II. NHIỆM VỤ").span) == "II. NHIỆM VỤ VÀ GIẢI PHÁP"
    # a short numbered title line is not glued to the paragraph under it
    assert document.text_of(_block_with(document, "1. Mục đích").span) == "1. Mục đích"


def test_text_joins_double_spaced_pdf_lines() -> None:
    document = _dev("004")
    block = _block_with(document, "của Chính phủ quy định xử lý khó khăn")
    text = document.text_of(block.span)
    assert text.startswith("Thực hiện Nghị quyết số 66.2/2025/NQ-CP")
    assert text.endswith("cụ thể như sau:")
    item = _block_with(document, "1. Xây dựng dự toán")
    assert document.text_of(item.span).endswith("Hoàn thành trước ngày 30/10/2025.")


def test_text_list_items_and_headings_stay_separate() -> None:
    document = _dev("000")
    kinds = {document.text_of(b.span)[:20]: (b.kind, b.marker, b.level) for b in document.blocks}
    assert kinds["I- MỤC ĐÍCH, YÊU CẦU"] == ("heading", "I-", 1)
    assert kinds["II- NỘI DUNG"] == ("heading", "II-", 1)
    assert kinds["2.1. Sở Kế hoạch và "] == ("list_item", "2.1.", 3)
    assert kinds["- Thành lập tổ chuyê"] == ("list_item", "-", 5)
    assert kinds["KẾ HOẠCH"] == ("heading", None, None)


# --------------------------------------------------------------------------- markdown residue


def test_text_markdown_bold_becomes_flag() -> None:
    document = _dev("003")
    title = _block_with(document, "KẾ HOẠCH")
    assert document.text_of(title.span) == "KẾ HOẠCH"
    assert title.bold and title.kind == "heading"
    task = _block_with(document, "1. Nhiệm vụ 1:")
    assert task.bold and task.kind == "heading" and task.marker == "1."
    inline = _block_with(document, "Chi phí thời gian (5,79/7,0)")
    assert not inline.bold and inline.marker == "a)"


def test_text_markdown_hash_heading_level() -> None:
    document = _dev("003")
    block = _block_with(document, "3. Nhiệm vụ 3:")
    assert (block.kind, block.level, block.marker, block.bold) == ("heading", 3, "3.", True)
    assert document.text_of(block.span).startswith("3. Nhiệm vụ 3: Tổ chức lập đề án")


def test_text_marker_stays_in_text() -> None:
    document = _dev("003")
    block = _block_with(document, "a) Nội dung thực hiện: Hoàn thành trình Ủy ban nhân dân tỉnh")
    assert (block.kind, block.marker, block.level) == ("list_item", "a)", 4)
    nested = _block_with(document, "+ Đồng chí Trương Trung Hiếu")
    assert nested.marker == "+" and nested.level == 6
    assert document.text_of(nested.span).startswith("+ Đồng chí")


def test_text_markdown_table_fixture() -> None:
    document = read_document(DATA / "plan.md")
    rows = [b for b in document.blocks if b.kind == "table_row"]
    assert [[c.text for c in row.cells] for row in rows] == [
        ["Thời gian", "Nội dung", "Đơn vị thực hiện"],
        ["Tháng 3/2022", "Xem xét Phương án quy hoạch", "Sở Xây dựng"],
        ["Tháng 6/2022", "Phê duyệt đồ án", "UBND tỉnh"],
    ]
    assert [row.header for row in rows] == [True, False, False]
    assert _block_with(document, "KẾ HOẠCH").level == 1
    assert _block_with(document, "I. MỤC ĐÍCH").level == 2  # "##"
    assert "(theo kế hoạch của Sở Kế hoạch và Đầu tư)" in document.content


# --------------------------------------------------------------------------- tables


def test_text_flattened_table_with_repeated_header() -> None:
    document = _dev("000")
    rows = [b for b in document.blocks if b.kind == "table_row"]
    assert {row.table for row in rows} == {0}, "the table goes on after the page break"
    headers = [[c.text for c in row.cells] for row in rows if row.header]
    header_rows = [
        ["Thời gian", "Nội dung nhiệm vụ", "Phân công", "", "Ghi chú"],
        ["", "", "Chủ trì", "Phối hợp, thực hiện"],
    ]
    assert headers == header_rows * 2
    last = [c.text for c in rows[-1].cells]
    assert last[0] == "Tháng 10-12/2022" and last[2] == "UBND tỉnh"


def test_text_html_fixture() -> None:
    document = read_document(DATA / "plan.html")
    texts = [document.text_of(b.span) for b in document.blocks]
    assert texts[0] == "KẾ HOẠCH" and document.blocks[0].level == 1
    assert document.blocks[1].bold
    assert "a) Đơn vị thực hiện: Phòng Quy hoạch - Kiến trúc & Phát triển đô thị; các phòng chuyên môn." in texts
    assert "không phải nội dung" not in document.content
    assert "<" not in document.content
    rows = [b for b in document.blocks if b.kind == "table_row"]
    assert [row.header for row in rows] == [True, False, False]
    assert rows[1].cells[1].text == "Xem xét Phương án quy hoạch, kiểm tra tiến độ"


def test_text_tab_table_and_form_feed_pages(tmp_path: Path) -> None:
    data = "KẾ HOẠCH\n\nThời gian\tNội dung\n\fTháng 3/2022\tXem xét\n".encode()
    document = read_text(tmp_path / "t.txt", data)
    assert [b.page for b in document.blocks] == [1, 1, 2]
    assert [b.kind for b in document.blocks] == ["heading", "table_row", "table_row"]


# --------------------------------------------------------------------------- layout rules


@pytest.mark.parametrize(
    ("line", "marker", "level"),
    [
        ("I. MỤC ĐÍCH", "I.", 1),
        ("II- NỘI DUNG", "II-", 1),
        ("IV. TỔ CHỨC THỰC HIỆN", "IV.", 1),
        ("1. Mục đích", "1.", 2),
        ("1.2. Sở Xây dựng", "1.2.", 3),
        ("1.1 Đồ án", "1.1", 3),
        ("2.1.3. Chi tiết", "2.1.3.", 4),
        ("a) Nội dung thực hiện:", "a)", 4),
        ("đ) Các sở, ban, ngành", "đ)", 4),
        ("- Cung cấp thông tin", "-", 5),
        ("– Cung cấp thông tin", "–", 5),
        ("+ Đồng chí", "+", 6),
        ("• Thành phố", "•", 5),
        ("1) Thứ nhất", "1)", None),
        ("2030, tầm nhìn đến năm 2045", None, None),
        ("6-8 m²/người", None, None),
        ("148/NQ-CP ngày 11/11/2022", None, None),
        ("Vì vậy", None, None),
        ("-KH/BCĐ", None, None),
    ],
)
def test_layout_split_marker(line: str, marker: str | None, level: int | None) -> None:
    found, rest = split_marker(line)
    assert (found.text if found else None) == marker
    assert (found.level if found else None) == level
    if found:
        assert line.startswith(found.text) and rest == line[len(found.text) :].strip()


@pytest.mark.parametrize(
    ("line", "bold", "kind"),
    [
        ("KẾ HOẠCH", False, "heading"),
        ("II- NỘI DUNG", False, "heading"),
        ("V. Kinh phí thực hiện", False, "heading"),
        ("- UBND các huyện, thành phố;", False, "list_item"),
        ("- UBND;", False, "list_item"),
        ("1. Mục đích", False, "list_item"),
        ("1. Nhiệm vụ 1: Tổ chức lập đồ án", True, "heading"),
        ("Nơi nhận:", True, "paragraph"),
        ("a) Nội dung thực hiện", True, "list_item"),
        ("Thực hiện Quyết định số 197/QĐ-UBND.", False, "paragraph"),
    ],
)
def test_layout_classify_line(line: str, bold: bool, kind: str) -> None:
    assert classify_line(line, bold=bold).kind == kind


@pytest.mark.parametrize(
    ("previous", "line", "expected"),
    [
        ("II. NHIỆM VỤ", "VÀ GIẢI PHÁP", True),
        ("I. MỤC ĐÍCH,", "YÊU CẦU", True),
        ("KẾ HOẠCH", "THỰC HIỆN NGHỊ QUYẾT", False),
        ("ỦY BAN NHÂN DÂN", "TỈNH LẠNG SƠN", False),
        ("THỰC HIỆN NGHỊ QUYẾT SỐ 148/NQ-CP NGÀY 11/11/2022 CỦA CHÍNH PHỦ VÀ", "CHƯƠNG TRÌNH", True),
        ("II. NHIỆM VỤ", "1. TĂNG CƯỜNG", False),
    ],
)
def test_layout_continues_heading(previous: str, line: str, expected: bool) -> None:
    assert continues_heading(previous, line) is expected
