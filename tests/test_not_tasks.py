"""Boilerplate never becomes a task, on every corpus file in every rendering.

Letterheads, the national motto, legal grounds ("Căn cứ Luật …", "Thực hiện
Quyết định số …"), the Nơi nhận list and signature titles are the frame of an
administrative document, not work it assigns (GUIDELINES.md).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from kehoach.extractors.extract import extract
from kehoach.pipeline.ingest import read_document

from tests.conftest import DEV, DEV_BIN, REAL

_DOCUMENTS = (
    "Luật|Bộ luật|Nghị định|Nghị quyết|Quyết định|Thông tư|Chỉ thị|Kế hoạch|Công văn|Văn bản|Kết luận|Thông báo"
    "|Chương trình"
)
BOILERPLATE = re.compile(
    rf"^[\W\d]*(?:Căn cứ\s+(?:{_DOCUMENTS})\b|Thực hiện\s+(?:{_DOCUMENTS})\s+số\b|Nơi nhận|(?:KT|TM|T/M|TL)\.\s)"
    r"|CỘNG HÒA XÃ HỘI CHỦ NGHĨA|Độc lập\s*-\s*Tự do\s*-\s*Hạnh phúc",
    re.IGNORECASE,
)
FILES = [
    *sorted(DEV.glob("*.txt")),
    *sorted(p for p in DEV_BIN.iterdir() if ".scanned." not in p.name),
    *sorted(p for p in REAL.iterdir() if p.suffix in (".pdf", ".docx", ".doc")),
]


@pytest.mark.slow
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name[:40])
def test_no_task_is_boilerplate(path: Path) -> None:
    extraction = extract(read_document(path))
    bad = [t.text[:100] for t in extraction.tasks if BOILERPLATE.search(t.text)]
    assert bad == []


@pytest.mark.parametrize(
    "text",
    [
        "Căn cứ Luật Quy hoạch số 21/2017/QH14 ngày 24 tháng 11 năm 2017;",
        "Thực hiện Quyết định số 1074/QĐ-BXD ngày 29/6/2026 của Bộ Xây dựng,",
        "-------- Số: 07/CT-TTg CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    ],
)
def test_the_boilerplate_pattern_knows_the_formulas(text: str) -> None:
    assert BOILERPLATE.search(text)


def test_a_duty_that_opens_with_can_cu_is_not_boilerplate() -> None:
    assert not BOILERPLATE.search("Căn cứ chức năng, nhiệm vụ được giao để lồng ghép việc triển khai hoạt động")
