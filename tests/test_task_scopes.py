"""Scopes of roles (headings, lead-ins, letters, articles) and tables read by header meaning.

Each case is written the way administrative documents of different bodies
write it (the sentences follow real plans, letters and decisions of the
corpus), so a rule that only fits one document fails here.
"""

from __future__ import annotations

from kehoach.extractors.extract import extract
from kehoach.extractors.table_tasks import column_role
from kehoach.models.document import Extraction, SourceInfo
from kehoach.pipeline.ingest.builder import ContentBuilder


def run(lines: list[str | list[str]], *, header_rows: int = 1) -> Extraction:
    """Extract from a document given as lines (a list of cells is a table row; the first rows are headers)."""
    builder = ContentBuilder()
    rows = 0
    for line in lines:
        if isinstance(line, list):
            builder.add_row(line, table=0, header=rows < header_rows)
            rows += 1
        else:
            builder.add(line)
    return extract(builder.build(SourceInfo(path="t.txt", sha256="0", format="text")))


def by_anchor(extraction: Extraction, anchor: str):
    found = [t for t in extraction.tasks if anchor in t.text]
    assert len(found) == 1, [t.text for t in extraction.tasks]
    return found[0]


def test_lead_in_paragraph_hands_lead_and_partners_to_its_items():
    extraction = run(
        [
            "II. NHIỆM VỤ, GIẢI PHÁP TRỌNG TÂM",
            "1. Về cải cách thể chế",
            "Giao Sở Tư pháp chủ trì, phối hợp với các cơ quan, đơn vị liên quan:",
            "a) Tổ chức rà soát toàn bộ hệ thống văn bản quy phạm pháp luật thuộc thẩm quyền.",
            "b) Kịp thời tham mưu sửa đổi, bổ sung các văn bản không còn phù hợp.",
            "2. Về cải cách tài chính công",
            "Giao Sở Tài chính:",
            "a) Tham mưu Ủy ban nhân dân tỉnh sử dụng ngân sách nhà nước hợp lý, tiết kiệm.",
        ]
    )
    first = by_anchor(extraction, "Tổ chức rà soát")
    assert first.names("lead") == ["Sở Tư pháp"]
    assert first.names("coordinating") == ["các cơ quan, đơn vị liên quan"]
    assert {m.rule for m in first.roles} == {"role.lead_in"}
    finance = by_anchor(extraction, "Tham mưu Ủy ban nhân dân tỉnh")
    assert finance.names("lead") == ["Sở Tài chính"]
    assert "Giao Sở Tài chính:" not in [t.text for t in extraction.tasks]


def test_item_naming_its_own_lead_keeps_it_under_a_lead_in():
    extraction = run(
        [
            "III. TỔ CHỨC THỰC HIỆN",
            "Giao Sở Nội vụ chủ trì, phối hợp với các cơ quan, đơn vị liên quan:",
            "1. Theo dõi, đôn đốc, tổng hợp tình hình triển khai thực hiện Thông báo này.",
            "2. Sở Tài chính bố trí kinh phí thực hiện các nhiệm vụ được giao.",
        ]
    )
    assert by_anchor(extraction, "Theo dõi, đôn đốc").names("lead") == ["Sở Nội vụ"]
    assert by_anchor(extraction, "bố trí kinh phí").names("lead") == ["Sở Tài chính"]


def test_letter_request_sentence_leads_the_items():
    extraction = run(
        [
            "Kính gửi: Ủy ban nhân dân các tỉnh, thành phố trực thuộc Trung ương",
            "Để triển khai thực hiện các quy định mới được ban hành, Bộ Nông nghiệp và Môi trường kính đề nghị "
            "Ủy ban nhân dân các tỉnh, thành phố trực thuộc Trung ương chỉ đạo thực hiện một số nhiệm vụ, "
            "cụ thể như sau:",
            "1. Về giảm nhẹ phát thải khí nhà kính",
            "a) Định kỳ hai năm một lần rà soát số liệu tiêu thụ năng lượng của cơ sở phát thải.",
        ]
    )
    task = by_anchor(extraction, "rà soát số liệu")
    [lead] = task.names("lead")
    assert lead.startswith("Ủy ban nhân dân các tỉnh, thành phố")
    assert task.roles[0].rule == "role.letter_lead_in"


def test_addressees_lead_when_the_letter_names_nobody_else():
    extraction = run(
        [
            "Kính gửi:",
            "- Các cơ quan chuyên môn thuộc Ủy ban nhân dân tỉnh;",
            "- Ủy ban nhân dân các xã, phường, đặc khu.",
            "Trong thời gian qua, việc triển khai các nhiệm vụ cải cách hành chính đã có chuyển biến.",
            "1. Rà soát, cập nhật đầy đủ dữ liệu thủ tục hành chính trên Cổng dịch vụ công.",
        ]
    )
    assert [t.text for t in extraction.tasks] == [
        "1. Rà soát, cập nhật đầy đủ dữ liệu thủ tục hành chính trên Cổng dịch vụ công."
    ]  # the addressee lines are not tasks
    task = extraction.tasks[0]
    assert task.roles and {m.rule for m in task.roles} == {"role.addressee"}
    assert "Ủy ban nhân dân các xã, phường, đặc khu" in task.names("lead")


def test_issuing_sentence_of_a_plan_does_not_lead_its_tasks():
    extraction = run(
        [
            "Ủy ban nhân dân tỉnh ban hành Kế hoạch thực hiện như sau:",
            "I. NHIỆM VỤ",
            "1. Rà soát quy hoạch các khu công nghiệp trên địa bàn.",
        ]
    )
    assert extraction.tasks[0].names("lead") == []


def test_heading_naming_whose_duties_they_are_scopes_its_items():
    extraction = run(
        [
            "II. NHIỆM VỤ CHỦ YẾU CỦA BỘ TÀI NGUYÊN VÀ MÔI TRƯỜNG",
            "1. Xây dựng và ban hành Kế hoạch giảm nhẹ phát thải khí nhà kính của lĩnh vực quản lý chất thải.",
            "2. Phối hợp với Bộ Tài chính hoàn thiện Đề án phát triển thị trường các-bon.",
        ]
    )
    first = by_anchor(extraction, "Xây dựng và ban hành")
    assert first.names("lead") == ["Bộ Tài nguyên và Môi trường"]
    assert first.roles[0].rule == "role.heading_scope"
    second = by_anchor(extraction, "hoàn thiện Đề án")
    assert second.names("lead") == ["Bộ Tài nguyên và Môi trường"]
    assert second.names("coordinating") == ["Bộ Tài chính"]


def test_articles_of_a_decision_hold_tasks_only_where_they_assign_work():
    extraction = run(
        [
            "Điều 1. Phê duyệt danh mục Dự án hỗ trợ kỹ thuật với những nội dung chủ yếu sau:",
            "- Cơ quan chủ quản: Bộ Tài nguyên và Môi trường.",
            "- Mục tiêu chung của Dự án: tăng cường năng lực xây dựng chính sách.",
            "Điều 2. Giao Bộ Tài nguyên và Môi trường:",
            "- Thực hiện các thủ tục để phê duyệt Dự án hỗ trợ kỹ thuật nói trên.",
            "- Chủ trì, phối hợp với Bộ Tài chính triển khai thực hiện Dự án.",
            "Điều 3. Quyết định này có hiệu lực kể từ ngày ký.",
            "Điều 4. Các Bộ trưởng, Chủ tịch Ủy ban nhân dân các tỉnh chịu trách nhiệm thi hành Quyết định này.",
        ]
    )
    texts = [t.text for t in extraction.tasks]
    assert len(texts) == 2, texts
    assert all(t.names("lead") == ["Bộ Tài nguyên và Môi trường"] for t in extraction.tasks)
    assert by_anchor(extraction, "triển khai thực hiện Dự án").names("coordinating") == ["Bộ Tài chính"]


def test_plan_attached_after_the_decision_signature_is_read():
    extraction = run(
        [
            "Điều 1. Ban hành kèm theo Quyết định này Kế hoạch lập quy hoạch.",
            "Điều 2. Quyết định này có hiệu lực kể từ ngày ký.",
            "Nơi nhận:",
            "- Như Điều 2;",
            "- Lưu: VT.",
            "KẾ HOẠCH",
            "(Ban hành kèm theo Quyết định số 836/QĐ-BXD ngày 14 tháng 10 năm 2019 của Bộ trưởng Bộ Xây dựng)",
            "I. TỔ CHỨC THỰC HIỆN",
            "1. Giao Vụ Kế hoạch - Tài chính thẩm định và phê duyệt dự toán kinh phí lập quy hoạch.",
        ]
    )
    assert [t.text for t in extraction.tasks] == [
        "1. Giao Vụ Kế hoạch - Tài chính thẩm định và phê duyệt dự toán kinh phí lập quy hoạch."
    ]


def test_distributive_bullets_are_one_task_each_with_their_own_lead():
    extraction = run(
        [
            "II. NHIỆM VỤ",
            "1. Các bộ quản lý chuyên ngành công bố danh mục tài sản kết cấu hạ tầng, cụ thể như sau:",
            "- Tài sản kết cấu hạ tầng cụm công nghiệp - Bộ Công Thương.",
            "- Tài sản kết cấu hạ tầng đô thị - Bộ Xây dựng.",
        ]
    )
    assert by_anchor(extraction, "cụm công nghiệp").names("lead") == ["Bộ Công Thương"]
    urban = by_anchor(extraction, "hạ tầng đô thị")
    assert urban.names("lead") == ["Bộ Xây dựng"]
    assert urban.roles[0].rule == "role.trailing_assignee"


def test_bullets_spelling_out_one_task_stay_one_task():
    extraction = run(
        [
            "II. NHIỆM VỤ",
            "1. Đánh giá kết quả thực hiện Quy hoạch tỉnh giai đoạn 2021 - 2025, gồm:",
            "- Phương hướng phát triển ngành, lĩnh vực trong Báo cáo tổng hợp.",
            "- Tình hình thực hiện các dự án ưu tiên.",
        ]
    )
    assert len(extraction.tasks) == 1


def test_header_words_name_column_roles():
    assert column_role("Cơ quan chủ trì thực hiện") == "lead"
    assert column_role("Cơ quan phối hợp thực hiện") == "coordinating"
    assert column_role("Cơ quan chịu trách nhiệm quản lý nhà nước theo quy định") == "lead"
    assert column_role("Người thực hiện") == "person"
    assert column_role("Nhiệm vụ thực hiện") == "task"
    assert column_role("Thời gian trình") == "time"
    assert column_role("Sản phẩm, hình thức văn bản") == "note"
    assert column_role("Trách nhiệm thực hiện") == "lead"
    assert column_role("Đơn vị được kiểm tra") is None


def test_table_prefers_the_chu_tri_column_and_reads_group_rows():
    extraction = run(
        [
            ["Thời gian", "Nội dung công việc", "Cơ quan chịu trách nhiệm", "Đơn vị chủ trì", "Đơn vị phối hợp"],
            ["I", "GIAI ĐOẠN 1: LẬP, THẨM ĐỊNH NHIỆM VỤ", "", "", ""],
            ["1", "Lập nhiệm vụ quy hoạch"],
            [
                "Tháng 10-11/2019",
                "Xây dựng khung định hướng quy hoạch",
                "Cơ quan lập quy hoạch",
                "Vụ Vật liệu xây dựng",
                "",
            ],
            [
                "",
                "Lấy ý kiến các Bộ, ngành",
                "Cơ quan lập quy hoạch",
                "Vụ Vật liệu xây dựng",
                "Vụ Kế hoạch - Tài chính",
            ],
            ["01/2020", "Phê duyệt nhiệm vụ lập quy hoạch", "Thủ tướng Chính phủ", "", ""],
        ]
    )
    texts = [t.text for t in extraction.tasks]
    assert texts == [
        "Xây dựng khung định hướng quy hoạch",
        "Lấy ý kiến các Bộ, ngành",
        "Phê duyệt nhiệm vụ lập quy hoạch",
    ]
    first, second, third = extraction.tasks
    assert first.names("lead") == ["Vụ Vật liệu xây dựng"]
    assert first.section == "Phụ lục/GIAI ĐOẠN 1/Lập nhiệm vụ quy hoạch"
    assert second.due is not None and second.due.iso() == "2019-11"  # the date cell merged over both rows
    assert third.names("lead") == ["Thủ tướng Chính phủ"]  # the weaker lead column stands in when the stronger is empty
    assert {m.rule for m in first.roles} == {"role.table_column"}


def test_schedule_table_without_a_work_column_takes_the_scheduled_unit():
    extraction = run(
        [
            ["STT", "Đơn vị được kiểm tra", "Thời gian kiểm tra"],
            ["I", "Cơ quan chuyên môn cấp tỉnh", ""],
            ["1", "Sở Xây dựng", "Tháng 7/2026"],
            ["2", "Sở Y tế", "Tháng 8/2026"],
        ]
    )
    assert [t.text for t in extraction.tasks] == ["Sở Xây dựng", "Sở Y tế"]
    assert [t.due.iso() for t in extraction.tasks] == ["2026-07", "2026-08"]
    assert all(t.names("lead") == [] for t in extraction.tasks)  # the inspected unit is the object, not the lead


def test_people_column_names_no_agency():
    extraction = run(
        [
            ["TT", "Nhiệm vụ thực hiện", "Người thực hiện", "Ghi chú"],
            ["1.", "Rà soát việc đáp ứng các điều kiện của học viên", "Đỗ Mạnh Cường; Vũ Việt Linh", ""],
            ["2.", "Xây dựng bài kiểm tra, đáp án", "Vũ Việt Linh", ""],
        ]
    )
    assert len(extraction.tasks) == 2
    assert all(t.roles == [] for t in extraction.tasks)


def test_each_paragraph_under_an_agency_heading_is_a_duty_of_its_own():
    extraction = run(
        [
            "2. Giao Sở Xây dựng",
            "Chủ trì, phối hợp với Công an tỉnh tổ chức hướng dẫn triển khai thực hiện Quyết định.",
            "Đồng thời, chủ trì phối hợp với Công an tỉnh tăng cường công tác kiểm tra, đôn đốc việc triển khai.",
            "3. Tổ chức thực hiện",
            "Thủ trưởng các sở, ban, ngành chịu trách nhiệm tổ chức triển khai thực hiện nghiêm túc các nội dung trên.",
        ]
    )
    guide = by_anchor(extraction, "tổ chức hướng dẫn")
    check = by_anchor(extraction, "tăng cường công tác kiểm tra")
    assert guide.rule == check.rule == "task.paragraph_under_agency"
    assert guide.names("lead") == check.names("lead") == ["Sở Xây dựng"]
    assert check.names("coordinating") == ["Công an tỉnh"]
    assert by_anchor(extraction, "chịu trách nhiệm tổ chức").names("lead") == ["các sở, ban, ngành"]


def test_a_descriptive_part_keeps_only_items_that_assign_work():
    extraction = run(
        [
            "III. PHƯƠNG PHÁP KIỂM TRA",
            "1. Kiểm tra hồ sơ, tài liệu có liên quan về kết quả thực hiện của đơn vị.",
            "IV. ĐOÀN KIỂM TRA, THỜI GIAN KIỂM TRA",
            "1. Chủ tịch UBND tỉnh giao Sở Nội vụ chủ trì phối hợp với các ngành có liên quan tổ chức kiểm tra.",
            "2. Số lượng đơn vị kiểm tra: tối thiểu 20% cơ quan chuyên môn thuộc UBND tỉnh.",
            "V. TỔ CHỨC THỰC HIỆN",
            "1. Sở Nội vụ theo dõi, đôn đốc các đơn vị triển khai.",
        ]
    )
    assert len(extraction.tasks) == 2, [t.text for t in extraction.tasks]
    inspection = by_anchor(extraction, "tổ chức kiểm tra")
    assert inspection.rule == "task.explicit_assignment"
    assert inspection.names("lead") == ["Sở Nội vụ"]


def test_what_an_inspection_checks_is_not_work():
    extraction = run(
        [
            "II. NỘI DUNG TRỌNG TÂM KIỂM TRA",
            "a) Việc ban hành và tổ chức thực hiện Kế hoạch cải cách hành chính năm 2026.",
            "III. TỔ CHỨC THỰC HIỆN",
            "1. Sở Nội vụ ban hành Thông báo kết luận kiểm tra.",
        ]
    )
    assert [t.names("lead") for t in extraction.tasks] == [["Sở Nội vụ"]]


def test_flat_numbered_item_ending_in_a_colon_scopes_the_items_after_it():
    extraction = run(
        [
            "III. TỔ CHỨC THỰC HIỆN",
            "1. Giao Phòng Quản lý Công nghiệp triển khai, thực hiện các công việc liên quan:",
            "2. Tổ chức kiểm tra kỹ thuật an toàn cho các đối tượng liên quan đến hoạt động vật liệu nổ.",
            "3. Chuẩn bị các điều kiện cần thiết khác để tổ chức kiểm tra.",
        ]
    )
    assert len(extraction.tasks) == 2
    assert all(t.names("lead") == ["Phòng Quản lý Công nghiệp"] for t in extraction.tasks), [
        t.names("lead") for t in extraction.tasks
    ]


def test_misread_addressee_lines_are_still_addressees():
    extraction = run(
        [
            "Kính gửi:",
            "- Các Bộ, cơ quan ngang bộ, cơ quan khác ở trung ương;",
            "- Uy ban nhân dân các tỉnh, thành phô trực thuộc trung ương.",
            "Bộ Tài chính đề nghị các Bộ, cơ quan ngang bộ triển khai các nhiệm vụ trọng tâm sau:",
            "1. Rà soát các văn bản quy phạm pháp luật đã ban hành.",
        ]
    )
    assert [t.text for t in extraction.tasks] == ["1. Rà soát các văn bản quy phạm pháp luật đã ban hành."]


def test_a_heading_or_lead_in_period_dates_the_items_that_give_none():
    extraction = run(
        [
            "I. NHỮNG NHIỆM VỤ CẦN TRIỂN KHAI NGAY TRONG THÁNG 12/2025",
            "1. Văn phòng Ủy ban nhân dân tỉnh",
            "a) Rà soát, thống kê kết quả thực hiện các nhiệm vụ được giao.",
            "b) Định kỳ hằng tuần báo cáo lãnh đạo Ủy ban nhân dân tỉnh tình hình giải quyết hồ sơ.",
            "c) Hoàn thành việc công bố thủ tục hành chính trước ngày 20/12/2025.",
            "II. NHIỆM VỤ, GIẢI PHÁP CẢI THIỆN CÁC CHỈ SỐ NĂM 2026",
            "1. Đẩy mạnh cải cách thủ tục hành chính.",
        ]
    )
    review = by_anchor(extraction, "Rà soát, thống kê")
    assert (review.due.iso(), review.due_rule) == ("2025-12", "due.lead_in")
    weekly = by_anchor(extraction, "Định kỳ hằng tuần")
    assert weekly.due.iso() == "2025-12" and weekly.recurrence
    assert by_anchor(extraction, "công bố thủ tục").due.iso() == "2025-12-20"  # its own date wins
    assert by_anchor(extraction, "Đẩy mạnh cải cách").due is None  # a year naming the subject sets no period


def test_a_lead_in_naming_only_partners_adds_them_to_the_lead_above():
    extraction = run(
        [
            "1. Bộ Kế hoạch và Đầu tư:",
            "a) Chủ trì rà soát quy hoạch các khu kinh tế.",
            "b) Phối hợp với các Bộ, ngành và địa phương liên quan chỉ đạo, hướng dẫn triển khai:",
            "- Xây dựng kết cấu hạ tầng khu kinh tế đúng tiến độ.",
            "- Thu hút đầu tư có chọn lọc.",
        ]
    )
    for anchor in ("Xây dựng kết cấu", "Thu hút đầu tư"):
        task = by_anchor(extraction, anchor)
        assert task.names("lead") == ["Bộ Kế hoạch và Đầu tư"]
        assert task.names("coordinating") == ["các Bộ, ngành, địa phương liên quan"]  # the written form of the group


def test_a_short_form_defined_in_passing_does_not_cut_the_list_of_bodies_asked():
    extraction = run(
        [
            "Kính gửi: Các Bộ, cơ quan ngang bộ",
            "Bộ Tài chính đề nghị các Bộ, cơ quan ngang bộ (sau đây gọi là Bộ, cơ quan trung ương) và Ủy ban nhân dân "
            "các tỉnh, thành phố trực thuộc trung ương tập trung chỉ đạo các nhiệm vụ trọng tâm sau:",
            "1. Rà soát các văn bản quy phạm pháp luật đã ban hành.",
        ]
    )
    leads = extraction.tasks[0].names("lead")
    assert len(leads) == 2 and leads[1].startswith("Ủy ban nhân dân các tỉnh"), leads


def test_a_task_whose_subject_asks_others_is_the_subjects_own():
    extraction = run(
        [
            "V. TỔ CHỨC THỰC HIỆN",
            "1. Sở Nội vụ",
            "a) Trước khi tiến hành kiểm tra: Sở Nội vụ có văn bản đề nghị các cơ quan, địa phương được kiểm tra "
            "xây dựng và gửi báo cáo.",
            "2. Ủy ban nhân dân tỉnh đề nghị các sở, ban, ngành thực hiện các nội dung sau:",
            "a) Rà soát các thủ tục hành chính.",
        ]
    )
    assert by_anchor(extraction, "có văn bản đề nghị").names("lead") == ["Sở Nội vụ"]
    assert by_anchor(extraction, "Rà soát các thủ tục").names("lead") == ["các sở, ban, ngành"]  # a lead-in asks


def test_a_title_cut_by_the_line_wrap_keeps_its_last_body():
    extraction = run(
        [
            "4. Trách nhiệm của các cơ quan",
            "4.2 Đề nghị các Sở: Giao thông Vận tải, Xây dựng; Công ty",
            "Điện lực Đắk Nông",
            "Chủ trì, phối hợp với Sở Thông tin và Truyền thông hướng dẫn các đơn vị trong ngành.",
        ]
    )
    task = by_anchor(extraction, "hướng dẫn các đơn vị")
    assert task.names("lead") == ["Sở Giao thông vận tải", "Sở Xây dựng", "Điện lực Đắk Nông"]
    assert task.names("coordinating") == ["Sở Thông tin và Truyền thông"]


def test_attributes_of_the_event_and_the_closing_formula_are_not_tasks():
    extraction = run(
        [
            "II. NỘI DUNG",
            "1. Thời gian kiểm tra: 13h30 ngày 29/4/2026 (Thứ Tư).",
            "2. Địa điểm: Sở Công Thương, số 165 Lý Thường Kiệt.",
            "III. TỔ CHỨC THỰC HIỆN",
            "1. Giao Phòng Quản lý Công nghiệp chuẩn bị các điều kiện cần thiết để tổ chức kiểm tra.",
            "Trên đây là Kế hoạch kiểm tra của Sở Công Thương, đề nghị các tổ chức, cá nhân liên quan "
            "phối hợp thực hiện.",
        ]
    )
    assert [t.text for t in extraction.tasks] == [
        "1. Giao Phòng Quản lý Công nghiệp chuẩn bị các điều kiện cần thiết để tổ chức kiểm tra."
    ]
    assert extraction.tasks[0].names("lead") == ["Phòng Quản lý Công nghiệp"]


def test_an_article_whose_subject_acts_is_a_task_and_an_asking_body_leads_nothing():
    extraction = run(
        [
            "Điều 2. Hội đồng nhân dân tỉnh cơ bản thống nhất với các giải pháp, đề nghị Ủy ban nhân dân tỉnh chỉ đạo:",
            "1. Sở Tài nguyên và Môi trường thường xuyên kiểm tra, đôn đốc các huyện.",
            "2. Xem xét sớm phê duyệt quy hoạch điều chỉnh.",
            "Điều 3. Ngân hàng Nhà nước Việt Nam ký với WB Hiệp định Dự án hỗ trợ kỹ thuật.",
            "Điều 4. Quyết định này có hiệu lực kể từ ngày ký.",
        ]
    )
    assert by_anchor(extraction, "Xem xét sớm").names("lead") == ["Ủy ban nhân dân tỉnh"]
    assert by_anchor(extraction, "thường xuyên kiểm tra").names("lead") == ["Sở Tài nguyên và Môi trường"]
    assert by_anchor(extraction, "ký với WB").names("lead") == ["Ngân hàng Nhà nước Việt Nam"]
    assert not any("có hiệu lực" in t.text for t in extraction.tasks)


def test_a_subject_after_a_time_adverbial_leads_even_behind_a_run_in_title():
    extraction = run(
        [
            "II. NHIỆM VỤ",
            "a) Tổ chức quán triệt Nghị quyết số 10-NQ/TW Trong năm 2022, các bộ, ngành; các tập đoàn kinh tế "
            "hoàn thành việc phổ biến, quán triệt toàn diện nội dung Nghị quyết.",
            "b) Đến năm 2025, Sở Xây dựng hoàn thành rà soát quy hoạch.",
        ]
    )
    assert by_anchor(extraction, "phổ biến, quán triệt").names("lead")[:1] == ["các Bộ, ngành"]
    assert by_anchor(extraction, "rà soát quy hoạch").names("lead") == ["Sở Xây dựng"]


def test_a_body_that_directs_others_in_a_task_leads_it():
    extraction = run(
        [
            "II. NHIỆM VỤ",
            "1. Ngân hàng Nhà nước Việt Nam chỉ đạo các tổ chức tín dụng cân đối nguồn vốn.",
            "2. Chủ tịch Ủy ban nhân dân tỉnh đề nghị các sở khẩn trương rà soát.",
        ]
    )
    assert by_anchor(extraction, "tổ chức tín dụng").names("lead") == ["Ngân hàng Nhà nước Việt Nam"]
    assert by_anchor(extraction, "khẩn trương rà soát").names("lead") == ["các sở"]


def test_inline_field_labels_decide_the_roles_of_the_bodies_after_them():
    task = run(
        [
            "II. NHIỆM VỤ",
            "1. Xây dựng cơ sở dữ liệu đất đai. Cơ quan chủ trì: Sở Nông nghiệp và Môi trường; cơ quan phối hợp: "
            "Sở Khoa học và Công nghệ; thời gian hoàn thành: Quý IV/2026.",
        ]
    ).tasks[0]
    assert task.names("lead") == ["Sở Nông nghiệp và Môi trường"]
    assert task.names("coordinating") == ["Sở Khoa học và Công nghệ"]
    assert task.due.iso() == "2026-12"


def test_a_short_item_that_mentions_funding_is_still_a_task():
    extraction = run(
        [
            "V. TỔ CHỨC THỰC HIỆN",
            "1. Giao Sở Xây dựng chủ trì rà soát, báo cáo UBND tỉnh trước ngày 15/4/2026.",
            "2. Sở Tài chính cân đối, bố trí nguồn kinh phí thực hiện.",
            "VI. KINH PHÍ",
            "Kinh phí thực hiện từ nguồn ngân sách tỉnh.",
        ]
    )
    assert by_anchor(extraction, "cân đối, bố trí").names("lead") == ["Sở Tài chính"]
    assert not any(t.text.startswith("Kinh phí thực hiện") for t in extraction.tasks)


def test_an_item_recording_a_decision_is_no_task_unless_it_names_who_acts():
    extraction = run(
        [
            "II. KẾT LUẬN",
            "1. Đồng ý chủ trương lập quy hoạch chi tiết khu đô thị mới.",
            "2. Thống nhất giao Sở Xây dựng hướng dẫn chủ đầu tư hoàn thiện hồ sơ.",
            "3. Ủy ban nhân dân tỉnh thống nhất với Thường trực Hội đồng nhân dân tỉnh về lộ trình thực hiện.",
        ]
    )
    assert not any("Đồng ý chủ trương" in t.text for t in extraction.tasks)
    assert by_anchor(extraction, "hướng dẫn chủ đầu tư").names("lead") == ["Sở Xây dựng"]
    assert by_anchor(extraction, "về lộ trình").names("lead") == ["Ủy ban nhân dân tỉnh"]


def test_a_letter_in_running_text_gives_its_requests_not_its_frame():
    extraction = run(
        [
            "ỦY BAN NHÂN DÂN TỈNH HÀ NAM",
            "Số: 55/UBND-VX",
            "Kính gửi: Sở Y tế; Sở Tài chính; UBND các huyện, thành phố.",
            "Thực hiện Công điện số 12/CĐ-TTg ngày 05/3/2026 của Thủ tướng Chính phủ, UBND tỉnh yêu cầu:",
            "Sở Y tế chủ trì, phối hợp với các đơn vị liên quan theo dõi chặt chẽ tình hình dịch bệnh.",
            "Sở Tài chính tham mưu bố trí kinh phí phòng, chống dịch.",
            "Nơi nhận:",
            "- Như trên;",
        ]
    )
    assert [t.names("lead") for t in extraction.tasks] == [["Sở Y tế"], ["Sở Tài chính"]]
