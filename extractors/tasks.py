"""Tasks (nhiệm vụ) and the roles agencies play in them.

Two passes, split into finding and writing as spaCy does:

1. *Segmentation* turns the outline (``extractors.structure``) and the
   tables into task drafts: which text is one task, which spans name its
   lead and coordinating bodies, which spans date it.  It follows the
   conventions of Vietnamese plans (GUIDELINES.md): items in the NHIỆM VỤ /
   TỔ CHỨC THỰC HIỆN parts; a heading that only names an agency hands that
   agency to its items; an item split into "a) Nội dung thực hiện, b) Đơn vị
   thực hiện, c) Đơn vị phối hợp, d) Thời gian thực hiện" is one task whose
   dated bullets are milestones; appendix tables with Chủ trì / Phối hợp
   columns give one task per row.
2. *Role assignment* reads the agency mentions in a task's text with the cue
   words around them: "X chủ trì", "phối hợp với Y", "Giao X", a field
   label "Cơ quan thực hiện: X … phối hợp với Y", or X as the subject that
   opens the item.  Agencies that only receive something ("báo cáo UBND
   tỉnh", "gửi Sở Xây dựng") take no role.

The cue words are data (``resources/task_rules.json``).
"""

from __future__ import annotations

import re
from bisect import bisect_left

from kehoach.extractors.roles import cue_patterns, inline_roles, resolve_roles
from kehoach.extractors.structure import BODY_END, Node, Outline, all_capitals, build_outline, split_marker
from kehoach.extractors.table_tasks import TableReader
from kehoach.extractors.task_drafts import Draft, rules
from kehoach.models.document import AgencyMention, Block, Milestone, ParsedDocument, Span, Task
from kehoach.models.text_forms import matching_form

_SECTION_TITLE_WORDS = 12
_DATED_BULLET = re.compile(
    r"^\s*(?:giai đoạn|năm|quý|tháng|đến|từ|trong|trước|đầu|cuối|giữa|trung tuần|tuần|hàng|định kỳ)\b"
    r"[^:]{0,40}\d[^:]{0,20}:",
    re.IGNORECASE,
)


# --------------------------------------------------------------------------- drafts


def _zone_of(title: str) -> bool | None:
    """True for a task part (NHIỆM VỤ …), False for MỤC ĐÍCH/YÊU CẦU/MỤC TIÊU, None when the title says neither."""
    head = matching_form(" ".join(title.split()[:_SECTION_TITLE_WORDS]))
    positions: list[tuple[int, bool]] = []
    for word in rules()["non_task_zones"]:
        index = head.find(word)
        if index >= 0:
            positions.append((index, False))
    for word in rules()["task_zones"]:
        index = head.find(word)
        if index >= 0:
            positions.append((index, True))
    if not positions:
        return None
    if cue_patterns()["inspection_content"].search(head):
        return False  # "NỘI DUNG TRỌNG TÂM KIỂM TRA": what an inspection checks, not work it assigns
    return min(positions)[1]


_PARTNERS_FIRST = re.compile(r"^\s*(?:[a-zđ]\)|\d{1,2}[.)]|[-+•])?\s*(?:chủ động\s+)?phối hợp\b", re.IGNORECASE)


def _opens_with_partners(text: str) -> bool:
    """A lead-in that opens with "Phối hợp với …" names partners for work whose lead is the scope above."""
    return bool(_PARTNERS_FIRST.match(text))


_FRAME_LINE = re.compile(
    r"^\s*(?:Kính gửi|V/v|Về việc|Số\s*:|(?:Căn cứ|Thực hiện)\s+(?:Luật|Bộ luật|Nghị định|Nghị quyết|Quyết định"
    r"|Thông tư|Chỉ thị|Kế hoạch|Công văn|Công điện|Văn bản|Kết luận|Thông báo|Chương trình)\b)",
    re.IGNORECASE,
)
"""Lines of a letter's frame read as prose: addressees, subject line, number, legal grounds."""


def _heading_like(title: str) -> bool:
    """A title that can name a part of the document: short, and not a sentence ("Sở Tài chính bố trí kinh phí.")."""
    return len(title.split()) <= _SECTION_TITLE_WORDS and not title.rstrip().endswith((".", ";"))


def _field_label(text: str) -> str | None:
    """The role of a field item ("b) Đơn vị thực hiện: …" → "lead")."""
    _, _, rest = split_marker(text)
    match = cue_patterns()["field"].match(rest.strip())
    if not match:
        return None
    return rules()["field_labels"].get(matching_form(match.group("label")))


class Segmenter:
    def __init__(self, parsed: ParsedDocument, mentions: list[AgencyMention]) -> None:
        self.parsed = parsed
        self.content = parsed.content
        self.mentions = sorted(mentions, key=lambda m: m.span)
        self._starts = [m.span[0] for m in self.mentions]
        self.drafts: list[Draft] = []
        self.periods: list[Span] = []
        """Own text of the headings and lead-ins above the node being visited, outermost first."""

    # -- helpers ------------------------------------------------------------------
    def text(self, span: Span) -> str:
        return self.content[span[0] : span[1]]

    def mentions_in(self, span: Span) -> list[AgencyMention]:
        """The mentions inside ``span`` (asked for every heading, lead-in and item: a bisect, not a scan)."""
        first, last = bisect_left(self._starts, span[0]), bisect_left(self._starts, span[1])
        return [m for m in self.mentions[first:last] if m.span[1] <= span[1]]

    def agency_heading(self, node: Node) -> list[AgencyMention]:
        """Agencies a heading hands to its items, when the heading names only agencies."""
        # a title may run over two blocks ("… Công ty" / "Điện lực Đắk Nông")
        span = node.title_span
        title_start = span[0]
        title = self.text(span)
        found = self.mentions_in(span)
        if not found:
            return []
        first = min(m.span[0] for m in found)
        owner_phrase = matching_form(self.content[title_start:first])
        if cue_patterns()["duty_of"].search(owner_phrase) and not re.search(r"\w", self._after_mentions(span, found)):
            # "II. NHIỆM VỤ CHỦ YẾU CỦA BỘ TÀI NGUYÊN VÀ MÔI TRƯỜNG", "Trách nhiệm của các sở, ngành"
            return [m.model_copy(update={"role": "lead", "rule": "role.heading_scope"}) for m in found]
        residue = title
        for mention in sorted(found, key=lambda m: -m.span[0]):
            a, b = mention.span[0] - title_start, mention.span[1] - title_start
            residue = residue[:a] + residue[b:]
        residue = re.sub(r"\([^)]*\)", " ", matching_form(residue))  # "(Giao Phòng Bưu chính Viễn thông)"
        residue = re.sub(
            r"\b(nhiệm vụ|trách nhiệm|của|các|và|cấp tỉnh|có liên quan|liên quan|tỉnh|đơn vị|đề nghị|giao|yêu cầu"
            r"|đối với|công ty|tổng công ty|tập đoàn)\b",  # "…; Công ty" / "Điện lực Đắk Nông": a head cut by the wrap
            " ",
            residue,
        )
        if re.sub(r"[\W\d_]+", "", residue):
            return []
        brackets = [(title_start + m.start(), title_start + m.end()) for m in re.finditer(r"\([^)]*\)", title)]
        heading_leads = [m for m in found if not any(a <= m.span[0] < b for a, b in brackets)]
        return [m.model_copy(update={"role": "lead", "rule": "role.heading_scope"}) for m in heading_leads]

    def _after_mentions(self, span: Span, found: list[AgencyMention]) -> str:
        """What a heading says after its last agency, list glue and place words removed."""
        tail = matching_form(self.content[max(m.span[1] for m in found) : span[1]])
        return re.sub(r"\b(?:có liên quan|liên quan|tỉnh|thành phố|trung ương|và|các)\b|[\W\d_]", " ", tail)

    def lead_in(self, node: Node) -> list[AgencyMention]:
        """Roles a lead-in hands to the items under it ("Giao Sở Tư pháp chủ trì, phối hợp với …:").

        The lead-in is the paragraph that ends the node's own text with a colon
        just before its items, or the node's title when it has no paragraph.
        A title over bullets is left to the enumeration rule: there the bullets
        usually spell out the content of one task.
        """
        if not node.children:
            return []
        body = node.blocks[node.title_blocks :]
        block = body[-1] if body else node.head
        if not self.text(block.span).rstrip().endswith(":"):
            return []
        roles = inline_roles(self.content, block.span, self.mentions_in(block.span))
        over_bullets = not body and all(child.style in ("dash", "plus") for child in node.children)
        partners_only = not any(m.role == "lead" for m in roles) and _opens_with_partners(self.text(block.span))
        enumerates = bool(cue_patterns()["enumeration"].search(matching_form(self.text(block.span))))
        subject = any(m.rule == "role.subject" for m in roles) and not enumerates
        # "1. Ủy ban nhân dân tỉnh, chỉ đạo các cơ quan, đơn vị có liên quan:" scopes its bullets like a "Giao X:"
        cued = any(m.rule == "role.cue_lead" for m in roles) or partners_only or subject
        if over_bullets and not cued:
            return []  # "- Xây dựng kế hoạch, gồm:" spells out one task; "Giao Sở X chủ trì:" scopes its bullets
        if not any(m.role == "lead" for m in roles) and not partners_only:
            return []
        if any(m.rule == "role.cue_lead" for m in roles):
            # "HĐND tỉnh … đề nghị UBND tỉnh chỉ đạo:": the body asked leads the items, not the one asking
            roles = [m for m in roles if m.rule != "role.subject"]
        return [m.model_copy(update={"rule": "role.lead_in"}) for m in roles]

    def _article_zone(self, node: Node) -> bool:
        """Whether an article (Điều N.) of a decision or resolution assigns work.

        "Điều 2. Giao Bộ X: …", "Điều 3. Trách nhiệm của các cơ quan …" and an
        article whose sentence has a subject that acts do; an article that
        approves or issues content ("Phê duyệt …", "Ban hành kèm theo …"),
        praises, or is the closing formula ("… có hiệu lực …", "… chịu trách
        nhiệm thi hành Quyết định này") does not.
        """
        own = (node.head.span[0], node.blocks[-1].span[1])
        folded = matching_form(self.text(own))
        if cue_patterns()["closing_article"].search(folded) or cue_patterns()["content_article"].search(folded[:80]):
            return False
        if _zone_of(node.title) is True and len(node.title.split()) <= _SECTION_TITLE_WORDS:
            return True
        return any(m.role == "lead" for m in self._roles_of(own))

    def document_scope(self, outline: Outline) -> tuple[list[AgencyMention], list[Span]]:
        """Who leads what a letter asks when its items name nobody, and the addressee lines to skip.

        A letter (công văn) asks its work of a body named in the sentence that
        introduces the items ("Bộ Tài chính đề nghị các Bộ … và Ủy ban nhân
        dân các tỉnh … thực hiện một số nội dung sau:"); failing that, of its
        addressees ("Kính gửi: …").  Only a request cue counts ("đề nghị",
        "yêu cầu", "giao"): the body that issues a plan ("UBND tỉnh ban hành
        Kế hoạch … như sau:") does not lead its tasks.
        """
        addressee_spans: list[Span] = []
        addressees: list[AgencyMention] = []
        blocks = self.parsed.blocks
        for index, block in enumerate(blocks):
            if not matching_form(self.text(block.span)).lstrip().startswith("kính gửi"):
                continue
            addressee_spans.append(block.span)
            addressees.extend(self.mentions_in(block.span))
            for follower in blocks[index + 1 :]:
                line = self.text(follower.span)
                named = self.mentions_in(follower.span)
                bullet = follower.kind == "list_item" or split_marker(line)[0] in ("dash", "plus")
                # a short bullet ending the line as an address does is an addressee even when its name is misread
                addressed = named or (len(line) <= 120 and line.rstrip().endswith((";", ".")))
                if not bullet or not addressed or len(line) > 160:
                    break
                addressee_spans.append(follower.span)
                addressees.extend(named)
            break
        first_item = next(
            (
                node.head.span[0]
                for node in outline.root.children
                if not any(a <= node.head.span[0] < b for a, b in addressee_spans)
            ),
            len(self.content),
        )
        for block in reversed([b for b in blocks if b.span[1] <= first_item and b.kind == "paragraph"]):
            if not self.text(block.span).rstrip().endswith(":"):
                continue
            roles = inline_roles(self.content, block.span, self.mentions_in(block.span))
            asked = [m for m in roles if m.rule == "role.cue_lead"]
            if asked:
                partners = [m for m in roles if m.role == "coordinating"]
                return [m.model_copy(update={"rule": "role.letter_lead_in"}) for m in asked + partners], addressee_spans
            break
        if addressees:
            return [
                m.model_copy(update={"role": "lead", "rule": "role.addressee"}) for m in addressees
            ], addressee_spans
        return [], addressee_spans

    # -- outline ---------------------------------------------------------------------
    def from_outline(self, outline: Outline) -> None:
        scope, skipped = self.document_scope(outline)
        articles = {id(node): self._article_zone(node) for node in outline.root.children if node.style == "article"}

        def zone(node: Node) -> bool | None:
            # only a heading names a part of the plan; a long item that mentions "nhiệm vụ" does not
            if node.style == "article":
                return articles[id(node)]
            return _zone_of(node.title) if _heading_like(node.title) else None

        # only parts of the document name zones (I. NHIỆM VỤ, Điều 2, an upper-case heading); a numbered item
        # of a letter titled "3. Tổ chức thực hiện" does not make its sibling items fall outside the work
        has_zones = any(
            zone(node) is not None
            for node in outline.root.children
            if node.style in ("roman", "article") or all_capitals(node.title)
        )
        for node in outline.root.children:
            if any(a <= node.head.span[0] < b for a, b in skipped):
                continue
            zone_here = zone(node)
            if zone_here is False:
                continue
            if zone_here is None and has_zones:
                self._explicit_assignments(node, scope)
                continue
            self.visit(node, inherited=scope, zone=zone_here)

    def _explicit_assignments(self, node: Node, scope: list[AgencyMention]) -> None:
        """Items of a part whose title names no work ("IV. ĐOÀN KIỂM TRA, THỜI GIAN KIỂM TRA") that still assign it.

        Such a part describes (who inspects, when, how); an item in it is a task
        only where it says so with a request cue: "Chủ tịch UBND tỉnh giao Sở
        Nội vụ chủ trì …", "Đề nghị …".
        """
        before = len(self.drafts)
        self.visit(node, inherited=[], zone=None)
        found, self.drafts = self.drafts[before:], self.drafts[:before]
        for draft in found:
            spans = draft.role_spans or [draft.span]
            cues = [m for span in spans for m in self._roles_of(span) if m.rule == "role.cue_lead"]
            if cues:
                draft.rule = "task.explicit_assignment"
                self.drafts.append(draft)

    def visit_children(self, children: list[Node], inherited: list[AgencyMention], zone: bool | None) -> None:
        """Visit items in order; an item that only introduces the ones after it scopes them.

        Flat numbering is common: "1. Giao phòng Quản lý Công nghiệp triển
        khai, thực hiện các công việc liên quan:" followed by "2. …", "3. …",
        which are really its sub-items.  Such an item has no items of its own,
        ends with a colon and names a lead; it is no task, and the items after
        it inherit its roles.
        """
        scope = inherited
        for child in children:
            if not child.children and self._introduces(child):
                scope = [m.model_copy(update={"rule": "role.lead_in"}) for m in self._roles_of(child.span)]
                continue
            self.visit(child, scope, zone)

    def _introduces(self, node: Node) -> bool:
        text = self.text(node.span).rstrip()
        return text.endswith(":") and any(m.rule == "role.cue_lead" for m in self._roles_of(node.span))

    def visit(self, node: Node, inherited: list[AgencyMention], zone: bool | None) -> None:
        """Visit a node with its own text on the stack of periods its items may inherit ("Trong năm 2022 …:")."""
        if not node.children:
            self._visit(node, inherited, zone)
            return
        self.periods.append((node.head.span[0], node.blocks[-1].span[1]))
        try:
            self._visit(node, inherited, zone)
        finally:
            self.periods.pop()

    def _visit(self, node: Node, inherited: list[AgencyMention], zone: bool | None) -> None:
        own_zone = _zone_of(node.title) if _heading_like(node.title) else None
        if own_zone is False or _field_label(node.title) == "ignore":
            return
        lead_here = self.agency_heading(node)
        children = node.children
        body_blocks = node.blocks[node.title_blocks :]
        if lead_here:
            if body_blocks and not children:
                for paragraph in self._duty_paragraphs(body_blocks):
                    self.add_item(node, lead_here, blocks=paragraph, rule="task.paragraph_under_agency")
            self.visit_children(children, self.lead_in(node) or lead_here, zone)
            return
        scope = self.lead_in(node)
        if scope:
            if not any(m.role == "lead" for m in scope):
                # "đ) Phối hợp với các Bộ, ngành và địa phương liên quan chỉ đạo, hướng dẫn triển khai:" under
                # "1. Bộ Kế hoạch và Đầu tư:": the partners join the lead the items already have
                scope = [m for m in inherited if m.role == "lead"] + scope
            self.visit_children(children, scope, zone)
            return
        field_children = [c for c in children if _field_label(self.text(c.head.span))]
        if len(field_children) >= 2 or (field_children and len(field_children) == len(children)):
            self.add_field_task(node, inherited)
            return
        if (
            children
            and all(c.style in ("dash", "plus") for c in children)
            and all(_DATED_BULLET.match(c.title) for c in children)
        ):
            # "- Giai đoạn 2023-2025: …", "- Tháng 5/2022: …": the item's schedule, not separate tasks
            self.add_item(node, inherited, include_children=True, milestones=children, rule="task.item_with_schedule")
            return
        own_text = self.text((node.head.span[0], node.blocks[-1].span[1]))
        if (
            children
            and all(c.style in ("dash", "plus") for c in children)
            and (cue_patterns()["enumeration"].search(matching_form(own_text)) and len(node.title.split()) >= 4)
        ):
            if self._distributive(children):
                # "… cụ thể như sau: - A - Bộ Công Thương. - B - Bộ Tài chính.": each bullet is its own body's task
                scope = [m.model_copy(update={"rule": "role.lead_in"}) for m in self._roles_of(node.head.span)]
                self.visit_children(children, scope or inherited, zone)
                return
            self.add_item(node, inherited, include_children=True, rule="task.item_with_content_bullets")
            return
        if children:
            # a heading over items: its closing paragraphs are tasks of their own
            self.visit_children(children, inherited, zone)
            return
        self.add_item(node, inherited)

    def _duty_paragraphs(self, blocks: list[Block]) -> list[list[Block]]:
        """The paragraphs under an agency heading, one duty each ("2. Giao Sở Xây dựng" / "Chủ trì …" / "Đồng thời, …").

        A paragraph that continues the one before (it opens in lower case, or
        the one before ends with a colon) stays with it.
        """
        groups: list[list[Block]] = []
        for block in blocks:
            text = self.text(block.span).lstrip()
            joins = groups and (
                block.kind != "paragraph"
                or not text[:1].isupper()
                or self.text(groups[-1][-1].span).rstrip().endswith((":", ","))
            )
            if joins:
                groups[-1].append(block)
            else:
                groups.append([block])
        return groups

    def _roles_of(self, span: Span) -> list[AgencyMention]:
        return inline_roles(self.content, span, self.mentions_in(span))

    def _distributive(self, children: list[Node]) -> bool:
        """Bullets that each name their own lead: the list distributes work, it does not spell out one task."""
        with_lead = sum(
            1
            for child in children
            if any(m.role == "lead" for m in self._roles_of((child.head.span[0], child.blocks[-1].span[1])))
        )
        return with_lead >= max(2, (len(children) + 1) // 2)

    def _opens_with_lead(self, span: Span) -> bool:
        roles = inline_roles(self.content, span, self.mentions_in(span))
        return any(m.role == "lead" and m.span[0] - span[0] < 60 for m in roles)

    def _split_new_subject(self, blocks: list[Block], closing: list[Block]) -> tuple[list[Block], list[Block]]:
        """An unnumbered paragraph naming its own lead after an item that has one is a task of its own.

        (When the item names nobody, the paragraph after it is where its agencies are given.)
        """
        if closing or len(blocks) < 2 or not self._opens_with_lead(blocks[0].span):
            return blocks, closing
        for index, block in enumerate(blocks[1:], start=1):
            if self._opens_with_lead(block.span):
                return blocks[:index], blocks[index:]
        return blocks, closing

    def _split_closing(self, blocks: list[Block]) -> tuple[list[Block], list[Block]]:
        for index, block in enumerate(blocks[1:], start=1):
            if cue_patterns()["closing"].match(matching_form(self.text(block.span))):
                return blocks[:index], blocks[index:]
        return blocks, []

    def add_item(
        self,
        node: Node,
        inherited: list[AgencyMention],
        *,
        blocks: list[Block] | None = None,
        include_children: bool = False,
        milestones: list[Node] | None = None,
        rule: str = "task.list_item",
    ) -> None:
        blocks = list(blocks or node.blocks)
        if blocks is node.blocks or blocks == node.blocks:
            words = node.title.split()
            if len(blocks) == node.title_blocks and words and not any(c.islower() for c in node.title):
                return  # an upper-case heading with nothing under it ("2. NHIỆM VỤ TRỌNG TÂM")
        if cue_patterns()["non_task"].match(matching_form(node.title)) or not node.title.strip() and len(blocks) == 1:
            return
        if cue_patterns()["approval"].match(matching_form(node.title)) and not any(
            m.role == "lead" for b in blocks for m in self._roles_of(b.span)
        ):
            return  # "1. Đồng ý chủ trương lập quy hoạch …": a decision the document records, no work it asks
        blocks, closing = self._split_closing(blocks)
        if not include_children:
            blocks, closing = self._split_new_subject(blocks, closing)
        end = blocks[-1].span[1]
        if include_children:
            last = node
            while last.children:
                last = last.children[-1]
            end = max(end, last.blocks[-1].span[1])
        span = (blocks[0].span[0], end)
        role_blocks = list(blocks)
        if include_children:
            role_blocks += [b for child in node.walk() for b in child.blocks[1:]]
        draft = Draft(
            span=span,
            section=node.path,
            page=blocks[0].page,
            role_spans=[b.span for b in role_blocks],
            inherited=inherited,
            time_spans=[span],
            milestone_spans=[(m.head.span[0], m.blocks[-1].span[1]) for m in milestones or []],
            rule=rule,
            inherited_times=self.periods[::-1],
        )
        self.drafts.append(draft)
        if closing:
            closing_span = (closing[0].span[0], closing[-1].span[1])
            parent_path = node.parent.path if node.parent is not None else node.path
            self.drafts.append(
                Draft(
                    span=closing_span,
                    section=parent_path,
                    page=closing[0].page,
                    role_spans=[b.span for b in closing],
                    time_spans=[closing_span],
                    rule="task.closing_paragraph",
                )
            )

    def add_field_task(self, node: Node, inherited: list[AgencyMention]) -> None:
        last = node
        while last.children:
            last = last.children[-1]
        span = (node.head.span[0], last.blocks[-1].span[1])
        draft = Draft(
            span=span,
            section=node.path,
            page=node.head.page,
            inherited=inherited,
            rule="task.field_item",
            inherited_times=self.periods[::-1],
        )
        draft.role_spans.append(node.head.span)
        for child in node.children:
            child_span = (child.head.span[0], child.blocks[-1].span[1])
            role = _field_label(self.text(child.head.span))
            if role == "lead":
                draft.role_spans.append(child_span)
                draft.fixed_roles.append((child_span, "lead"))
            elif role == "coordinating":
                draft.fixed_roles.append((child_span, "coordinating"))
            elif role == "time":
                draft.time_spans.append(child.head.span)
                for milestone in child.walk():
                    draft.milestone_spans.append((milestone.head.span[0], milestone.blocks[-1].span[1]))
            elif role == "content" or role is None:
                draft.role_spans.append(child_span)
                draft.time_spans.append(child_span)
        self.drafts.append(draft)

    # -- prose -----------------------------------------------------------------------
    def from_prose(self) -> None:
        """Plans written as running text (a news report, a letter): sentences that assign work.

        A sentence is a task when it names who must act ("đề nghị X", "giao X",
        "X chủ trì", X opening the sentence in the present) or, in a timetable
        sentence, when a clause carries its own date.
        """
        patterns = cue_patterns()
        for block in self.parsed.blocks:
            text = self.text(block.span)
            if BODY_END.match(text):
                break  # the closing formula or the recipients: what follows is signature and appendix
            if block.kind != "paragraph" or _FRAME_LINE.match(text) or all_capitals(text):
                continue  # letterhead, "Kính gửi", "V/v", legal grounds: the frame of a letter, not its requests
            for start, end in _sentences(self.content, block.span):
                sentence = matching_form(self.content[start:end])
                clauses = _dated_clauses(self.content, (start, end))
                if len(clauses) >= 2:
                    for clause in clauses:
                        self.drafts.append(
                            Draft(
                                span=clause,
                                section="schedule",
                                page=block.page,
                                time_spans=[clause],
                                rule="task.dated_clause",
                            )
                        )
                    continue
                local = self.mentions_in((start, end))
                roles = inline_roles(self.content, (start, end), local)
                if not any(m.role == "lead" for m in roles):
                    continue
                opener = sentence[:40]
                if patterns["past"].search(opener) or re.search(r"\bđã\b", sentence[:80]):
                    continue
                self.drafts.append(
                    Draft(
                        span=(start, end),
                        section="text",
                        page=block.page,
                        role_spans=[(start, end)],
                        time_spans=[(start, end)],
                        rule="task.prose_sentence",
                    )
                )

    # -- tables ----------------------------------------------------------------------
    def from_tables(self) -> None:
        tables: dict[int, list[Block]] = {}
        for block in self.parsed.blocks:
            if block.kind == "table_row" and block.table is not None:
                tables.setdefault(block.table, []).append(block)
        for rows in tables.values():
            TableReader(self, rows).read()


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZĐÀ-Ỹ])")


def _sentences(content: str, span: Span) -> list[Span]:
    spans = []
    start = span[0]
    for match in _SENTENCE_END.finditer(content, span[0], span[1]):
        if match.start() > start:
            spans.append((start, match.start()))
        start = match.end()
    if start < span[1]:
        spans.append((start, span[1]))
    return spans


_MONTH_DATE = re.compile(r"\b(?:trong|vào|trước|đến)\s+(?:tháng|quý|ngày)\s+[\dIVX]", re.IGNORECASE)


def _dated_clauses(content: str, span: Span) -> list[Span]:
    """Clauses of a timetable sentence ("…lần 2 trong tháng 8/2021; …trong tháng 10/2021 và …") with their own date."""
    text = content[span[0] : span[1]]
    clauses: list[Span] = []
    position = 0
    for piece in re.split(r"(;)", text):
        if piece == ";":
            position += 1
            continue
        pieces = [piece]
        # "… trong tháng 10/2020 và báo cáo … trong tháng 11/2021": two dated actions
        if len(_MONTH_DATE.findall(piece)) >= 2:
            pieces = re.split(r"(?<=\d)\s+và\s+", piece)
            joined_offsets = []
            cursor = 0
            for sub in pieces:
                index = piece.index(sub, cursor)
                joined_offsets.append(index)
                cursor = index + len(sub)
        else:
            joined_offsets = [0]
        for sub, offset in zip(pieces, joined_offsets, strict=True):
            if _MONTH_DATE.search(sub):
                a = span[0] + position + offset
                stripped = sub.strip(" .")
                a += sub.index(stripped) if stripped else 0
                clauses.append((a, a + len(stripped)))
        position += len(piece)
    return clauses


# --------------------------------------------------------------------------- public API


def segment_tasks(parsed: ParsedDocument, mentions: list[AgencyMention], outline: Outline | None = None) -> list[Draft]:
    """Find the tasks of a document (before roles and dates are read)."""
    segmenter = Segmenter(parsed, mentions)
    segmenter.from_outline(outline or build_outline(parsed))
    segmenter.from_tables()
    if not segmenter.drafts:
        segmenter.from_prose()
    drafts = sorted(segmenter.drafts, key=lambda d: d.span[0])
    for index, draft in enumerate(drafts):
        draft.order = index
    return drafts


def build_tasks(parsed: ParsedDocument, drafts: list[Draft], mentions: list[AgencyMention]) -> list[Task]:
    """Tasks with roles; dates are added by ``extractors.extract`` (they need the issue year)."""
    content = parsed.content
    tasks = []
    for draft in drafts:
        text = content[draft.span[0] : draft.span[1]]
        tasks.append(
            Task(
                text=text,
                span=draft.span,
                page=draft.page,
                section=draft.section,
                roles=resolve_roles(draft, content, mentions),
                milestones=[Milestone(text=content[s[0] : s[1]], span=s) for s in draft.milestone_spans],
                rule=draft.rule,
            )
        )
    return tasks
