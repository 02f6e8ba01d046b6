"""Cited legal documents: numbers of state and Party documents, dates, issuers."""

from __future__ import annotations

import pytest

from extractors.references import citation_spans, find_references


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
