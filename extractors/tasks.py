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
from functools import lru_cache

from extractors.structure import Node, Outline, build_outline, split_marker
from extractors.table_tasks import TableReader
from extractors.task_drafts import Draft, rules
from models.document import AgencyMention, Block, Milestone, ParsedDocument, Role, Span, Task
from models.text_forms import matching_form


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


@lru_cache(maxsize=1)
def _patterns() -> dict[str, re.Pattern[str]]:
    r = rules()
    labels = _alternation(list(r["field_labels"]))
    return {
        "field": re.compile(rf"(?:^|(?<=[\s;.(]))(?P<label>{labels})\s*:", re.IGNORECASE),
        "lead_after": re.compile(rf"(?:^|(?<=[\s,;.]))(?:{_alternation(r['lead_after'])})\s*(?:cho\s+)?$"),
        "lead_before": re.compile(rf"^\s*,?\s*(?:{_alternation(r['lead_before'])})\b"),
        "coord_after": re.compile(rf"(?:{_alternation(r['coordinating_after'])})\s*(?:với\s+)?(?:các\s+)?$"),
        "subject_gap": re.compile(
            r"^\s*(?:(?:[ivx]+|\d{1,2}(?:\.\d{1,2})*|[a-zđ]|nhiệm vụ \d{1,2})\s*[.):\-–]\s*|[-+•*–]\s*)?"
            rf"(?:(?:{_alternation(r['intro_clauses'])})[^.;:]{{0,300}},\s*)?"
            rf"(?:(?:{_alternation(r['lead_after'])})\s+)?"
            rf"(?:(?:{_alternation(r['subject_titles'])})\s+)?(?:các\s+)?$"
        ),
        "directive": re.compile(
            rf"^\s*(?:(?:{_alternation(r['past_markers'])})\s+)?(?:{_alternation(r['directive_verbs'])})\b"
        ),
        "non_agent": re.compile(rf"^\s*,?\s*(?:{_alternation(r['non_agent_after'])})\b"),
        "past": re.compile(rf"^\s*(?:{_alternation(r['past_markers'])})\b"),
        "closing": re.compile(rf"^\s*(?:{_alternation(r['closing_clauses'])})\b"),
        "enumeration": re.compile(rf"(?:{_alternation(r['enumeration_intros'])})\s*:\s*$"),
        "non_task": re.compile(rf"^\s*(?:{_alternation(r['non_task_leads'])})\s*:"),
    }


_RUN_GAP = re.compile(
    r"^(?:\s|,|;|&|/|\(|\)|\bvà\b|\bcùng\b|\bcác\b|\bcủa tỉnh\b|\bcấp tỉnh\b|\btỉnh\b|\bcó liên quan\b|\bliên quan\b"
    r"|\bthủ trưởng\b|\bchủ tịch\b|\bgiám đốc\b|\blãnh đạo\b|\bngười đứng đầu\b)*$"
)
"""What may stand between two agencies of one list ("Thủ trưởng các sở, ban, ngành, Chủ tịch UBND các huyện")."""
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
    return min(positions)[1]


def _field_label(text: str) -> str | None:
    """The role of a field item ("b) Đơn vị thực hiện: …" → "lead")."""
    _, _, rest = split_marker(text)
    match = _patterns()["field"].match(rest.strip())
    if not match:
        return None
    return rules()["field_labels"].get(matching_form(match.group("label")))


class Segmenter:
    def __init__(self, parsed: ParsedDocument, mentions: list[AgencyMention]) -> None:
        self.parsed = parsed
        self.content = parsed.content
        self.mentions = mentions
        self.drafts: list[Draft] = []

    # -- helpers ------------------------------------------------------------------
    def text(self, span: Span) -> str:
        return self.content[span[0] : span[1]]

    def mentions_in(self, span: Span) -> list[AgencyMention]:
        return [m for m in self.mentions if m.span[0] >= span[0] and m.span[1] <= span[1]]

    def agency_heading(self, node: Node) -> list[AgencyMention]:
        """Agencies a heading hands to its items, when the heading names only agencies."""
        head = node.head
        title_start = head.span[1] - len(node.title)
        span = (title_start, head.span[1])
        title = self.text(span)
        found = self.mentions_in(span)
        if not found:
            return []
        residue = title
        for mention in sorted(found, key=lambda m: -m.span[0]):
            a, b = mention.span[0] - title_start, mention.span[1] - title_start
            residue = residue[:a] + residue[b:]
        residue = re.sub(r"\([^)]*\)", " ", matching_form(residue))  # "(Giao Phòng Bưu chính Viễn thông)"
        residue = re.sub(
            r"\b(nhiệm vụ|trách nhiệm|của|các|và|cấp tỉnh|có liên quan|liên quan|tỉnh|đơn vị|đề nghị|giao|yêu cầu"
            r"|đối với)\b",
            " ",
            residue,
        )
        if re.sub(r"[\W\d_]+", "", residue):
            return []
        brackets = [(title_start + m.start(), title_start + m.end()) for m in re.finditer(r"\([^)]*\)", title)]
        heading_leads = [m for m in found if not any(a <= m.span[0] < b for a, b in brackets)]
        return [m.model_copy(update={"role": "lead"}) for m in heading_leads]

    # -- outline ---------------------------------------------------------------------
    def from_outline(self, outline: Outline) -> None:
        def zone(node: Node) -> bool | None:
            # only a heading names a part of the plan; a long item that mentions "nhiệm vụ" does not
            return _zone_of(node.title) if len(node.title.split()) <= _SECTION_TITLE_WORDS else None

        has_zones = any(zone(node) is not None for node in outline.root.children)
        for node in outline.root.children:
            zone_here = zone(node)
            if zone_here is False:
                continue
            if zone_here is None and has_zones:
                continue
            self.visit(node, inherited=[], zone=zone_here)

    def visit(self, node: Node, inherited: list[AgencyMention], zone: bool | None) -> None:
        own_zone = _zone_of(node.title) if len(node.title.split()) <= _SECTION_TITLE_WORDS else None
        if own_zone is False or _field_label(node.title) == "ignore":
            return
        lead_here = self.agency_heading(node)
        children = node.children
        body_blocks = node.blocks[node.title_blocks :]
        if lead_here:
            if body_blocks and not children:
                self.add_item(node, lead_here, blocks=body_blocks)
            for child in children:
                self.visit(child, lead_here, zone)
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
            self.add_item(node, inherited, include_children=True, milestones=children)
            return
        own_text = self.text((node.head.span[0], node.blocks[-1].span[1]))
        if (
            children
            and all(c.style in ("dash", "plus") for c in children)
            and (_patterns()["enumeration"].search(matching_form(own_text)) and len(node.title.split()) >= 4)
        ):
            self.add_item(node, inherited, include_children=True)
            return
        if children:
            # a heading over items: its closing paragraphs are tasks of their own
            for child in children:
                self.visit(child, inherited, zone)
            return
        self.add_item(node, inherited)

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
            if _patterns()["closing"].match(matching_form(self.text(block.span))):
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
    ) -> None:
        blocks = list(blocks or node.blocks)
        if blocks is node.blocks or blocks == node.blocks:
            words = node.title.split()
            if len(blocks) == node.title_blocks and words and not any(c.islower() for c in node.title):
                return  # an upper-case heading with nothing under it ("2. NHIỆM VỤ TRỌNG TÂM")
        if _patterns()["non_task"].match(matching_form(node.title)) or not node.title.strip() and len(blocks) == 1:
            return
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
                )
            )

    def add_field_task(self, node: Node, inherited: list[AgencyMention]) -> None:
        last = node
        while last.children:
            last = last.children[-1]
        span = (node.head.span[0], last.blocks[-1].span[1])
        draft = Draft(span=span, section=node.path, page=node.head.page, inherited=inherited)
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
        patterns = _patterns()
        for block in self.parsed.blocks:
            if block.kind != "paragraph":
                continue
            for start, end in _sentences(self.content, block.span):
                sentence = matching_form(self.content[start:end])
                clauses = _dated_clauses(self.content, (start, end))
                if len(clauses) >= 2:
                    for clause in clauses:
                        self.drafts.append(Draft(span=clause, section="schedule", page=block.page, time_spans=[clause]))
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


# --------------------------------------------------------------------------- roles


def _runs(mentions: list[AgencyMention], content: str) -> list[list[AgencyMention]]:
    """Group mentions separated only by commas, "và", "các" … into lists."""
    runs: list[list[AgencyMention]] = []
    for mention in sorted(mentions, key=lambda m: m.span[0]):
        if runs:
            gap = content[runs[-1][-1].span[1] : mention.span[0]]
            if _RUN_GAP.match(matching_form(gap)):
                runs[-1].append(mention)
                continue
        runs.append([mention])
    return runs


def _segment_starts(content: str, span: Span) -> list[int]:
    """Where a subject can stand: the segment start and after a field label."""
    starts = [span[0]]
    for match in _patterns()["field"].finditer(content, span[0], span[1]):
        starts.append(match.end())
    return starts


def inline_roles(content: str, span: Span, mentions: list[AgencyMention]) -> list[AgencyMention]:
    """Roles from the cue words around agency lists inside one text segment."""
    patterns = _patterns()
    folded = matching_form(content[span[0] : span[1]])
    base = span[0]
    roles: list[AgencyMention] = []
    starts = _segment_starts(content, span)
    field_spans = [
        (m.start(), m.end(), m.group("label")) for m in patterns["field"].finditer(content, span[0], span[1])
    ]
    # "Đơn vị Tư vấn:" is a label, not a mention of the consultant
    mentions = [m for m in mentions if not any(a <= m.span[0] < b for a, b, _ in field_spans)]
    for run in _runs(mentions, content):
        first, last = run[0].span[0], run[-1].span[1]
        before = folded[: first - base]
        after = folded[last - base :]
        role: Role | None = None
        field_role = None
        for _start, f_end, label in field_spans:
            if f_end <= first:
                field_role = rules()["field_labels"].get(matching_form(label))
                field_anchor = f_end
        if patterns["coord_after"].search(before[-60:]):
            role = "coordinating"
        elif patterns["lead_before"].match(after) or patterns["lead_after"].search(before[-30:]):
            role = "lead"
        elif (
            not patterns["directive"].match(after)
            and not patterns["non_agent"].match(after)
            and not re.search(r"^[^.;]{0,150}\blà (?:các )?đối tượng\b", after)
        ):
            # the subject may start inside a list that an opening clause ran into ("… của UBND tỉnh, Thủ trưởng các sở")
            for index, mention in enumerate(run):
                if any(
                    start <= mention.span[0]
                    and patterns["subject_gap"].match(folded[start - base : mention.span[0] - base])
                    for start in starts
                ):
                    run = run[index:]
                    role = "lead"
                    break
        if field_role in ("coordinating",) and role is None:
            role = "coordinating"
        if field_role == "lead" and role is None:
            gap = folded[field_anchor - base : first - base]
            if "phối hợp" not in gap and not re.search(r"[.;]", gap):
                role = "lead"
        if field_role in ("consultant", "ignore"):
            role = None
        if role:
            roles.extend(m.model_copy(update={"role": role}) for m in run)
    return roles


def _dedupe(mentions: list[AgencyMention]) -> list[AgencyMention]:
    seen: set[tuple[str, str | None]] = set()
    unique = []
    for mention in mentions:
        key = (mention.name, mention.role)
        if key in seen:
            continue
        seen.add(key)
        unique.append(mention)
    # an agency that leads does not also coordinate
    leads = {m.name for m in unique if m.role == "lead"}
    return [m for m in unique if m.role == "lead" or m.name not in leads]


def resolve_roles(draft: Draft, content: str, mentions: list[AgencyMention]) -> list[AgencyMention]:
    found: list[AgencyMention] = []

    def within(span: Span) -> list[AgencyMention]:
        return [m for m in mentions if m.span[0] >= span[0] and m.span[1] <= span[1]]

    fixed_spans = [span for span, _ in draft.fixed_roles]
    for span in draft.role_spans:
        local = [m for m in within(span) if not any(m.span[0] >= s[0] and m.span[1] <= s[1] for s in fixed_spans)]
        found.extend(inline_roles(content, span, local))
    for span, role in draft.fixed_roles:
        inside = within(span)
        if role == "lead" and draft.role_spans:
            # "Đơn vị thực hiện: X … phối hợp với Y" inside a field: read the cues
            read = inline_roles(content, span, inside)
            found.extend(read)
            continue
        if inside:
            found.extend(m.model_copy(update={"role": role}) for m in inside)
        else:
            text = content[span[0] : span[1]].strip(" .;:")
            if text:
                found.append(AgencyMention(text=text, span=span, name=text, kind="unknown", role=role))
    if not any(m.role == "lead" for m in found) and draft.inherited:
        found = [*draft.inherited, *found]
    return _dedupe(found)


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
            )
        )
    return tasks
