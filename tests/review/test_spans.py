"""The highlighted text: one pass over span boundaries, every byte of text escaped, offsets kept."""

from __future__ import annotations

import html
import re

import pytest
from kehoach.pipeline.review.spans import Span, render

TEXT = "1. Sở Xây dựng chủ trì, phối hợp với Sở Tài chính; hoàn thành trong quý III/2026.\n"


def _strip_tags(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def test_spans_text_survives_rendering_exactly() -> None:
    spans = [
        Span(0, len(TEXT) - 1, "tk", task_id=7),
        Span(3, 14, "ag-lead", "lead: Sở Xây dựng"),
        Span(TEXT.index("Sở Tài"), TEXT.index(";"), "ag-coord", "coordinating: Sở Tài chính"),
        Span(TEXT.index("trong"), TEXT.index("."), "tm", "time: 2026-07 – 2026-09"),
    ]
    assert _strip_tags(str(render(TEXT, spans))) == TEXT


def test_spans_nested_pieces_carry_every_class_and_the_task() -> None:
    markup = str(render(TEXT, [Span(0, 40, "tk", task_id=7), Span(3, 14, "ag-lead", "lead: Sở Xây dựng")]))
    assert '<a class="anchor" id="task-7"></a>' in markup
    assert '<span class="ag-lead tk" data-t="7" title="lead: Sở Xây dựng">Sở Xây dựng</span>' in markup
    assert markup.count('data-t="7"') == 3  # before, inside and after the agency


def test_spans_overlapping_tasks_share_pieces() -> None:
    markup = str(render(TEXT, [Span(0, 20, "tk", task_id=1), Span(10, 30, "tk", task_id=2)]))
    assert 'data-t="1 2"' in markup
    assert markup.index('id="task-1"') < markup.index('id="task-2"')


@pytest.mark.parametrize("hostile", ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "a & b < c"])
def test_spans_escape_document_text_and_labels(hostile: str) -> None:
    content = f"Trước {hostile} sau"
    start = content.index(hostile)
    markup = str(render(content, [Span(start, start + len(hostile), "ag-other", f"agency: {hostile}")]))
    assert "<script>" not in markup and "<img" not in markup
    assert _strip_tags(markup) == content


def test_spans_outside_the_text_are_clipped_or_dropped() -> None:
    markup = str(render("abc", [Span(-5, 2, "tm"), Span(10, 20, "tg"), Span(2, 2, "rf")]))
    assert markup == '<span class="tm">ab</span>c'


def test_spans_page_badge_has_no_text_node() -> None:
    markup = str(render(TEXT, [Span(0, 10, "tk", task_id=3, page=2)], page_link="/plans/9/page/{page}.png"))
    assert '<a class="page-badge" href="/plans/9/page/2.png" target="_blank" data-page="p.2"></a>' in markup
    assert _strip_tags(markup) == TEXT  # offsets of a selection in the page are offsets in the content


def test_spans_long_plan_renders_fast() -> None:
    import time

    content = (TEXT * 800)[:60_000]
    spans = [Span(i, i + 60, "tk", task_id=i) for i in range(0, 59_000, 500)]
    spans += [Span(i + 3, i + 14, "ag-lead", "lead") for i in range(0, 59_000, 100)]
    spans += [Span(i + 20, i + 35, "tm", "time") for i in range(0, 59_000, 120)]
    started = time.perf_counter()
    markup = str(render(content, spans))
    elapsed = time.perf_counter() - started
    assert _strip_tags(markup) == content
    assert elapsed < 0.5, f"{elapsed:.3f} s for 60,000 characters and {len(spans)} spans"


def test_spans_named_anchor_for_targets() -> None:
    markup = str(render(TEXT, [Span(3, 14, "tg", "target: x", anchor="tg-4")]))
    assert markup.startswith('1. <a class="anchor" id="tg-4"></a><span class="tg" title="target: x">')
