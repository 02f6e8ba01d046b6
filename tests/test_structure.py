"""Outline markers and the section tree."""

from __future__ import annotations

from pathlib import Path

import pytest
from kehoach.extractors.structure import build_outline, split_marker
from kehoach.models.document import SourceInfo
from kehoach.pipeline.ingest.builder import ContentBuilder


@pytest.mark.parametrize(
    ("line", "style", "label"),
    [
        ("I. MỤC ĐÍCH, YÊU CẦU", "roman", "I"),
        ("II- NỘI DUNG", "roman", "II"),
        ("IV. TỔ CHỨC THỰC HIỆN", "roman", "IV"),
        ("1. Mục đích", "arabic", "1"),
        ("2.1. Sở Kế hoạch và Đầu tư", "multi", "2.1"),
        ("1.1 Đồ án Điều chỉnh Quy hoạch", "multi", "1.1"),
        ("a) Nội dung thực hiện: Hoàn thành", "letter", "a"),
        ("đ) Các sở, ban, ngành", "letter", "đ"),
        ("- Chủ trì, phối hợp với", "dash", "-"),
        ("+ Cơ quan thực hiện: UBND các huyện", "plus", "+"),
        ("Nhiệm vụ 2: Tổ chức lập điều chỉnh", "task_no", "Nhiệm vụ 2"),
    ],
)
def test_structure_split_marker_recognises_each_style(line, style, label):
    assert split_marker(line)[:2] == (style, label)


@pytest.mark.parametrize(
    "line", ["Lạng Sơn, ngày 27 tháng 5", "2030. Xây dựng phương thức", "Việc triển khai", "10/2022"]
)
def test_structure_split_marker_ignores_plain_text(line):
    assert split_marker(line)[0] is None


def _document(lines: list[str]):
    builder = ContentBuilder()
    for line in lines:
        builder.add(line)
    return builder.build(SourceInfo(path=str(Path("x.txt")), sha256="0", format="text"))


def test_structure_depth_follows_first_appearance_of_each_style():
    parsed = _document(
        [
            "I. NỘI DUNG",
            "1. Nhiệm vụ chung",
            "- việc một",
            "- việc hai",
            "2. Nhiệm vụ cụ thể",
            "2.1. Sở Xây dựng",
            "- việc ba",
            "II. TỔ CHỨC THỰC HIỆN",
            "1. Giao Sở Tài chính",
            "tiếp theo của mục 1",
        ]
    )
    outline = build_outline(parsed)
    paths = [node.path for node in outline.root.walk()]
    assert paths == ["I", "I.1", "I.1.-1", "I.1.-2", "I.2", "I.2.1", "I.2.1.-1", "II", "II.1"]
    last = list(outline.root.walk())[-1]
    assert len(last.blocks) == 2  # the unmarked paragraph continues item II.1
