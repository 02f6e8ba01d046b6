"""Tables in text renderings: pipe rows with merged cells, and Word tables exported one cell per line."""

from __future__ import annotations

from pathlib import Path

import pytest
from kehoach.pipeline.ingest import read_document
from kehoach.pipeline.ingest.flat_tables import find_flat_tables
from kehoach.pipeline.ingest.text import read_text

DEV = Path(__file__).parent / "corpus" / "dev"


def rows_of(text: str) -> list[list[str]]:
    parsed = read_text(Path("t.txt"), text.encode("utf-8"))
    return [[parsed.text_of(cell.span) for cell in block.cells] for block in parsed.blocks if block.kind == "table_row"]


def test_pipe_row_opening_with_a_pipe_keeps_its_empty_first_cell():
    rows = rows_of(
        "Thời gian | Nội dung công việc | Đơn vị chủ trì\n"
        "10-11/2019 | Xây dựng khung định hướng | Ban Quản lý quy hoạch\n"
        " | Lấy ý kiến các Bộ, ngành | Vụ Vật liệu xây dựng\n"
    )
    assert rows[2] == ["", "Lấy ý kiến các Bộ, ngành", "Vụ Vật liệu xây dựng"]


def test_bordered_pipe_rows_lose_only_their_borders():
    rows = rows_of(
        "| TT | Nhiệm vụ | Cơ quan chủ trì |\n| --- | --- | --- |\n| 1. | Hoàn thiện dự thảo | Cục Biến đổi khí hậu |\n"
    )
    assert rows == [["TT", "Nhiệm vụ", "Cơ quan chủ trì"], ["1.", "Hoàn thiện dự thảo", "Cục Biến đổi khí hậu"]]


def test_short_row_inside_an_open_pipe_table_stays_in_it():
    rows = rows_of(
        "Thời gian | Nội dung công việc | Đơn vị chủ trì\n"
        "I | GIAI ĐOẠN 1: LẬP NHIỆM VỤ\n"
        "12/2019 | Trình Thủ tướng Chính phủ | Vụ Vật liệu xây dựng\n"
    )
    assert rows[1] == ["I", "GIAI ĐOẠN 1: LẬP NHIỆM VỤ"]
    assert len(rows) == 3


def test_a_single_pipe_outside_a_table_is_text():
    assert rows_of("Số: 836/QĐ-BXD | Hà Nội, ngày 14 tháng 10 năm 2019\n") == []


def test_cells_one_per_line_are_rebuilt_into_rows():
    lines = ["STT", "Đơn vị được kiểm tra", "Thời gian kiểm tra", "I", "Cơ quan chuyên môn cấp tỉnh", None]
    lines += ["1", "Sở Xây dựng", "Tháng 7/2026", "2", "Sở Y tế", "Tháng 8/2026", "II", "Cấp xã", None]
    lines += ["1", "Phường Bắc Gia Nghĩa", "Tháng 3/2026", None, None, "Phụ lục II"]
    [table] = find_flat_tables(lines)
    assert table.rows[0] == ["STT", "Đơn vị được kiểm tra", "Thời gian kiểm tra"]
    assert table.rows[1:] == [
        ["I", "Cơ quan chuyên môn cấp tỉnh", ""],
        ["1", "Sở Xây dựng", "Tháng 7/2026"],
        ["2", "Sở Y tế", "Tháng 8/2026"],
        ["II", "Cấp xã", ""],
        ["1", "Phường Bắc Gia Nghĩa", "Tháng 3/2026"],
    ]
    assert lines[table.end] is None  # "Phụ lục II" after the table is not part of it


def test_a_cell_of_several_lines_is_kept_together():
    lines = ["TT", "Nhiệm vụ thực hiện", "Người thực hiện", "Ghi chú", "1.", "Rà soát hồ sơ", "Đỗ Mạnh Cường"]
    lines += ["Vũ Việt Linh", "Nguyễn Thị Loan", None, "2.", "Tổ chức chấm bài", "Vũ Việt Linh", None]
    [table] = find_flat_tables(lines)
    assert table.rows[1] == ["1.", "Rà soát hồ sơ", "Đỗ Mạnh Cường; Vũ Việt Linh; Nguyễn Thị Loan", ""]
    assert table.rows[2][:3] == ["2.", "Tổ chức chấm bài", "Vũ Việt Linh"]


@pytest.mark.parametrize(
    "lines",
    [
        ["STT", "Họ và tên", "1", "Nguyễn Văn A"],  # two columns: a list, not a table
        ["TT", "Nội dung", "Thời gian", "2", "Rà soát", "Tháng 3"],  # numbering does not start at 1
        ["Nội dung", "Thời gian", "Ghi chú", "1", "Rà soát", "Tháng 3"],  # no number column first
    ],
)
def test_text_that_is_not_a_flat_table_is_left_alone(lines):
    assert find_flat_tables(lines) == []


def test_flat_table_of_a_real_plan_gives_its_rows():
    parsed = read_document(DEV / "laocai-kh-sct-2026-kiem-tra-cap-gcn-vlncn-28-don-vi.txt")
    rows = [b for b in parsed.blocks if b.kind == "table_row"]
    assert parsed.text_of(rows[0].span).startswith("TT | Nhiệm vụ thực hiện | Người thực hiện")
    assert len(rows) == 10  # the header and nine numbered tasks
    for block in rows:
        for cell in block.cells:
            assert parsed.content[cell.span[0] : cell.span[1]] == parsed.text_of(cell.span)


def test_the_column_numbers_under_a_flat_header_are_skipped():
    lines = ["TT", "Tên nhiệm vụ", "Sở, ngành chủ trì", "Thời gian thực hiện", None, "(1)", "(2)", "(3)", "(4)"]
    lines += ["1", "Tổ chức quán triệt Chỉ thị", "Các Sở, ban, ngành", "Quý II/2026", None, "2", "Rà soát quy hoạch"]
    lines += ["Sở Nông nghiệp và Môi trường", "Tháng 5/2026"]
    [table] = find_flat_tables(lines)
    assert table.rows[1] == ["1", "Tổ chức quán triệt Chỉ thị", "Các Sở, ban, ngành", "Quý II/2026"]
    assert len(table.rows) == 3
