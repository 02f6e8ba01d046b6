"""Document metadata on the corpus in every format, and the header rules on their own."""

from __future__ import annotations

import json

import pytest
from kehoach.extractors.metadata import display_case, extract_metadata, split_enacting_formula
from kehoach.pipeline.ingest import read_document

from tests.conftest import DEV, DEV_BIN, GOLD, REAL
from tests.eval import score

DEV_FILES = sorted(DEV.glob("*.txt"))


def _gold(name: str) -> dict:
    return json.loads((GOLD / f"{name}.json").read_text(encoding="utf-8"))["document"]


@pytest.mark.parametrize("path", DEV_FILES, ids=lambda p: p.name[:3])
def test_metadata_matches_gold_on_dev_texts(path):
    gold = _gold(path.name)
    meta = extract_metadata(read_document(path))
    assert meta.doc_type == gold["doc_type"]
    assert meta.number == gold["number"]
    assert (meta.issued_date.iso() if meta.issued_date else None) == gold["issued_date"]
    # the scorer folds diacritics: an OCR-ed name ("Tậ Anh Tuấn") is the printed name
    assert score.fold(meta.signer or "") == score.fold(gold["signer"] or "")
    if gold["issuer"]:
        assert meta.issuer is not None and gold["issuer"].lower().startswith(meta.issuer.lower())


@pytest.mark.parametrize("suffix", [".docx", ".pdf"])
@pytest.mark.parametrize("stem", ["000_8544ea3e62a3c3aa", "003_3286ee62c434ea9b"])
def test_metadata_same_from_renderings(stem, suffix):
    text = extract_metadata(read_document(DEV / f"{stem}.txt"))
    binary = extract_metadata(read_document(DEV_BIN / f"{stem}{suffix}"))
    for field in ("doc_type", "number", "symbol", "issued_date", "signer", "issuer", "title"):
        assert getattr(binary, field) == getattr(text, field), field


def test_metadata_blank_number_keeps_symbol():
    meta = extract_metadata(read_document(DEV / "000_8544ea3e62a3c3aa.txt"))
    assert (meta.number, meta.symbol) == (None, "KH/BCĐ")
    assert meta.issuer_parent == "Tỉnh ủy Lạng Sơn"
    assert meta.signer_title == ["CHỦ TỊCH UBND TỈNH", "PHÓ TRƯỞNG BAN THƯỜNG TRỰC"]


def test_metadata_upper_case_title_is_written_in_running_case():
    meta = extract_metadata(read_document(DEV / "002_bd6398dc606c56db.txt"))
    assert meta.title is not None
    assert meta.title.startswith("Thực hiện Nghị quyết số 148/NQ-CP ngày 11/11/2022 của Chính phủ")
    assert meta.signer_title == ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]
    assert "Sở Xây dựng" not in meta.recipients and "Bộ Xây dựng (b/c)" in meta.recipients


def test_metadata_issuer_from_symbol_when_letterhead_is_missing():
    meta = extract_metadata(read_document(DEV / "003_3286ee62c434ea9b.txt"))
    assert meta.issuer == "Sở Xây dựng tỉnh Lạng Sơn"


def test_metadata_news_article_has_headline_and_byline():
    meta = extract_metadata(read_document(DEV / "001_2669dedac0f2a879.txt"))
    assert meta.doc_type == "Tin bài"
    assert meta.signer == "Phương Thanh"


def test_metadata_directive_and_official_letter():
    directive = extract_metadata(read_document(REAL / "ttg-ct-07-2012-khu-kinh-te.docx"))
    assert (directive.doc_type, directive.number, directive.issuer) == ("Chỉ thị", "07/CT-TTg", "Thủ tướng Chính phủ")
    assert directive.issued_date is not None and directive.issued_date.iso() == "2012-03-02"
    letter = extract_metadata(read_document(REAL / "laocai-cv-7432-ubnd-xd-2026.pdf"))
    assert letter.doc_type == "Công văn"
    assert letter.issuer == "Ủy ban nhân dân tỉnh Lào Cai"
    assert letter.title is not None and letter.title.startswith("Triển khai thực hiện Quyết định số 1074/QĐ-BXD")


@pytest.mark.parametrize(
    ("upper", "expected"),
    [
        ("BAN CHỈ ĐẠO CÔNG TÁC LẬP QUY HOẠCH TỈNH LẠNG SƠN", "Ban Chỉ đạo công tác lập Quy hoạch tỉnh Lạng Sơn"),
        ("THỰC HIỆN NGHỊ QUYẾT SỐ 148/NQ-CP CỦA CHÍNH PHỦ", "Thực hiện Nghị quyết số 148/NQ-CP của Chính phủ"),
    ],
)
def test_metadata_display_case(upper, expected):
    assert display_case(upper) == expected


def test_metadata_plan_without_letterhead_declares_type_issuer_and_title():
    meta = extract_metadata(read_document(REAL / "daknong-kh-2024-mang-di-dong.pdf"))
    assert meta.doc_type == "Kế hoạch"
    assert meta.issuer == "Sở Thông tin và Truyền thông tỉnh Đắk Nông"
    assert meta.title == "Nâng cao chất lượng mạng viễn thông di động tỉnh Đắk Nông đến năm 2025"


def _meta_of(tmp_path, text: str):
    path = tmp_path / "doc.txt"
    path.write_text(text, encoding="utf-8")
    return extract_metadata(read_document(path))


_LETTER = """BỘ NÔNG NGHIỆP VÀ MÔI TRƯỜNG CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc

Số: 9389 /BNNMT-BĐKH

Hà Nội, ngày 20 tháng 11 năm 2025

V/v triển khai thực hiện các quy định pháp luật về giảm nhẹ phát thải khí nhà kính

Kính gửi: Ủy ban nhân dân các tỉnh, thành phố trực thuộc Trung ương

Đề nghị Quý Ủy ban chỉ đạo các cơ quan chuyên môn thực hiện nghiêm các quy định mới về kiểm kê khí nhà kính.

Nơi nhận: KT. BỘ TRƯỞNG

- Như trên; THỨ TRƯỞNG

- Thủ tướng Chính phủ (để báo cáo);

- Lưu: VT, BĐKH.

Lê Công Thành
"""


def test_metadata_letterhead_merged_with_motto_keeps_issuer(tmp_path):
    meta = _meta_of(tmp_path, _LETTER)
    assert meta.issuer == "Bộ Nông nghiệp và Môi trường"
    assert (meta.doc_type, meta.number) == ("Công văn", "9389/BNNMT-BĐKH")
    assert meta.title is not None and meta.title.startswith("Triển khai thực hiện các quy định")


def test_metadata_signature_titles_at_the_end_of_recipient_lines(tmp_path):
    meta = _meta_of(tmp_path, _LETTER)
    assert meta.signer == "Lê Công Thành"
    assert meta.signer_title == ["KT. BỘ TRƯỞNG", "THỨ TRƯỞNG"]
    assert meta.recipients[0] == "Như trên"


def test_metadata_party_letter_type_subject_and_issuer_place(tmp_path):
    text = (
        "ĐẢNG BỘ TỈNH LÀO CAI ĐẢNG CỘNG SẢN VIỆT NAM\nĐẢNG ỦY ỦY BAN NHÂN DÂN TỈNH\n\n"
        "Lào Cai, ngày 07 tháng 9 năm 2026\n\nSố 2449 -CV/ĐU\nvề việc triển khai thực hiện Chương trình hành động\n\n"
        "Kính gửi: Ủy ban nhân dân tỉnh.\n"
    )
    meta = _meta_of(tmp_path, text)
    assert (meta.doc_type, meta.number) == ("Công văn", "2449-CV/ĐU")
    assert meta.issuer == "Đảng ủy Ủy ban nhân dân tỉnh Lào Cai"
    assert meta.issuer_parent == "Đảng bộ tỉnh Lào Cai"
    assert meta.title is not None and meta.title.startswith("Về việc triển khai")


def test_metadata_ocr_garbled_number_is_kept_as_printed_and_stamp_dates_a_blank_day(tmp_path):
    text = (
        "Thời gian ký: 19/06/2026 14:18:57 +07:00\n\nBỘ TÀI CHÍNH CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n\n"
        "Số: Z32Ø/BTC-QLCS Hà Nội, ngày / tháng 6 năm 2026\n\nV/v Triển khai thực hiện Nghị định số 178/2026/NĐ-CP\n"
    )
    meta = _meta_of(tmp_path, text)
    assert meta.number == "Z32Ø/BTC-QLCS"
    assert meta.issuer == "Bộ Tài chính"
    assert meta.place == "Hà Nội"
    assert meta.issued_date is not None and meta.issued_date.iso() == "2026-06-19"


def test_metadata_stamp_that_disagrees_with_the_dateline_is_ignored(tmp_path):
    text = "BỘ TÀI CHÍNH\n\nSố: 12/BTC-QLCS\n\nHà Nội, ngày tháng 6 năm 2026\n\nThời gian ký: 19/07/2026 10:00:00\n"
    meta = _meta_of(tmp_path, text)
    assert meta.issued_date is not None and meta.issued_date.iso() == "2026-06"


def test_metadata_dates_in_legal_grounds_are_not_the_dateline(tmp_path):
    text = (
        "NGHỊ QUYẾT VỀ CHẤT VẤN TẠI KỲ HỌP THỨ NĂM\n\nHỘI ĐỒNG NHÂN DÂN TỈNH HÀ GIANG\n\nKHÓA XVII - KỲ HỌP THỨ NĂM\n\n"
        "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;\n\nQUYẾT NGHỊ:\n"
    )
    meta = _meta_of(tmp_path, text)
    assert meta.issued_date is None
    assert meta.issuer == "Hội đồng nhân dân tỉnh Hà Giang"
    assert meta.title == "Về chất vấn tại kỳ họp thứ năm"


@pytest.mark.parametrize(
    ("upper", "title", "formula"),
    [
        (
            "PHÊ DUYỆT KẾ HOẠCH LẬP QUY HOẠCH ĐẾN NĂM 2050 BỘ TRƯỞNG BỘ XÂY DỰNG",
            "PHÊ DUYỆT KẾ HOẠCH LẬP QUY HOẠCH ĐẾN NĂM 2050",
            "BỘ TRƯỞNG BỘ XÂY DỰNG",
        ),
        (
            "VỀ KẾT QUẢ GIÁM SÁT GIAI ĐOẠN 2011 - 2016 HỘI ĐỒNG NHÂN DÂN TỈNH THỪA THIÊN HUẾ KHÓA VII, KỲ HỌP THỨ 4",
            "VỀ KẾT QUẢ GIÁM SÁT GIAI ĐOẠN 2011 - 2016",
            "HỘI ĐỒNG NHÂN DÂN TỈNH THỪA THIÊN HUẾ KHÓA VII, KỲ HỌP THỨ 4",
        ),
        (
            "BAN HÀNH CHƯƠNG TRÌNH HÀNH ĐỘNG ĐẾN NĂM 2045 CHÍNH PHỦ",
            "BAN HÀNH CHƯƠNG TRÌNH HÀNH ĐỘNG ĐẾN NĂM 2045",
            "CHÍNH PHỦ",
        ),
        ("VỀ VIỆC BAN HÀNH QUY CHẾ LÀM VIỆC CỦA ỦY BAN NHÂN DÂN TỈNH", None, None),
        ("VỀ CHƯƠNG TRÌNH HÀNH ĐỘNG CỦA CHÍNH PHỦ", None, None),
    ],
)
def test_metadata_enacting_formula_is_cut_from_the_title(upper, title, formula):
    assert split_enacting_formula(upper) == (title or upper, formula)


def test_metadata_appendix_caption_and_adoption_line_date_the_document(tmp_path):
    text = (
        "NGHỊ QUYẾT VỀ KẾT QUẢ GIÁM SÁT GIAI ĐOẠN 2011 - 2016 HỘI ĐỒNG NHÂN DÂN TỈNH THỪA THIÊN HUẾ\n\n"
        "KHÓA VII, KỲ HỌP THỨ 4\n\nCăn cứ Luật tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;\n\n"
        "Nghị quyết này đã được Hội đồng nhân dân tỉnh Thừa Thiên Huế khóa VII, kỳ họp thứ 4 thông qua "
        "ngày 14 tháng 7 năm 2017./.\n\n(Ban hành kèm theo Nghị quyết số 08/NQ-HĐND ngày 14 tháng 7 năm 2017 của Hội "
        "đồng nhân dân tỉnh)\n"
    )
    meta = _meta_of(tmp_path, text)
    assert meta.number == "08/NQ-HĐND"
    assert meta.issued_date is not None and meta.issued_date.iso() == "2017-07-14"
    assert meta.issuer == "Hội đồng nhân dân tỉnh Thừa Thiên Huế"


def test_metadata_caption_of_another_document_type_does_not_date_the_plan(tmp_path):
    text = (
        "ỦY BAN NHÂN DÂN\nTỈNH LÂM ĐỒNG\n\nSố: /KH-UBND\n\nLâm Đồng, ngày tháng năm 2026\n\nKẾ HOẠCH\n\n"
        "Kiểm tra công tác cải cách hành chính năm 2026\n\nThực hiện Kế hoạch số 9669/KH-UBND.\n\n"
        "(Kèm theo Quyết định số 12/QĐ-UBND ngày 05/03/2026 của UBND tỉnh)\n"
    )
    meta = _meta_of(tmp_path, text)
    assert meta.number is None
    assert meta.issued_date is not None and meta.issued_date.iso() == "2026"


@pytest.mark.parametrize(
    "name",
    ["bxd-qd-836-2019-quy-hoach-khoang-san-vlxd.txt", "chinhphu-nq-88-2022-chuong-trinh-hanh-dong-khoang-san.txt"],
)
def test_metadata_signer_of_a_decision_followed_by_the_plan_it_adopts(name):
    gold = _gold(name)
    meta = extract_metadata(read_document(DEV / name))
    assert meta.signer == gold["signer"]
    assert meta.title is not None and not meta.title.lower().endswith(gold["issuer"].lower())


@pytest.mark.parametrize("path", sorted(DEV.glob("*.txt")) + sorted(REAL.glob("*.docx")), ids=lambda p: p.name[:24])
def test_metadata_titles_and_issuers_match_gold(path):
    gold = _gold(path.name)
    meta = extract_metadata(read_document(path))
    if gold["issuer"]:
        assert meta.issuer is not None and gold["issuer"].lower() in meta.issuer.lower()
    if gold["title"]:
        assert meta.title is not None
        want, got = set(gold["title"].lower().split()), set(meta.title.lower().split())
        assert len(want & got) / len(want | got) >= 0.8
