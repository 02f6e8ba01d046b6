"""The section tree of a plan, built from the numbering printed in the text.

Administrative documents number their outline with a small set of marker
styles (``I.``/``II-``, ``1.``, ``1.1.``, ``a)``/``đ)``, ``-``, ``+``), but which
style sits at which depth varies between documents.  So the depth is not a
property of the style: it comes from the order in which styles first appear
under each other (the usual way to read an outline), kept on a stack.

Readers may already set ``Block.marker``; the text is re-read here so the tree
is the same whichever reader produced the blocks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kehoach.models.document import Block, ParsedDocument, Section

_ROMAN = r"(?:X{0,3})(?:IX|IV|V?I{0,3})"
MARKER_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("article", re.compile(r"^\s*(?P<m>Điều\s+\d{1,3})\s*[.:]\s*")),
    ("roman", re.compile(rf"^\s*(?:PHẦN\s+)?(?P<m>(?=[IVX])({_ROMAN}))\s*(?:[.\-–:)]\s*|\s+(?=[A-ZĐÀ-Ỹ]))")),
    ("multi", re.compile(r"^\s*(?P<m>\d{1,2}(?:\.\d{1,2})+)\.?\s+")),
    ("task_no", re.compile(r"^\s*(?P<m>Nhiệm vụ\s+\d{1,2})\s*[:.]\s*", re.IGNORECASE)),
    ("arabic", re.compile(r"^\s*(?P<m>\d{1,2})\s*[.)]\s*(?=\S)(?!\d)")),
    ("letter", re.compile(r"^\s*(?P<m>[a-zđ])\s*\)\s*")),
    ("dash", re.compile(r"^\s*(?P<m>[-–—•·*])(?![-–—_=])\s*(?=\S)")),  # "--------" under a letterhead is a rule
    ("plus", re.compile(r"^\s*(?P<m>\+)\s*(?=\S)")),
]
"""Marker styles, tried in order; ``m`` is the marker's label."""

_APPENDIX = re.compile(r"^\s*(?:\*\*)?\s*PHỤ LỤC\b", re.IGNORECASE)
BODY_END = re.compile(r"^\s*(?:\*\*)?\s*(?:Nơi nhận\s*:?|Trên đây là\b)", re.IGNORECASE)
"""The closing formula ("Trên đây là Kế hoạch …") or the recipients list closes the body: what follows is the
signature, then maybe an appendix.  The closing formula asks everyone concerned to carry out the plan; it is
no task of its own and no part of the last item."""
_ATTACHED = re.compile(r"^\s*[(*]*\s*(?:Ban hành )?kèm theo\b", re.IGNORECASE)
"""The note under an attached document's title ("(Ban hành kèm theo Quyết định số …)"): a new body starts.

A decision or resolution that issues a plan (Quyết định ban hành Kế hoạch,
Nghị quyết ban hành Chương trình hành động) is signed first and the plan
follows it, so the recipients list ends the decision, not the document.
"""


_DANGLING_TITLE = re.compile(r"(?:[,;]|(?<!\w)(?:và|các|của|với|cho|Công ty|Tổng công ty|Tập đoàn))\s*$")
"""A title ending like this was cut by the line wrap: its next line is the rest of it, not its body."""


def all_capitals(text: str) -> bool:
    """Every letter is a capital: a heading or a letterhead line, not a sentence."""
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and not any(c.islower() for c in letters)


def _is_upper_heading(text: str) -> bool:
    return all_capitals(text) and len(text.split()) <= 12


def split_marker(text: str) -> tuple[str | None, str | None, str]:
    """Return (style, label, rest) of a line's leading outline marker, or (None, None, text)."""
    for style, pattern in MARKER_PATTERNS:
        match = pattern.match(text)
        if not match:
            continue
        label = match.group("m")
        if style == "roman" and not label:
            continue
        if style == "arabic" and re.match(r"^\s*\d{1,2}\s*[.)]\s*\d", text):
            continue
        return style, label, text[match.end() :]
    return None, None, text


@dataclass
class Node:
    """One outline item: its own block(s) and the items nested under it."""

    style: str
    label: str
    path: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)
    parent: Node | None = None
    depth: int = 0
    title_blocks: int = 1
    """How many of ``blocks`` hold the title (a wrapped heading takes two)."""
    title_start: int = 0
    """Where the title begins in the content (after the marker)."""

    @property
    def title_span(self) -> tuple[int, int]:
        """The title in the content, over every block that holds it."""
        return self.title_start, self.blocks[self.title_blocks - 1].span[1]

    @property
    def span(self) -> tuple[int, int]:
        return self.blocks[0].span[0], self.blocks[-1].span[1]

    @property
    def head(self) -> Block:
        return self.blocks[0]

    def walk(self):
        for child in self.children:
            yield child
            yield from child.walk()

    def ancestors(self):
        node = self.parent
        while node is not None and node.style != "root":
            yield node
            node = node.parent


@dataclass
class Outline:
    root: Node
    appendix_start: int | None = None
    """Index of the first block of the appendix (Phụ lục), if any."""


def _label_for_path(style: str, label: str, siblings: int) -> str:
    if style in ("dash", "plus"):
        return f"{'-' if style == 'dash' else '+'}{siblings + 1}"
    if style == "task_no":
        return re.sub(r"\D", "", label)
    return label


def build_outline(parsed: ParsedDocument) -> Outline:
    """Nest the body blocks into an outline tree (table rows and the appendix stay outside)."""
    root = Node(style="root", label="", path="", title="")
    stack: list[Node] = [root]
    appendix_start = None
    body_ended = False
    for index, block in enumerate(parsed.blocks):
        text = parsed.text_of(block.span)
        if block.kind == "table_row":
            continue
        if body_ended and appendix_start is None and _ATTACHED.match(text):
            body_ended = False
            del stack[1:]
            continue
        if appendix_start is None and _APPENDIX.match(text) and index > len(parsed.blocks) // 3:
            appendix_start = index
        if appendix_start is not None:
            continue
        if BODY_END.match(text):
            body_ended = True
        if body_ended:
            continue
        style, label, rest = split_marker(text)
        if style is None:
            current = stack[-1]
            if current is root:
                continue
            dangling = len(current.blocks) == 1 and bool(_DANGLING_TITLE.search(current.title))
            if dangling and len(text.split()) <= 8 and text.strip()[:1].isupper() and not text.rstrip().endswith("."):
                # a title cut after a word that cannot end it ("4.2 Đề nghị các Sở: …; Công ty" / "Điện lực Đắk Nông")
                current.title = f"{current.title} {text.strip()}"
                current.blocks.append(block)
                current.title_blocks = 2
                continue
            if len(current.blocks) == 1 and _is_upper_heading(current.title) and _is_upper_heading(text):
                # an upper-case heading wrapped over two lines ("III. TỔ CHỨC" / "THỰC HIỆN")
                current.title = f"{current.title} {text.strip()}"
                current.blocks.append(block)
                current.title_blocks = 2
                continue
            current.blocks.append(block)
            continue
        assert label is not None
        # articles (Điều 1.) and the roman level are always the top of the outline
        if style in ("roman", "article"):
            del stack[1:]
        else:
            # numbered items never nest under bullets: a bullet list ends where numbering resumes
            while len(stack) > 1 and stack[-1].style in ("dash", "plus") and style not in ("dash", "plus"):
                stack.pop()
            for position in range(len(stack) - 1, 0, -1):
                if stack[position].style == style:
                    del stack[position:]
                    break
        parent = stack[-1]
        part = _label_for_path(style, label, sum(1 for c in parent.children if c.style == style))
        base = parent.path
        if style == "multi" and parent.style in ("arabic", "multi") and label.startswith(parent.label + "."):
            # "2.1." under "2." already carries its parent's number
            base = parent.parent.path if parent.parent is not None else ""
        path = f"{base}.{part}" if base else part
        node = Node(
            style=style,
            label=label,
            path=path,
            title=rest.strip(),
            blocks=[block],
            parent=parent,
            depth=len(stack),
            title_start=block.span[1] - len(rest.lstrip()),
        )
        parent.children.append(node)
        stack.append(node)
    return Outline(root=root, appendix_start=appendix_start)


def extract_sections(parsed: ParsedDocument, outline: Outline | None = None) -> list[Section]:
    """Numbered sections (not bullets) as analysts browse them."""
    outline = outline or build_outline(parsed)
    sections: list[Section] = []
    for node in outline.root.walk():
        if node.style in ("dash", "plus"):
            continue
        sections.append(
            Section(
                path=node.path,
                marker=node.label,
                title=node.title[:300],
                span=node.span,
                level=node.depth,
                page=node.head.page,
            )
        )
    return sections
