"""Targets (chỉ tiêu): numbers, ranges, units, qualifiers, years, indicators, and the dev corpus score."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from kehoach.extractors.metadata import extract_metadata
from kehoach.extractors.targets import RESOURCE, extract_targets, find_targets, parse_number, plan_scope_year
from kehoach.models.document import ParsedDocument, SourceInfo
from kehoach.pipeline.ingest import read_document
from kehoach.pipeline.ingest.builder import ContentBuilder

from tests.eval import score

CORPUS = Path(__file__).parent / "corpus"
GOLD = CORPUS / "gold"


def values(targets):
    return [(t.year, t.min, t.max, t.unit, t.qualifier) for t in targets]


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("printed", "value"),
    [
        ("5,79", 5.79),
        ("1.000", 1000.0),
        ("1.234,5", 1234.5),
        ("12.500.000", 12500000.0),
        ("06", 6.0),
        ("35", 35.0),
        ("1.5", 1.5),
    ],
)
def test_targets_parse_number_reads_vietnamese_decimal_comma_and_thousands_dot(printed, value):
    assert parse_number(printed) == value


# --------------------------------------------------------------------------- one passage

POSITIVE = [
    # real sentences of the dev corpus
    (
        "Phấn đấu hoàn thành chỉ tiêu tỷ lệ đất giao thông trên đất xây dựng đô thị đạt khoảng 11-16% vào năm "
        "2025, khoảng 16 - 24% vào năm 2030; diện tích cây xanh bình quân đô thị đạt khoảng 6-8 m²/người vào năm "
        "2025, khoảng 8-10 m²/người vào năm 2030.",
        [
            (2025, 11, 16, "%", "khoảng"),
            (2030, 16, 24, "%", "khoảng"),
            (2025, 6, 8, "m²/người", "khoảng"),
            (2030, 8, 10, "m²/người", "khoảng"),
        ],
    ),
    (
        "trong đó diện tích sàn nhà ở bình quân đầu người tại khu vực đô thị đạt 35 m² vào năm 2025, đến năm "
        "2030 đạt tối thiểu 35 m².",
        [(2025, 35, 35, "m²", None), (2030, 35, 35, "m²", "tối thiểu")],
    ),
    (
        "Đến năm 2030 hoàn thành 100% quy hoạch xây dựng vùng huyện; 100% các đô thị và điểm dân cư nông thôn "
        "lập quy chế quản lý kiến trúc.",
        [(2030, 100, 100, "%", None), (2030, 100, 100, "%", None)],
    ),
    (
        "Hạ tầng mạng băng rộng cáp quang phủ trên 80% hộ gia đình, tỷ lệ dân số trưởng thành có điện thoại "
        "thông minh đạt 80%, bó gọn cáp ngoại vi viễn thông 100% các trục đường chính của đô thị đến năm 2025. "
        "Tỷ lệ hộ gia đình được phủ mạng Internet băng rộng cáp quang đạt 100%; tỷ lệ dân số trưởng thành có "
        "điện thoại thông minh đạt 95% đến năm 2030.",
        [
            (2025, 80, 80, "%", "trên"),
            (2025, 80, 80, "%", None),
            (2025, 100, 100, "%", None),
            (2030, 100, 100, "%", None),
            (2030, 95, 95, "%", None),
        ],
    ),
    (
        "Đến năm 2025, hoàn thành rà soát; 90% tổng số xã trên địa bàn tỉnh (khoảng 162 xã) được lập quy hoạch; "
        "hoàn thành 06 quy hoạch xây dựng vùng huyện.",
        [(2025, 90, 90, "%", None), (2025, 162, 162, "xã", "khoảng"), (2025, 6, 6, "quy hoạch", None)],
    ),
    (
        "Tiếp tục duy trì và nâng cao các chỉ số cao điểm; Phấn đấu năm 2022, Sở Xây dựng tăng ít nhất 05 bậc so "
        "với năm 2021.",
        [(2022, 5, 5, "bậc", "ít nhất")],
    ),
    # invented, from other domains
    ("Tỷ lệ hộ nghèo giảm bình quân 1,5%/năm.", [(2022, 1.5, 1.5, "%/năm", None)]),
    ("Trồng mới 1.000 ha rừng vào năm 2025.", [(2025, 1000, 1000, "ha", None)]),
    ("Phấn đấu tỷ lệ che phủ rừng đạt trên 65%.", [(2022, 65, 65, "%", "trên")]),
    ("Đến năm 2030 có ít nhất 02 đô thị loại III.", [(2030, 2, 2, "đô thị", "ít nhất")]),
    ("Tỷ lệ đô thị hóa đạt từ 30 đến 35% vào năm 2030.", [(2030, 30, 35, "%", None)]),
    (
        "Tỷ lệ dân số đô thị được cung cấp nước sạch không thấp hơn 95% vào năm 2025.",
        [(2025, 95, 95, "%", "tối thiểu")],
    ),
    ("Tỷ lệ trường đạt chuẩn quốc gia đạt 60% trở lên vào năm 2025.", [(2025, 60, 60, "%", "tối thiểu")]),
    ("Thu nhập bình quân đầu người đạt 1.234,5 USD/người vào năm 2025.", [(2025, 1234.5, 1234.5, "USD/người", None)]),
    ("Tỷ lệ đô thị hóa: 35% (năm 2025); 40% (năm 2030).", [(2025, 35, 35, "%", None), (2030, 40, 40, "%", None)]),
    ("Giai đoạn 2021-2025, mỗi năm giảm 1.000 hộ nghèo.", [(2025, 1000, 1000, "hộ", None)]),
    ("Hoàn thành 100% hồ sơ trước tháng 6/2025.", [(2025, 100, 100, "%", None)]),
]


@pytest.mark.parametrize(("sentence", "expected"), POSITIVE)
def test_targets_find_targets_reads_value_unit_qualifier_and_year(sentence, expected):
    found = find_targets(sentence, 0, default_year=2022)
    assert values(found) == [(y, float(lo), float(hi), u, q) for y, lo, hi, u, q in expected]


NEGATIVE = [
    "Đồ án Điều chỉnh Quy hoạch chung thị trấn Đồng Mỏ đến năm 2035, tỷ lệ 1/5.000.",
    "Thực hiện Quyết định số 197/QĐ-UBND ngày 25/01/2022 của Ủy ban nhân dân tỉnh.",
    "Tổ chức lập Quy hoạch tỉnh Lạng Sơn thời kỳ 2021 - 2030, tầm nhìn đến năm 2050.",
    "Chỉ số DDCI năm 2021 đạt 5,79/7,0 điểm.",
    "Chi phí thời gian (**5,79/7,0**), Chi phí không chính thức (**5,47/6,5**).",
    "Báo cáo tiến độ lập quy hoạch tỉnh với Ban Chỉ đạo (02 lần/tháng).",
    "Dự án cải tạo nâng cấp Quốc lộ 4B (đoạn Km3+700 đến Km18); dự án nâng cấp đoạn Km18 - Km80.",
    "Năm 2022, tỷ lệ hộ nghèo toàn tỉnh đạt 15%.",
    "Hiện nay toàn tỉnh đã có 12 đô thị.",
    "Dân số toàn tỉnh khoảng 790.000 người.",
    "Tổ chức triển khai 7 nhóm nhiệm vụ chủ yếu; chính quyền địa phương 2 cấp.",
    "Tăng 15% so với cùng kỳ năm trước.",
    "Theo Điều 11 Nghị định số 37/2019/NĐ-CP ngày 07/5/2019 của Chính phủ.",
]


NOT_TARGETS = [
    # funding shares, budgets, fines, counts that only describe
    "Ngân sách Nhà nước cấp phát 100% cho các Bộ đối với các hoạt động do các cơ quan trực tiếp thực hiện.",
    "Quyết định phê duyệt tổng mức đầu tư 120 tỷ đồng cho dự án.",
    "Xử phạt vi phạm hành chính 45 triệu đồng.",
    "Xét đề nghị của 28 đơn vị gồm các doanh nghiệp hoạt động vật liệu nổ.",
    "Năm 2023 toàn tỉnh có 35 dự án chậm tiến độ.",
    "Đã hoàn thành 12 dự án trong năm qua.",
    "Liên hệ số điện thoại 0263 3822 123 để được hỗ trợ.",
    "Phối hợp với 03 huyện tổ chức hội nghị.",
    "Báo cáo tiến độ lập quy hoạch tỉnh với Ban Chỉ đạo (02 lần/tháng).",
]


@pytest.mark.parametrize("sentence", NEGATIVE + NOT_TARGETS)
def test_targets_find_targets_ignores_labels_dates_scales_and_baselines(sentence):
    assert find_targets(sentence, 0, default_year=2024) == []


def test_targets_indicator_is_carried_over_an_ellipsis():
    found = find_targets(
        "tỷ lệ đất giao thông trên đất xây dựng đô thị đạt khoảng 11-16% vào năm 2025, khoảng 16 - 24% vào năm 2030",
        0,
        2023,
    )
    assert [t.indicator for t in found] == ["tỷ lệ đất giao thông trên đất xây dựng đô thị"] * 2
    assert [t.year for t in found] == [2025, 2030]


INDICATORS = [
    ("Phấn đấu tỷ lệ che phủ rừng đạt trên 65%.", "tỷ lệ che phủ rừng"),
    (
        "100% các đô thị và điểm dân cư nông thôn lập quy chế quản lý kiến trúc vào năm 2030.",
        "đô thị và điểm dân cư nông thôn lập quy chế quản lý kiến trúc",
    ),
    (
        "Đến năm 2025 hoàn thành 06 quy hoạch xây dựng vùng huyện (gồm: Đình Lập, Lộc Bình).",
        "quy hoạch xây dựng vùng huyện hoàn thành",
    ),
    ("Đến năm 2025, 100% cán bộ được tập huấn theo Kế hoạch số 34/KH-STTTT.", "cán bộ được tập huấn"),
    ("Tốc độ tải xuống đạt tối thiểu 5Mbit/s vào năm 2025.", "tốc độ tải xuống"),
]


@pytest.mark.parametrize(("sentence", "indicator"), INDICATORS)
def test_targets_indicator_is_the_governing_noun_phrase(sentence, indicator):
    assert [t.indicator for t in find_targets(sentence, 0, 2023)] == [indicator]


def test_targets_spans_are_document_offsets():
    prefix = "Lời mở đầu. "
    sentence = "Tỷ lệ che phủ rừng đạt trên 65% vào năm 2025."
    content = prefix + sentence
    (target,) = find_targets(sentence, offset=len(prefix), default_year=2023)
    assert content[target.span[0] : target.span[1]] == target.text
    assert target.text == "Tỷ lệ che phủ rừng đạt trên 65% vào năm 2025"


def test_targets_one_target_per_indicator_year_and_unit():
    found = find_targets("Tỷ lệ che phủ rừng đạt 65% vào năm 2025. Tỷ lệ che phủ rừng đạt 65% vào năm 2025.", 0, 2023)
    assert len(found) == 1


def test_targets_default_year_only_dates_ratios_not_counts():
    assert values(find_targets("Phấn đấu 100% thủ tục hành chính được giải quyết đúng hạn.", 0, 2022)) == [
        (2022, 100.0, 100.0, "%", None)
    ]
    assert find_targets("Toàn tỉnh có 05 công trình trọng điểm.", 0, 2022) == []
    assert values(find_targets("Xây dựng 05 công trình trọng điểm.", 0, 2022)) == [(None, 5.0, 5.0, "công trình", None)]
    assert values(find_targets("Xây dựng 05 công trình.", 0, 2022, context_year=2025)) == [
        (2025, 5.0, 5.0, "công trình", None)
    ]


def test_targets_scope_year_dates_undated_values_counts_included():
    sentence = "Xây dựng 05 công trình trọng điểm; 100% thủ tục được giải quyết đúng hạn."
    assert values(find_targets(sentence, 0, 2024, scope_year=2025)) == [
        (2025, 5.0, 5.0, "công trình", None),
        (2025, 100.0, 100.0, "%", None),
    ]


@pytest.mark.parametrize(
    ("title", "issued", "year"),
    [
        ("Nâng cao chất lượng mạng viễn thông di động tỉnh Đắk Nông đến năm 2025", 2024, 2025),
        ("Kiểm tra công tác cải cách hành chính năm 2026 trên địa bàn tỉnh Lâm Đồng", 2026, 2026),
        ("Về kết quả sử dụng đất của các dự án đầu tư giai đoạn 2011 - 2016", 2017, None),
        ("Tổ chức lập Quy hoạch tỉnh Lạng Sơn thời kỳ 2021 - 2030, tầm nhìn đến năm 2050", 2022, None),
        ("Triển khai thực hiện Chỉ thị số 13/CT-TTg ngày 02 tháng 5 năm 2024 của Thủ tướng Chính phủ", 2024, None),
        ("Hội nghị đánh giá công tác năm 2025 và triển khai nhiệm vụ năm 2026", 2026, 2026),
    ],
)
def test_targets_plan_scope_year_is_the_horizon_its_title_names(title, issued, year):
    assert plan_scope_year(title, issued) == year


# --------------------------------------------------------------------------- document level


def build(paragraphs: list[str], table: list[list[str]] | None = None) -> ParsedDocument:
    builder = ContentBuilder()
    for text in paragraphs:
        builder.add(text, "list_item" if re.match(r"^\s*[-+]", text) else "paragraph")
    for index, row in enumerate(table or []):
        builder.add_row(row, table=0, header=index == 0)
    return builder.build(SourceInfo(path="x.txt", sha256="0", format="text"))


def test_targets_extract_carries_a_lead_year_to_the_items_under_it():
    doc = build(
        [
            "1. Mục tiêu đến năm 2025:",
            "- Hoàn thành 03 đồ án quy hoạch phân khu;",
            "- Tỷ lệ hộ dân được sử dụng nước sạch đạt 95%.",
            "2. Giải pháp",
            "- Xây dựng 05 công trình văn hóa.",
        ]
    )
    found = extract_targets(doc, 2023, title="")
    assert values(found) == [
        (2025, 3.0, 3.0, "quy hoạch", None),
        (2025, 95.0, 95.0, "%", None),
        (None, 5.0, 5.0, "công trình", None),  # work to do, but the lead's year stops at "2. Giải pháp"
    ]
    for target in found:
        assert doc.content[target.span[0] : target.span[1]] == target.text


def test_targets_extract_skips_legal_grounds_and_recipients():
    doc = build(
        [
            "Căn cứ Nghị quyết số 06-NQ/TW đặt mục tiêu tỷ lệ đô thị hóa đạt 50% vào năm 2030;",
            "Tỷ lệ che phủ rừng đạt 65% vào năm 2025.",
            "Nơi nhận:",
            "- Các phòng và 02 đô thị loại V đến năm 2025;",
            "- Lưu: VT.",
        ]
    )
    assert values(extract_targets(doc, 2023, title="")) == [(2025, 65.0, 65.0, "%", None)]


def test_targets_extract_reads_an_indicator_table_by_year_columns():
    doc = build(
        ["Phụ lục: Chỉ tiêu phát triển đô thị"],
        table=[
            ["STT", "Chỉ tiêu", "Đơn vị tính", "Thực hiện năm 2020", "Năm 2025", "Năm 2030"],
            ["1", "Tỷ lệ đô thị hóa", "%", "22", "26", "30-35"],
            ["2", "Diện tích cây xanh bình quân", "m2/người", "4", "≥ 6", "8"],
        ],
    )
    found = extract_targets(doc, 2023, title="")
    assert values(found) == [
        (2025, 26.0, 26.0, "%", None),
        (2030, 30.0, 35.0, "%", None),
        (2025, 6.0, 6.0, "m²/người", "tối thiểu"),
        (2030, 8.0, 8.0, "m²/người", None),
    ]
    assert found[0].indicator == "tỷ lệ đô thị hóa"
    assert all(doc.content[t.span[0] : t.span[1]] == t.text for t in found)


def test_targets_rule_file_describes_itself_and_maps_every_variant():
    data = json.loads(RESOURCE.read_text(encoding="utf-8"))
    assert len(data["description"]) > 200
    assert {"%", "m²/người", "m²", "xã", "đô thị", "quy hoạch", "bậc"} <= {u["unit"] for u in data["units"]}
    assert set(data["qualifiers"]) == {"khoảng", "tối thiểu", "ít nhất", "tối đa", "trên", "dưới"}
    assert all(u["kind"] in {"ratio", "measure", "count", "money"} and u["variants"] for u in data["units"])


# --------------------------------------------------------------------------- dev corpus score


def _corpus_sources() -> list[Path]:
    """Every bundled corpus file that has a gold file (text renderings and originals alike)."""
    gold = {path.name.removesuffix(".json") for path in GOLD.glob("*.json")}
    return sorted(p for folder in ("dev", "real") for p in (CORPUS / folder).iterdir() if p.name in gold)


def test_targets_dev_corpus_f1_and_precision():
    """The whole bundled corpus, with the plan's year and title read by the metadata extractor as in production."""
    tally = score.Tally()
    sources = _corpus_sources()
    for path in sources:
        gold = json.loads((GOLD / f"{path.name}.json").read_text(encoding="utf-8"))
        parsed = read_document(path)
        meta = extract_metadata(parsed)
        year = meta.issued_date.year if meta.issued_date else None
        predicted = extract_targets(parsed, year, title=meta.title or "")
        score.score_document({"targets": gold["targets"]}, {"targets": [t.model_dump() for t in predicted]}, tally)
    tp, fp, fn = tally["target_tp"], tally["target_fp"], tally["target_fn"]
    precision, recall, f1 = score.prf(tp, fp, fn)
    assert len(sources) >= 20 and tp + fn >= 60
    assert f1 >= 0.9, (precision, recall)
    assert precision >= 0.95, (precision, recall)


def test_targets_extract_lead_year_reaches_nested_numbered_items():
    doc = build(
        [
            "1.2 Mục tiêu cụ thể đến 2025",
            "1.2.1 Nâng cao chất lượng mạng viễn thông di động:",
            "- Tốc độ tải xuống trung bình tối thiểu 40 Mbit/s.",
            "2. Nhiệm vụ trọng tâm",
            "- Tốc độ tải lên trung bình tối thiểu 10 Mbit/s.",
        ]
    )
    assert values(extract_targets(doc, 2024, title="")) == [
        (2025, 40.0, 40.0, "Mbit/s", "tối thiểu"),
        (2024, 10.0, 10.0, "Mbit/s", "tối thiểu"),
    ]


# --------------------------------------------------------------------------- counts, quotas, rates, norms

RULES = [
    # (sentence, [(year, min, max, unit, qualifier, rule)]) with default_year 2024
    (
        "Đến năm 2025, hoàn thành 02 dự án và 03 công trình thủy lợi.",
        [(2025, 2, 2, "dự án", None, "target.count"), (2025, 3, 3, "công trình", None, "target.count")],
    ),
    ("Năm 2026, hỗ trợ xây dựng nhà ở cho trên 500 hộ nghèo.", [(2026, 500, 500, "hộ", "trên", "target.count")]),
    (
        "Phấn đấu trung bình mỗi năm tổ chức đấu giá từ 05 mỏ khoáng sản làm vật liệu xây dựng thông thường trở lên.",
        [(None, 5, 5, "mỏ", "tối thiểu", "target.per_period")],
    ),
    (
        "Hằng quý tổ chức ít nhất 02 lớp tập huấn cho cán bộ cấp xã.",
        [(None, 2, 2, "lớp", "ít nhất", "target.per_period")],
    ),
    (
        "Trước mắt, cần rà soát, xem xét thu hồi 24 dự án, giám sát đặc biệt 29 dự án và đôn đốc thực hiện 26 dự án.",
        [
            (None, 24, 24, "dự án", None, "target.count_action"),
            (None, 29, 29, "dự án", None, "target.count_action"),
            (None, 26, 26, "dự án", None, "target.count_action"),
        ],
    ),
    (
        "Chỉ đạo các địa phương hàng tháng đo kiểm (đảm bảo tối thiểu 300 mẫu đo/xã/tháng).",
        [(2024, 300, 300, "mẫu đo/xã/tháng", "tối thiểu", "target.per_unit")],
    ),
    (
        "Bảo đảm mỗi học kỳ tổ chức ít nhất 1 buổi/cơ sở giáo dục trên địa bàn.",
        [(2024, 1, 1, "buổi/cơ sở giáo dục", "ít nhất", "target.per_unit")],
    ),
    ("Tốc độ tăng trưởng GRDP bình quân tăng 2,0-2,5%/năm.", [(2024, 2.0, 2.5, "%/năm", None, "target.rate_year")]),
    (
        "Tỷ lệ hộ nghèo giảm dưới 3% vào năm 2030.",
        [(2030, 3, 3, "%", "dưới", "target.ratio")],
    ),
    ("Tỷ lệ thất nghiệp khu vực thành thị không quá 4%.", [(2024, 4, 4, "%", "tối đa", "target.ratio")]),
    (
        "Phấn đấu thu ngân sách nhà nước trên địa bàn đạt 5.000 tỷ đồng vào năm 2025.",
        [(2025, 5000, 5000, "tỷ đồng", None, "target.amount")],
    ),
]


@pytest.mark.parametrize(("sentence", "expected"), RULES)
def test_targets_each_rule_reads_its_class_and_names_itself(sentence, expected):
    found = find_targets(sentence, 0, default_year=2024)
    assert [(t.year, t.min, t.max, t.unit, t.qualifier, t.rule) for t in found] == [
        (y, float(lo), float(hi), u, q, rule) for y, lo, hi, u, q, rule in expected
    ]


def test_targets_two_services_with_the_same_wording_stay_two_targets():
    doc = build(
        [
            "1.2 Mục tiêu cụ thể đến 2025",
            "- Dịch vụ video Full HD (độ phân giải 1080p): Tốc độ tải xuống đạt tối thiểu 5Mbit/s (95% truy nhập "
            "có tốc độ tải xuống đạt yêu cầu).",
            "- Dịch vụ video Ultra HD (độ phân giải 4K): Tốc độ tải xuống đạt tối thiểu 25Mbit/s (95% truy nhập "
            "có tốc độ tải xuống đạt yêu cầu).",
        ]
    )
    found = extract_targets(doc, 2024, title="")
    assert values(found) == [
        (2025, 5.0, 5.0, "Mbit/s", "tối thiểu"),
        (2025, 95.0, 95.0, "%", None),
        (2025, 25.0, 25.0, "Mbit/s", "tối thiểu"),
        (2025, 95.0, 95.0, "%", None),
    ]
    assert "Ultra HD" in found[2].indicator and "Ultra HD" in found[3].indicator


def test_targets_a_bounded_target_restated_in_other_words_is_one_target():
    doc = build(
        [
            "Bảo đảm đạt ít nhất 40% địa bàn cấp xã không ma túy trong năm 2026.",
            "- Phấn đấu xây dựng được ít nhất 40% xã, phường, đặc khu không ma túy trong năm 2026.",
            "- Tỷ lệ cán bộ được tập huấn đạt ít nhất 40% trong năm 2026.",
        ]
    )
    found = extract_targets(doc, 2026, title="")
    assert values(found) == [(2026, 40.0, 40.0, "%", "ít nhất"), (2026, 40.0, 40.0, "%", "ít nhất")]
    assert found[1].indicator.startswith("tỷ lệ cán bộ")


def test_targets_every_corpus_target_names_its_rule():
    rules_seen: set[str] = set()
    for path in _corpus_sources():
        parsed = read_document(path)
        for target in extract_targets(parsed, 2024, title=""):
            assert target.rule and target.rule.startswith("target.")
            rules_seen.add(target.rule)
    assert {"target.ratio", "target.count", "target.measure"} <= rules_seen
