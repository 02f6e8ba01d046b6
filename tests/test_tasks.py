"""Task segmentation and roles, one rule per case, on sentences taken from real plans."""

from __future__ import annotations

import pytest
from kehoach.extractors.extract import extract
from kehoach.models.document import Extraction, SourceInfo
from kehoach.pipeline.ingest.builder import ContentBuilder


def run(lines: list[str | list[str]]) -> Extraction:
    """Extract from a document given as lines (a list of cells is a table row)."""
    builder = ContentBuilder()
    for line in lines:
        if isinstance(line, list):
            builder.add_row(line, table=0)
        else:
            builder.add(line)
    return extract(builder.build(SourceInfo(path="t.txt", sha256="0", format="text")))


def only_task(lines):
    extraction = run(lines)
    assert len(extraction.tasks) == 1, [t.text for t in extraction.tasks]
    return extraction.tasks[0]


@pytest.mark.parametrize(
    ("item", "lead", "coordinating"),
    [
        (
            "c) Sở Xây dựng chủ trì, phối hợp với Sở Thông tin và Truyền thông, các cơ quan liên quan đẩy mạnh "
            "thông tin, tuyên truyền.",
            ["Sở Xây dựng"],
            ["Sở Thông tin và Truyền thông", "các cơ quan liên quan"],
        ),
        (
            "a) UBND các huyện, thành phố phối hợp với các sở, ban, ngành có liên quan tổ chức triển khai thực hiện.",
            ["Ủy ban nhân dân các huyện, thành phố"],
            ["các sở, ban, ngành có liên quan"],
        ),
        (
            "2. Giao Sở Kế hoạch và Đầu tư chủ trì, phối hợp với các sở, ngành, UBND các huyện, thành phố theo định "
            "kỳ hàng tháng báo cáo tiến độ lập quy hoạch tỉnh với Ban Chỉ đạo (02 lần/tháng).",
            ["Sở Kế hoạch và Đầu tư"],
            ["các sở, ngành", "Ủy ban nhân dân các huyện, thành phố"],
        ),
        (
            "1. Thủ trưởng các sở, ban, ngành, Chủ tịch UBND các huyện, thành phố tổ chức quán triệt, thông tin, "
            "tuyên truyền phổ biến rộng rãi Kế hoạch này.",
            ["các sở, ban, ngành", "Ủy ban nhân dân các huyện, thành phố"],
            [],
        ),
    ],
)
def test_tasks_inline_cues_give_roles(item, lead, coordinating):
    task = only_task(["II. NHIỆM VỤ VÀ GIẢI PHÁP", item])
    assert task.names("lead") == lead
    assert task.names("coordinating") == coordinating


def test_tasks_recipients_of_reports_take_no_role():
    task = only_task(
        [
            "III. TỔ CHỨC THỰC HIỆN",
            "1. Sở Tài chính định kỳ báo cáo UBND tỉnh, đồng thời gửi báo cáo đến Sở Xây dựng để theo dõi.",
        ]
    )
    assert task.names("lead") == ["Sở Tài chính"]
    assert task.names("coordinating") == []


def test_tasks_field_line_after_item_reads_lead_before_and_coordination_after_phoi_hop():
    task = only_task(
        [
            "II. NHIỆM VỤ",
            "b) Tham mưu trình UBND tỉnh ban hành các văn bản theo thẩm quyền của tỉnh.",
            "Cơ quan thực hiện: Sở Xây dựng chủ trì phối hợp với các sở, ban, ngành của tỉnh và UBND các huyện, "
            "thành phố tham mưu trình UBND tỉnh ban hành văn bản quy phạm pháp luật theo quy định.",
        ]
    )
    assert task.names("lead") == ["Sở Xây dựng"]
    coordinating = task.names("coordinating")
    assert len(coordinating) == 2 and coordinating[0].startswith("các sở, ban, ngành")
    assert coordinating[1] == "Ủy ban nhân dân các huyện, thành phố"


def test_tasks_agency_heading_hands_its_lead_to_each_item():
    extraction = run(
        [
            "III. TỔ CHỨC THỰC HIỆN",
            "2. Sở Kế hoạch và Đầu tư",
            "- Chủ trì tham mưu bố trí vốn đầu tư công cho các dự án phát triển đô thị.",
            "- Theo chức năng, nhiệm vụ phối hợp với các cơ quan liên quan huy động các nguồn lực.",
        ]
    )
    assert [t.names("lead") for t in extraction.tasks] == [["Sở Kế hoạch và Đầu tư"]] * 2
    assert extraction.tasks[1].names("coordinating") == ["các cơ quan liên quan"]
    assert [t.section for t in extraction.tasks] == ["III.2.-1", "III.2.-2"]


def test_tasks_item_split_into_fields_is_one_task_with_milestones():
    extraction = run(
        [
            "II. NỘI DUNG, NHIỆM VỤ",
            "1.1. Đồ án Điều chỉnh Quy hoạch chung thị trấn Đồng Mỏ đến năm 2035, tỷ lệ 1/5.000",
            "a) Nội dung thực hiện: Hoàn thành trình Ủy ban nhân dân tỉnh phê duyệt đồ án.",
            "b) Đơn vị thực hiện: Phòng Quy hoạch - Kiến trúc và Phát triển đô thị; Đơn vị Tư vấn: Viện kiến trúc "
            "Quốc gia;",
            "c) Đơn vị phối hợp: Các Sở, ban, ngành, Ủy ban nhân dân cấp huyện và các cơ quan đơn vị liên quan.",
            "d) Thời gian thực hiện:",
            "- Đầu tháng 3/2022: Sở Xây dựng xem xét Phương án quy hoạch;",
            "- Tháng 6/2022: Báo cáo kết quả thẩm định; Ủy ban nhân dân tỉnh phê duyệt.",
        ]
    )
    [task] = extraction.tasks
    assert task.names("lead") == ["Phòng Quy hoạch - Kiến trúc và Phát triển đô thị"]
    assert "Ủy ban nhân dân cấp huyện" in task.names("coordinating")
    assert [m.due.iso() for m in task.milestones if m.due] == ["2022-03", "2022-06"]
    assert task.due is not None and task.due.iso() == "2022-06"


def test_tasks_purpose_section_holds_no_tasks():
    extraction = run(
        [
            "I. MỤC ĐÍCH, YÊU CẦU",
            "1. Các phòng thuộc Sở chủ động bám sát các nội dung nhiệm vụ được phân công.",
            "II. TỔ CHỨC THỰC HIỆN",
            "1. Văn phòng Sở theo dõi, đôn đốc thực hiện Kế hoạch này.",
        ]
    )
    assert [t.section for t in extraction.tasks] == ["II.1"]


def test_tasks_closing_paragraph_is_a_task_of_its_own():
    extraction = run(
        [
            "III- TỔ CHỨC THỰC HIỆN",
            "1. Giao Sở Kế hoạch và Đầu tư chủ trì tổng hợp báo cáo tiến độ.",
            "Trong quá trình tổ chức thực hiện Kế hoạch, nếu có khó khăn, vướng mắc, các cơ quan, đơn vị chủ động "
            "đề xuất, gửi Sở Kế hoạch và Đầu tư để xem xét.",
        ]
    )
    assert len(extraction.tasks) == 2
    assert extraction.tasks[1].names("lead") == ["các cơ quan, đơn vị"]


def test_tasks_table_rows_with_role_columns_and_inherited_time():
    extraction = run(
        [
            "Phụ lục: KẾ HOẠCH TỔ CHỨC LẬP QUY HOẠCH TỈNH",
            ["Thời gian", "Nội dung nhiệm vụ", "Chủ trì", "Phối hợp", "Ghi chú"],
            ["1", "Giai đoạn 1 - Thu thập dữ liệu", "", "", ""],
            [
                "Tháng 01-02/2022",
                "- Cung cấp thông tin, đánh giá thực trạng",
                "Cơ quan thường trực BCĐ (SKH&ĐT)",
                "Các sở, ban, ngành",
                "",
            ],
            ["", "- Định hướng về cấu trúc và đề cương sơ bộ", "UBND tỉnh", "Các sở, ban, ngành", ""],
        ]
    )
    assert [t.section for t in extraction.tasks] == ["Phụ lục/Giai đoạn 1"] * 2
    first, second = extraction.tasks
    assert first.names("lead") == ["Sở Kế hoạch và Đầu tư"]
    assert second.names("lead") == ["Ủy ban nhân dân tỉnh"]
    assert (second.start.iso(), second.due.iso()) == ("2022-01", "2022-02")


def test_tasks_prose_timetable_gives_one_task_per_dated_clause():
    extraction = run(
        [
            "Hội nghị triển khai Quy hoạch tỉnh",
            "Theo đó thời gian dự kiến hoàn thành dự thảo lần 1 trong tháng 5/2021; báo cáo UBND tỉnh dự thảo lần 2 "
            "trong tháng 8/2021; báo cáo UBND tỉnh dự thảo lần 3 trong tháng 10/2020 và báo cáo Ban Thường vụ Tỉnh "
            "ủy trong tháng 11/2021.",
        ]
    )
    assert [t.due.iso() for t in extraction.tasks] == ["2021-05", "2021-08", "2020-10", "2021-11"]
    assert "milestones_out_of_order" in extraction.tasks[2].flags


def test_tasks_directing_body_is_not_the_lead():
    extraction = run(
        [
            "Tin bài",
            "Chủ tịch UBND tỉnh đề nghị các Sở, ban, ngành và UBND các huyện, thành phố chủ động rà soát lại các "
            "nội dung còn thiếu, phối hợp chặt chẽ với Sở Kế hoạch và Đầu tư.",
        ]
    )
    [task] = extraction.tasks
    assert task.names("lead") == ["các sở, ban, ngành", "Ủy ban nhân dân các huyện, thành phố"]
    assert task.names("coordinating") == ["Sở Kế hoạch và Đầu tư"]


def test_tasks_heading_naming_an_agency_with_a_bracket_or_request_word_hands_it_down():
    extraction = run(
        [
            "4. TỔ CHỨC THỰC HIỆN",
            "4.1 Sở Thông tin và Truyền thông (Giao Phòng Bưu chính Viễn thông)",
            "- Tham mưu cho UBND tỉnh ban hành quy hoạch hạ tầng kỹ thuật viễn thông thụ động.",
            "4.2 Đề nghị Ủy ban nhân dân các huyện, thành phố",
            "- Hỗ trợ các doanh nghiệp viễn thông triển khai thực hiện kế hoạch.",
        ]
    )
    assert [t.names("lead") for t in extraction.tasks] == [
        ["Sở Thông tin và Truyền thông"],
        ["Ủy ban nhân dân các huyện, thành phố"],
    ]


def test_tasks_upper_case_heading_without_items_is_not_a_task():
    extraction = run(
        ["2. NHIỆM VỤ TRỌNG TÂM (CHI TIẾT TẠI PHỤ LỤC)", "3. TỔ CHỨC THỰC HIỆN", "3.1 Giao Sở Y tế chủ trì."]
    )
    assert [t.section for t in extraction.tasks] == ["3.1"]
