"""Document metadata on the corpus in every format, and the header rules on their own."""

from __future__ import annotations

import json

import pytest

from extractors.metadata import display_case, extract_metadata
from pipeline.ingest import read_document
from tests.conftest import DEV, DEV_BIN, GOLD, REAL

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
    assert meta.signer == gold["signer"]
    if gold["issuer"]:
        assert gold["issuer"].lower().startswith(meta.issuer.lower())


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
    assert letter.title is not None and letter.title.startswith("triển khai thực hiện Quyết định số 1074/QĐ-BXD")


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
