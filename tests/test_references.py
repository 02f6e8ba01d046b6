"""Cited legal documents: numbers of state and Party documents, dates, issuers."""

from __future__ import annotations

import json

import pytest
from kehoach.extractors.metadata import extract_metadata
from kehoach.extractors.references import citation_spans, extract_references, find_references
from kehoach.pipeline.ingest import read_document

from tests.conftest import DEV, GOLD


@pytest.mark.parametrize(
    ("sentence", "number", "doc_type", "date", "issuer"),
    [
        (
            "Thực hiện Nghị quyết số 148/NQ-CP ngày 11/11/2022 của Chính phủ ban hành",
            "148/NQ-CP",
            "Nghị quyết",
            "2022-11-11",
            "Chính phủ",
        ),
        (
            "Quyết định số 661-QĐ/TU, ngày 27/01/2022 của Ban Thường vụ Tỉnh ủy về việc",
            "661-QĐ/TU",
            "Quyết định",
            "2022-01-27",
            "Ban Thường vụ Tỉnh ủy",
        ),
        (
            "thực hiện Nghị quyết số 06- NQ/TW, ngày 24/01/2022 của Bộ Chính trị về quy hoạch",
            "06-NQ/TW",
            "Nghị quyết",
            "2022-01-24",
            "Bộ Chính trị",
        ),
        (
            "Nghị quyết số 66.2/2025/NQ-CP ngày 28/8/2025 của Chính phủ quy định",
            "66.2/2025/NQ-CP",
            "Nghị quyết",
            "2025-08-28",
            "Chính phủ",
        ),
        (
            "và Nghị định 22/2025/NĐ-CP ngày 11/02/2025 của Chính phủ",
            "22/2025/NĐ-CP",
            "Nghị định",
            "2025-02-11",
            "Chính phủ",
        ),
        (
            "Chỉ thị số 07/CT-TTg ngày 12 tháng 3 năm 2012 của Thủ tướng Chính phủ",
            "07/CT-TTg",
            "Chỉ thị",
            "2012-03-12",
            "Thủ tướng Chính phủ",
        ),
        ("theo Công văn số 7432/UBND-XD của UBND tỉnh", "7432/UBND-XD", "Công văn", None, "UBND tỉnh"),
    ],
)
def test_references_read_number_type_date_and_issuer(sentence, number, doc_type, date, issuer):
    [reference] = find_references(sentence)
    assert reference.number == number
    assert reference.doc_type == doc_type
    assert (reference.date.iso() if reference.date else None) == date
    assert reference.issuer == issuer
    assert sentence[reference.span[0] : reference.span[1]] == reference.text


def test_references_list_after_one_type_word_yields_every_number():
    text = "các Nghị định số 37/2019/NĐ-CP ngày 07/5/2019, số 58/2023/NĐ-CP ngày 12/8/2023 của Chính phủ"
    assert [r.number for r in find_references(text)] == ["37/2019/NĐ-CP", "58/2023/NĐ-CP"]


@pytest.mark.parametrize(
    "text",
    ["Số: 122/KH-UBND", "tỷ lệ 1/5.000", "Kế hoạch số -KH/BCĐ ngày /02/2022", "ngày 25/01/2022", "đạt 5,79/7,0 điểm"],
)
def test_references_ignore_own_number_scales_and_blanks(text):
    assert find_references(text) == []


def test_references_skip_the_document_own_number():
    text = "Kế hoạch số 122/KH-UBND ngày 27/5/2023 thực hiện Nghị quyết số 148/NQ-CP"
    assert [r.number for r in find_references(text, own_number="122/KH-UBND")] == ["148/NQ-CP"]


def test_references_repeats_merge_but_spans_keep_every_mention():
    text = "Nghị quyết số 06-NQ/TW; sau đó Nghị quyết số 06-NQ/TW, ngày 24/01/2022 của Bộ Chính trị"
    [reference] = find_references(text)
    assert reference.date is not None and reference.date.iso() == "2022-01-24"
    assert len(citation_spans(text)) == 2


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Căn cứ Luật Quy hoạch số 21/2017/QH14 ngày 24 tháng 11 năm 2017;", "21/2017/QH14"),
        ("triển khai Nghị quyết số 163/2024/QH15 ngày 27/11/2024 của Quốc hội phê duyệt", "163/2024/QH15"),
        ("Pháp lệnh số 01/2019/UBTVQH14 ngày 5/1/2019", "01/2019/UBTVQH14"),
    ],
)
def test_references_laws_numbered_by_legislature_and_term(text, number):
    assert [r.number for r in find_references(text)] == [number]


@pytest.mark.parametrize(
    "text",
    [
        "Xét đề nghị của 28 đơn vị gồm: Công ty TNHH MTV Duy Cương tại Văn bản số 26/CV-DC ngày 15/4/2026;",
        "Doanh nghiệp tư nhân Thành Hương tại Văn bản số 01/GĐN-TH ngày 21/4/2026",
        "Danh nghiệp tư nhân Than đá Suối Bắc tại Văn bản số 02/GĐN-SB ngày 01/4/2026",
        "theo Văn bản số 12/CV-LH ngày 21/4/2026 của Công ty TNHH Thương mại Lương Hà",
    ],
)
def test_references_letters_of_enterprises_are_not_legal_documents(text):
    assert find_references(text) == []


def test_references_state_decision_cited_about_a_company_is_kept():
    text = "Công ty cổ phần Yên Phú được cấp phép khai thác tại Quyết định số 1883/QĐ-UBND ngày 12/8/2021"
    assert [r.number for r in find_references(text)] == ["1883/QĐ-UBND"]


def test_references_enterprise_letters_still_mask_their_dates():
    text = "Công ty TNHH Lương Hà tại Văn bản số 12/CV-LH ngày 21/4/2026"
    assert citation_spans(text) == [(text.index("Văn bản"), len(text))]


@pytest.mark.parametrize(
    "name",
    ["laocai-kh-sct-2026-kiem-tra-cap-gcn-vlncn-28-don-vi.txt", "bxd-qd-836-2019-quy-hoach-khoang-san-vlxd.txt"],
)
def test_references_match_gold_on_corpus(name):
    gold = json.loads((GOLD / f"{name}.json").read_text(encoding="utf-8"))
    parsed = read_document(DEV / name)
    found = {r.number for r in extract_references(parsed, extract_metadata(parsed).number)}
    assert found == {r if isinstance(r, str) else r["number"] for r in gold["references"]}
