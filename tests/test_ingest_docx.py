"""DOCX reader: corpus documents read like the printed page, and each Word feature it rebuilds.

Small documents are generated with python-docx in the test (no binary
fixtures): what a case checks is visible in the code that builds it.
"""

from __future__ import annotations

import difflib
import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from kehoach.models.document import ParsedDocument
from kehoach.models.text_forms import fold_diacritics
from kehoach.pipeline.errors import DamagedFileError, EmptyDocumentError, UnsupportedFormatError
from kehoach.pipeline.ingest import read_document
from kehoach.pipeline.ingest.docx import read_docx
from kehoach.pipeline.ingest.docx_numbering import Numbering, bullet_glyph, format_number

CORPUS = Path(__file__).parent / "corpus"
DEV_BIN = CORPUS / "dev-bin"
REAL = CORPUS / "real"

WORD_MAIN_TYPE = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
FIDELITY_CASES = [
    (DEV_BIN / "000_8544ea3e62a3c3aa.docx", CORPUS / "dev" / "000_8544ea3e62a3c3aa.txt", 0.98),
    (DEV_BIN / "003_3286ee62c434ea9b.docx", CORPUS / "dev" / "003_3286ee62c434ea9b.txt", 0.98),
    (REAL / "laocai-kh-ct11-khoang-san-du-thao.docx", REAL / "laocai-kh-ct11-khoang-san-du-thao.reference.txt", 0.95),
    (REAL / "ttg-ct-07-2012-khu-kinh-te.docx", REAL / "ttg-ct-07-2012-khu-kinh-te.reference.txt", 0.95),
]


# --------------------------------------------------------------------------- helpers


def read(path: Path) -> ParsedDocument:
    return read_docx(path, path.read_bytes())


def build(tmp_path: Path, fill: Callable[[docx.document.Document], None], name: str = "case.docx") -> ParsedDocument:
    document = docx.Document()
    fill(document)
    path = tmp_path / name
    document.save(str(path))
    return read(path)


def texts(parsed: ParsedDocument) -> list[str]:
    return [parsed.text_of(block.span) for block in parsed.blocks]


def block_with(parsed: ParsedDocument, start: str):
    return next(b for b in parsed.blocks if parsed.text_of(b.span).startswith(start))


def words(text: str) -> list[str]:
    return re.findall(r"\w+", fold_diacritics(text))


def add_numbering(document: docx.document.Document, levels: list[tuple[str, str]], num_id: int = 90) -> str:
    """Add an abstract list whose level i has (numFmt, lvlText) = levels[i]; return its numId."""
    lvls = "".join(
        f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/><w:lvlText w:val="{text}"/></w:lvl>'
        for i, (fmt, text) in enumerate(levels)
    )
    numbering = document.part.numbering_part.element
    numbering.insert(0, parse_xml(f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{num_id}">{lvls}</w:abstractNum>'))
    numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="{num_id}"><w:abstractNumId w:val="{num_id}"/></w:num>'))
    return str(num_id)


def numbered(document: docx.document.Document, text: str, num_id: str, ilvl: int = 0) -> None:
    paragraph = document.add_paragraph(text)
    ppr = paragraph._p.get_or_add_pPr()
    ppr.append(parse_xml(f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{ilvl}"/><w:numId w:val="{num_id}"/></w:numPr>'))


def rezip(source: bytes, change: Callable[[str, bytes], bytes | None]) -> bytes:
    """Copy a DOCX archive, letting ``change`` rewrite (or drop, with None) each member."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as archive, zipfile.ZipFile(out, "w") as target:
        for name in archive.namelist():
            payload = change(name, archive.read(name))
            if payload is not None:
                target.writestr(name, payload)
    return out.getvalue()


# --------------------------------------------------------------------------- corpus


@pytest.mark.parametrize(("original", "reference", "floor"), FIDELITY_CASES, ids=lambda v: getattr(v, "name", v))
def test_docx_corpus_reads_like_reference(original: Path, reference: Path, floor: float) -> None:
    parsed = read(original)
    ours, theirs = words(parsed.content), words(reference.read_text(encoding="utf-8-sig"))
    ratio = difflib.SequenceMatcher(None, ours, theirs, autojunk=False).ratio()
    assert ratio >= floor, f"{original.name}: word similarity {ratio:.4f} < {floor}"


@pytest.mark.parametrize("original", [case[0] for case in FIDELITY_CASES], ids=lambda p: p.name)
def test_docx_spans_point_at_block_and_cell_text(original: Path) -> None:
    parsed = read(original)
    assert parsed.source.format == "docx" and parsed.source.pages is None
    for block in parsed.blocks:
        text = parsed.text_of(block.span)
        assert text.strip() and (block.kind == "table_row" or text == text.strip())
        for cell in block.cells:
            assert parsed.text_of(cell.span) == cell.text


def test_docx_header_table_is_read_column_by_column() -> None:
    parsed = read(DEV_BIN / "003_3286ee62c434ea9b.docx")
    lines = texts(parsed)
    # the issuer column first, its number line on its own, then the motto column with the place-date line
    issuer, number = lines.index("UBND TỈNH LẠNG SƠN"), lines.index("Số: 20/KH - SXD")
    motto, date = lines.index("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"), lines.index("Lạng Sơn, ngày 18 tháng 02 năm 2022")
    assert issuer < number < motto < date
    assert not any(
        block.kind == "table_row" and parsed.text_of(block.span).startswith("UBND") for block in parsed.blocks
    )


def test_docx_signature_block_lines_are_separate_blocks() -> None:
    parsed = read(REAL / "ttg-ct-07-2012-khu-kinh-te.docx")
    lines = texts(parsed)
    # "THỦ TƯỚNG<br/>Nguyễn Tấn Dũng" in a borderless cell: two lines, two blocks
    assert lines.index("THỦ TƯỚNG") + 1 == lines.index("Nguyễn Tấn Dũng")
    assert "Số: 07/CT-TTg" in lines and "Hà Nội, ngày 02 tháng 03 năm 2012" in lines


def test_docx_appendix_table_merged_cells_and_repeated_header_read_once() -> None:
    parsed = read(DEV_BIN / "000_8544ea3e62a3c3aa.docx")
    rows = [b for b in parsed.blocks if b.kind == "table_row"]
    headers = [r for r in rows if r.header]
    assert [[c.text for c in r.cells] for r in headers] == [
        ["Thời gian", "Nội dung nhiệm vụ", "Phân công", "Ghi chú"],
        ["", "", "Chủ trì", "Phối hợp, thực hiện", ""],
    ]
    assert [c.col_span for c in headers[0].cells] == [1, 1, 2, 1]
    # the body repeats the second header line twice in the file: read once
    assert sum(1 for r in rows if [c.text for c in r.cells][2:4] == ["Chủ trì", "Phối hợp, thực hiện"]) == 1
    # "Tháng 5-6/2022" spans four rows (vMerge): its text appears once
    assert sum(parsed.text_of(r.span).count("Tháng 5-6/2022") for r in rows) == 1
    assert parsed.content.count("Phân công") == 1


def test_docx_footnotes_are_appended_without_inline_marks() -> None:
    parsed = read(REAL / "laocai-kh-ct11-khoang-san-du-thao.docx")
    footnote = "Đặc biệt: Luật Địa chất và khoáng sản ngày 29/11/2024"
    assert parsed.text_of(parsed.blocks[-1].span).startswith(footnote)
    assert parsed.content.index(footnote) > parsed.content.index("Nguyễn Thành Sinh")
    assert "khoáng sản đến cán bộ" in parsed.content and "sản1" not in parsed.content


def test_docx_misused_heading_style_on_bullets_is_not_a_heading() -> None:
    parsed = read(REAL / "laocai-kh-ct11-khoang-san-du-thao.docx")
    assert block_with(parsed, "1. Công tác tuyên truyền").kind == "heading"
    assert block_with(parsed, "- Tổ chức quán triệt sâu rộng").kind == "paragraph"


# --------------------------------------------------------------------------- Word features


def test_docx_body_and_tables_in_document_order(tmp_path: Path) -> None:
    def fill(document):
        document.add_paragraph("Đoạn mở đầu")
        table = document.add_table(rows=2, cols=2)
        table.style = "Table Grid"
        for r, row in enumerate(table.rows):
            for c, cell in enumerate(row.cells):
                cell.text = f"ô {r}{c}"
        document.add_paragraph("Đoạn kết")

    parsed = build(tmp_path, fill)
    assert texts(parsed) == ["Đoạn mở đầu", "ô 00 | ô 01", "ô 10 | ô 11", "Đoạn kết"]
    assert [b.kind for b in parsed.blocks] == ["paragraph", "table_row", "table_row", "paragraph"]
    assert [b.header for b in parsed.blocks[1:3]] == [True, False]  # no tblHeader: the first row


def test_docx_word_numbering_markers_are_rebuilt(tmp_path: Path) -> None:
    def fill(document):
        outline = add_numbering(document, [("upperRoman", "%1."), ("decimal", "%2."), ("lowerLetter", "%3)")])
        numbered(document, "MỤC ĐÍCH, YÊU CẦU", outline, 0)
        numbered(document, "Mục đích", outline, 1)
        numbered(document, "Yêu cầu", outline, 1)
        numbered(document, "cụ thể", outline, 2)
        numbered(document, "khả thi", outline, 2)
        document.add_paragraph("Đoạn văn xen giữa không đánh số.")
        numbered(document, "NHIỆM VỤ", outline, 0)
        numbered(document, "Nhiệm vụ chung", outline, 1)  # deeper level restarts under a new parent
        numbered(document, "Sở Xây dựng", outline, 2)

    parsed = build(tmp_path, fill)
    assert texts(parsed) == [
        "I. MỤC ĐÍCH, YÊU CẦU",
        "1. Mục đích",
        "2. Yêu cầu",
        "a) cụ thể",
        "b) khả thi",
        "Đoạn văn xen giữa không đánh số.",
        "II. NHIỆM VỤ",
        "1. Nhiệm vụ chung",
        "a) Sở Xây dựng",
    ]
    item = block_with(parsed, "b) khả thi")
    assert (item.kind, item.marker, item.level) == ("list_item", "b)", 3)


def test_docx_multilevel_and_style_numbering(tmp_path: Path) -> None:
    def fill(document):
        legal = add_numbering(document, [("decimal", "%1."), ("decimal", "%1.%2.")], num_id=91)
        numbered(document, "Chương một", legal, 0)
        numbered(document, "Mục một", legal, 1)
        numbered(document, "Mục hai", legal, 1)
        document.add_paragraph("Gạch đầu dòng theo kiểu", style="List Bullet")
        document.add_paragraph("Số theo kiểu", style="List Number")
        document.add_paragraph("Số theo kiểu tiếp", style="List Number")

    parsed = build(tmp_path, fill)
    lines = texts(parsed)
    assert lines[:3] == ["1. Chương một", "1.1. Mục một", "1.2. Mục hai"]
    bullet = block_with(parsed, "• Gạch")
    assert (bullet.kind, bullet.marker) == ("list_item", "•")
    assert lines[-2:] == ["1. Số theo kiểu", "2. Số theo kiểu tiếp"]


def test_docx_bold_and_centred_come_from_runs_and_styles(tmp_path: Path) -> None:
    def fill(document):
        title = document.add_paragraph()
        title.alignment = WD_ALIGN_PARAGRAPH.CENTER
        title.add_run("KẾ HOẠCH").bold = True
        style = document.styles.add_style("Muc", 1)  # paragraph style, bold and centred by definition
        style.font.bold = True
        style.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        document.add_paragraph("I. MỤC ĐÍCH", style="Muc")
        mixed = document.add_paragraph()
        mixed.add_run("Sở Xây dựng").bold = True
        mixed.add_run(" chủ trì")
        document.add_heading("Tiêu đề chương", level=2)

    parsed = build(tmp_path, fill)
    title, styled, mixed, heading = parsed.blocks
    assert (title.bold, title.centered) == (True, True)
    assert (styled.bold, styled.centered) == (True, True)
    assert (mixed.bold, mixed.centered) == (False, False)
    assert (heading.kind, heading.level) == ("heading", 2)


def test_docx_breaks_and_tabs(tmp_path: Path) -> None:
    def fill(document):
        body = document.add_paragraph("Chủ trì, thẩm định chặt chẽ điều kiện về vốn của")
        body.runs[0].add_break()
        body.add_run("tổ chức,\tcá nhân.")
        title = document.add_paragraph("KẾ HOẠCH")
        title.alignment = WD_ALIGN_PARAGRAPH.CENTER
        title.runs[0].add_break()
        title.add_run("Triển khai thực hiện Chỉ thị số 11")
        page = document.add_paragraph("Trước ngắt trang")
        page.runs[0].add_break(WD_BREAK.PAGE)

    parsed = build(tmp_path, fill)
    assert texts(parsed) == [
        "Chủ trì, thẩm định chặt chẽ điều kiện về vốn của tổ chức, cá nhân.",
        "KẾ HOẠCH",
        "Triển khai thực hiện Chỉ thị số 11",
        "Trước ngắt trang",
    ]


def test_docx_merged_cells_nested_tables_and_header_rows(tmp_path: Path) -> None:
    def fill(document):
        table = document.add_table(rows=3, cols=3)
        table.style = "Table Grid"
        top = table.cell(0, 0).merge(table.cell(0, 1))
        top.text = "Phân công"
        table.cell(0, 2).text = "Ghi chú"
        tall = table.cell(1, 0).merge(table.cell(2, 0))
        tall.text = "Quý II/2026"
        table.cell(1, 1).text = "Chủ trì"
        table.cell(2, 1).text = "Phối hợp"
        inner = table.cell(1, 2).add_table(rows=1, cols=2)
        inner.cell(0, 0).text = "lồng A"
        inner.cell(0, 1).text = "lồng B"
        table.rows[0]._tr.get_or_add_trPr().append(parse_xml(f"<w:tblHeader {nsdecls('w')}/>"))

    parsed = build(tmp_path, fill)
    header, first, second = parsed.blocks
    assert header.header and not first.header
    assert [(c.text, c.col_span) for c in header.cells] == [("Phân công", 2), ("Ghi chú", 1)]
    assert [c.text for c in first.cells] == ["Quý II/2026", "Chủ trì", "lồng A; lồng B"]
    assert [c.text for c in second.cells] == ["", "Phối hợp", ""]  # vMerge continuation read once, above
    assert parsed.content.count("Quý II/2026") == 1


def test_docx_page_header_and_footer_stay_out(tmp_path: Path) -> None:
    def fill(document):
        section = document.sections[0]
        section.header.paragraphs[0].text = "VĂN BẢN DỰ THẢO - TRANG ĐẦU"
        section.footer.paragraphs[0].text = "Chân trang 1/9"
        document.add_paragraph("Nội dung chính.")

    parsed = build(tmp_path, fill)
    assert parsed.content == "Nội dung chính."


def test_docx_hidden_and_deleted_text_skipped_links_kept(tmp_path: Path) -> None:
    def fill(document):
        paragraph = document.add_paragraph("Hiển thị")
        paragraph.add_run(" ẩn").font.hidden = True
        w = nsdecls("w")
        paragraph._p.append(
            parse_xml(f'<w:del {w} w:id="1" w:author="a"><w:r><w:delText> đã xoá</w:delText></w:r></w:del>')
        )
        paragraph._p.append(
            parse_xml(f'<w:ins {w} w:id="2" w:author="a"><w:r><w:t xml:space="preserve"> thêm</w:t></w:r></w:ins>')
        )
        paragraph._p.append(
            parse_xml(f"<w:hyperlink {w}><w:r><w:t xml:space='preserve'> liên kết</w:t></w:r></w:hyperlink>")
        )

    parsed = build(tmp_path, fill)
    assert parsed.content == "Hiển thị thêm liên kết"


@pytest.mark.parametrize(
    ("font", "legacy_text", "expected"),
    [
        (".VnTime", "KÕ ho¹ch tæ chøc thùc hiÖn", "Kế hoạch tổ chức thực hiện"),
        (".VnTimeH", "kÕ ho¹ch", "KẾ HOẠCH"),
        ("VNI-Times", "Keá hoaïch", "Kế hoạch"),
    ],
)
def test_docx_legacy_font_runs_become_unicode(tmp_path: Path, font: str, legacy_text: str, expected: str) -> None:
    def fill(document):
        paragraph = document.add_paragraph()
        paragraph.add_run("Tiêu đề: ")
        paragraph.add_run(legacy_text).font.name = font

    parsed = build(tmp_path, fill)
    assert parsed.content == f"Tiêu đề: {expected}"
    assert parsed.source.encoding in {"tcvn3", "vni"}
    assert parsed.source.warnings


def test_docx_unicode_text_in_a_legacy_font_is_left_alone(tmp_path: Path) -> None:
    # retyped in Unicode but still formatted .VnTime: converting again would garble it
    def fill(document):
        document.add_paragraph().add_run("Kế hoạch thực hiện").font.name = ".VnTime"

    parsed = build(tmp_path, fill)
    assert parsed.content == "Kế hoạch thực hiện"
    assert parsed.source.encoding is None


# --------------------------------------------------------------------------- bad files


@pytest.fixture(scope="module")
def good_bytes() -> bytes:
    return (DEV_BIN / "003_3286ee62c434ea9b.docx").read_bytes()


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda data: data[: len(data) // 2], "not a readable ZIP archive"),
        (lambda data: rezip(data, lambda n, p: None if n == "word/document.xml" else p), "no word/document.xml"),
        (lambda data: rezip(data, lambda n, p: b"<w:document><broken" if n == "word/document.xml" else p), "XML"),
        (lambda data: rezip(data, lambda n, p: None if n == "[Content_Types].xml" else p), "[Content_Types].xml"),
    ],
    ids=["truncated", "no-document-xml", "malformed-xml", "no-content-types"],
)
def test_docx_damaged_file_gives_clear_reason(tmp_path: Path, good_bytes: bytes, damage, reason: str) -> None:
    path = tmp_path / "hong.docx"
    path.write_bytes(damage(good_bytes))
    with pytest.raises(DamagedFileError) as caught:
        read_document(path)
    assert reason in caught.value.reason and "\n" not in caught.value.reason


def test_docx_without_text_is_empty(tmp_path: Path) -> None:
    with pytest.raises(EmptyDocumentError):
        build(tmp_path, lambda document: document.add_paragraph("   "))


def test_docx_macro_enabled_document_is_read(tmp_path: Path, good_bytes: bytes) -> None:
    docm = rezip(
        good_bytes,
        lambda n, p: (
            p.replace(WORD_MAIN_TYPE, b"application/vnd.ms-word.document.macroEnabled.main+xml")
            if n == "[Content_Types].xml"
            else p
        ),
    )
    path = tmp_path / "plan.docm"
    path.write_bytes(docm)
    assert "Số: 20/KH - SXD" in read_document(path).content


def test_docx_strict_open_xml_is_unsupported(tmp_path: Path, good_bytes: bytes) -> None:
    strict = b"http://purl.oclc.org/ooxml/wordprocessingml/main"
    main = b"http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    path = tmp_path / "strict.docx"
    path.write_bytes(rezip(good_bytes, lambda n, p: p.replace(main, strict) if n == "word/document.xml" else p))
    with pytest.raises(UnsupportedFormatError) as caught:
        read_document(path)
    assert "Strict" in caught.value.reason


def test_docx_non_word_package_is_unsupported(tmp_path: Path, good_bytes: bytes) -> None:
    xlsx_type = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    other = rezip(good_bytes, lambda n, p: p.replace(WORD_MAIN_TYPE, xlsx_type) if n == "[Content_Types].xml" else p)
    path = tmp_path / "bang.docx"
    path.write_bytes(other)
    with pytest.raises(UnsupportedFormatError) as caught:
        read_document(path)
    assert "spreadsheetml" in caught.value.reason and "BytesIO" not in caught.value.reason


# --------------------------------------------------------------------------- numbering units


@pytest.mark.parametrize(
    ("number", "fmt", "expected"),
    [
        (4, "upperRoman", "IV"),
        (14, "lowerRoman", "xiv"),
        (1, "lowerLetter", "a"),
        (5, "lowerLetter", "e"),  # Word's letters, not Vietnamese "đ": the printed page shows "e)"
        (27, "lowerLetter", "aa"),
        (3, "upperLetter", "C"),
        (7, "decimalZero", "07"),
        (12, "decimal", "12"),
    ],
)
def test_docx_numbering_formats(number: int, fmt: str, expected: str) -> None:
    assert format_number(number, fmt) == expected


@pytest.mark.parametrize(
    ("level_text", "expected"),
    [("\uf0b7", "•"), ("-", "-"), ("o", "◦"), ("\uf0a7", "▪"), ("\uf0e0", "•"), ("+", "+")],
)
def test_docx_bullet_glyphs(level_text: str, expected: str) -> None:
    assert bullet_glyph(level_text) == expected


def test_docx_symbol_character_is_printed_glyph(tmp_path: Path) -> None:
    def fill(document):
        paragraph = document.add_paragraph()
        paragraph._p.append(parse_xml(f'<w:r {nsdecls("w")}><w:sym w:font="Symbol" w:char="F0B7"/></w:r>'))
        paragraph.add_run(" mục")

    parsed = build(tmp_path, fill)
    assert parsed.content == "• mục"


def test_docx_text_box_read_once_after_its_paragraph(tmp_path: Path) -> None:
    box = "<w:txbxContent><w:p><w:r><w:t>Số: 12/KH-UBND</w:t></w:r></w:p></w:txbxContent>"
    run = (
        f'<w:r {nsdecls("w")} xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
        f'<mc:AlternateContent><mc:Choice Requires="wps"><w:drawing>{box}</w:drawing></mc:Choice>'
        f"<mc:Fallback><w:pict>{box}</w:pict></mc:Fallback></mc:AlternateContent></w:r>"
    )

    def fill(document):
        anchor = document.add_paragraph("ỦY BAN NHÂN DÂN TỈNH")
        anchor._p.append(parse_xml(run))
        document.add_paragraph("KẾ HOẠCH")

    parsed = build(tmp_path, fill)
    assert texts(parsed) == ["ỦY BAN NHÂN DÂN TỈNH", "Số: 12/KH-UBND", "KẾ HOẠCH"]


def test_docx_borderless_data_table_with_many_rows_stays_a_table(tmp_path: Path) -> None:
    def fill(document):
        table = document.add_table(rows=6, cols=3)  # python-docx's default: no borders
        for r, row in enumerate(table.rows):
            row.cells[0].text, row.cells[1].text, row.cells[2].text = str(r + 1), f"Nhiệm vụ {r + 1}", "Quý IV"

    parsed = build(tmp_path, fill)
    assert all(b.kind == "table_row" for b in parsed.blocks)
    assert texts(parsed)[1] == "2 | Nhiệm vụ 2 | Quý IV"


def test_docx_numbering_instances_share_counters_unless_restarted() -> None:
    w = nsdecls("w")
    root = parse_xml(
        f'<w:numbering {w}><w:abstractNum w:abstractNumId="0"><w:lvl w:ilvl="0"><w:start w:val="1"/>'
        '<w:numFmt w:val="lowerLetter"/><w:lvlText w:val="%1)"/></w:lvl></w:abstractNum>'
        '<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>'
        '<w:num w:numId="2"><w:abstractNumId w:val="0"/></w:num>'
        '<w:num w:numId="3"><w:abstractNumId w:val="0"/>'
        '<w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride></w:num></w:numbering>'
    )
    numbering = Numbering(root)
    markers = [numbering.next_marker(num_id, 0).text for num_id in ("1", "1", "2", "3", "3")]
    assert markers == ["a)", "b)", "c)", "a)", "b)"]
    assert numbering.next_marker("0", 0) is None  # numId 0 switches numbering off
