"""Render a document's text with its extracted spans highlighted, in one server-side pass.

Why server-side: a browser that builds thousands of ranges in JavaScript
stalls on a 60,000-character plan; one sweep over the sorted span
boundaries here costs a few milliseconds and leaves the browser plain HTML.

Spans overlap (an agency inside a task, a time expression inside both), so
the text is cut at every boundary into elementary pieces and each piece is
one ``<span>`` carrying the classes of every span that covers it.  Tasks are
a layer of their own: a piece inside tasks 12 and 13 carries
``data-t="12 13"`` (so ``[data-t~="12"]`` selects the whole of task 12) and
the first piece of each task is preceded by an empty anchor ``#task-12``
that the task table links to.  Page badges carry their label in an attribute
(drawn by CSS), so the text nodes of the page are exactly the document's
text and a selection's offsets in it are offsets in ``documents.content``.
Every piece of text goes through
:func:`markupsafe.escape`: a plan that contains ``<script>`` shows it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from markupsafe import Markup, escape


@dataclass(frozen=True)
class Span:
    """One highlighted stretch of the text: ``css`` is its class, ``label`` its tooltip line."""

    start: int
    end: int
    css: str
    label: str = ""
    task_id: int | None = None
    page: int | None = None
    anchor: str | None = None
    """An id to link to (``#tg-7``); a task's is always ``task-<id>``."""


def _clip(spans: Iterable[Span], length: int) -> list[Span]:
    kept = []
    for span in spans:
        start, end = max(0, span.start), min(length, span.end)
        if start < end:
            kept.append(span if (start, end) == (span.start, span.end) else replace(span, start=start, end=end))
    return kept


def render(content: str, spans: Sequence[Span], *, page_link: str | None = None) -> Markup:
    """HTML for ``content`` with ``spans`` marked (see the module docstring).

    ``page_link`` is a format string with ``{page}`` ("/plans/3/page/{page}.png"): when given, a task that
    knows its PDF page gets a small page badge linking to the page image.
    """
    kept = _clip(spans, len(content))
    starts: dict[int, list[Span]] = {}
    ends: dict[int, list[Span]] = {}
    for span in kept:
        starts.setdefault(span.start, []).append(span)
        ends.setdefault(span.end, []).append(span)
    cuts = sorted({0, len(content), *starts, *ends})
    active: dict[int, Span] = {}
    out: list[str] = []
    for left, right in zip(cuts, cuts[1:], strict=False):
        for span in ends.get(left, ()):
            active.pop(id(span), None)
        for span in starts.get(left, ()):
            active[id(span)] = span
            if span.task_id is not None or span.anchor:
                out.append(f'<a class="anchor" id="{escape(span.anchor or f"task-{span.task_id}")}"></a>')
                if page_link and span.page:
                    href = escape(page_link.format(page=span.page))
                    out.append(f'<a class="page-badge" href="{href}" target="_blank" data-page="p.{span.page}"></a>')
        piece = escape(content[left:right])
        if not active:
            out.append(str(piece))
            continue
        covering = sorted(active.values(), key=lambda s: (s.start, -s.end))
        classes = sorted({s.css for s in covering})
        tasks = [str(s.task_id) for s in covering if s.task_id is not None]
        labels = [s.label for s in covering if s.label and s.task_id is None]
        attrs = f' class="{" ".join(classes)}"'
        if tasks:
            attrs += f' data-t="{" ".join(tasks)}"'
        if labels:
            attrs += f' title="{escape(" · ".join(dict.fromkeys(labels)))}"'
        out.append(f"<span{attrs}>{piece}</span>")
    return Markup("".join(out))
