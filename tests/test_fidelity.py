"""Ingestion fidelity floors: every rendering reproduces its reference text's words in order.

The figures and their definition are in ``tests/fidelity.py``; print the table
with ``.venv/bin/python -m tests.fidelity``.
"""

from __future__ import annotations

import pytest

try:
    from tests.fidelity import DEV_BIN, REAL, Case, cases, fidelity, measure, strip_running_lines
except ModuleNotFoundError:  # pytest puts tests/ itself on sys.path
    from fidelity import DEV_BIN, REAL, Case, cases, fidelity, measure, strip_running_lines  # type: ignore[no-redef]

from kehoach.pipeline.ingest.ocr import missing_ocr

NO_OCR = missing_ocr() is not None


def _marks(case: Case) -> list[pytest.MarkDecorator]:
    if not case.ocr:
        return []
    return [pytest.mark.ocr, pytest.mark.skipif(NO_OCR, reason=f"OCR unavailable: {missing_ocr()}")]


@pytest.mark.parametrize("case", [pytest.param(case, id=case.rendering.name, marks=_marks(case)) for case in cases()])
def test_fidelity_rendering_reproduces_reference_words_in_order(case: Case) -> None:
    result = measure(case)
    assert getattr(result, case.measure) >= case.floor, result


def test_fidelity_covers_every_corpus_rendering() -> None:
    names = {case.rendering.name for case in cases()}
    assert {"000_8544ea3e62a3c3aa.pdf", "000_8544ea3e62a3c3aa.docx", "003_3286ee62c434ea9b.scanned.pdf"} <= names
    assert {"laocai-kh-ct11-khoang-san-du-thao.docx", "daknong-kh-2024-mang-di-dong.pdf"} <= names
    originals = {p.name for p in REAL.iterdir() if p.suffix in (".pdf", ".docx", ".doc")}
    assert originals <= names  # every bundled original with a reference text is measured
    assert len(names) == len(list(DEV_BIN.iterdir())) + len(originals)


@pytest.mark.parametrize(
    "extracted, reference, in_order",
    [
        ("Kế hoạch số 20", "**KẾ HOẠCH** | số 20", 1.0),
        ("ke hoach so", "Kế hoạch số 20", 0.75),
        ("b a", "a b", 0.5),
        ("", "a b", 0.0),
    ],
)
def test_fidelity_in_order_ratio(extracted: str, reference: str, in_order: float) -> None:
    assert fidelity(extracted, reference).in_order == pytest.approx(in_order)


def test_fidelity_near_counts_locally_reordered_words_only() -> None:
    assert fidelity("b a", "a b").near == 1.0
    far = " ".join(["x"] * 300)
    assert fidelity(f"b {far} a", f"a b {far}").near < 1.0


def test_fidelity_partial_rendering_compared_with_covered_stretch() -> None:
    reference = "mở đầu " + "một hai ba bốn năm " * 4 + "kết thúc dài dài dài"
    assert fidelity("một hai ba bốn năm " * 4, reference, partial=True).in_order == 1.0
    assert fidelity("một hai ba bốn năm " * 4, reference).in_order < 0.8


def test_fidelity_reference_running_lines_stripped() -> None:
    pages = ["HEADER TD004\nnội dung một\n1", "HEADER TD341\nnội dung hai\n2", "HEADER TD341\nnội dung ba\n3"]
    assert strip_running_lines("\f".join(pages)).splitlines() == ["nội dung một", "nội dung hai", "nội dung ba"]
