"""Roles agencies take in a task, read from the cue words around them.

"X chủ trì", "phối hợp với Y", "Giao X", "Đề nghị X", a field label
"Cơ quan thực hiện: X … phối hợp với Y", or X as the subject that opens the
item.  Agencies that only receive something ("báo cáo UBND tỉnh", "gửi Sở
Xây dựng") or give the instruction ("Chủ tịch UBND tỉnh giao …") take no
role.  Each role carries the id of the rule that gave it (``role.cue_lead``,
``role.subject``, ``role.table_column`` …), so ``kehoach extract --explain``
and the database can say why.  The cue words are data
(``resources/task_rules.json``).
"""

from __future__ import annotations

import re
from functools import lru_cache

from kehoach.extractors.task_drafts import Draft, rules
from kehoach.models.document import AgencyMention, Role, Span
from kehoach.models.text_forms import matching_form


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


@lru_cache(maxsize=1)
def cue_patterns() -> dict[str, re.Pattern[str]]:
    r = rules()
    labels = _alternation(list(r["field_labels"]))
    return {
        "field": re.compile(rf"(?:^|(?<=[\s;.(]))(?P<label>{labels})\s*:", re.IGNORECASE),
        "lead_after": re.compile(rf"(?:^|(?<=[\s,;.]))(?:{_alternation(r['lead_after'])})\s*(?:cho\s+)?$"),
        "lead_before": re.compile(rf"^\s*,?\s*(?:{_alternation(r['lead_before'])})\b"),
        "coord_after": re.compile(rf"(?:{_alternation(r['coordinating_after'])})\s*(?:với\s+)?(?:các\s+)?$"),
        "subject_gap": re.compile(
            r"^\s*(?:(?:[ivx]+|\d{1,2}(?:\.\d{1,2})*|[a-zđ]|nhiệm vụ \d{1,2}|điều \d{1,3})\s*[.):\-–]\s*|[-+•*–]\s*)?"
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
        "duty_of": re.compile(
            rf"^\s*(?:{_alternation(r['duty_headings'])})\b[^:;.]{{0,40}}\b(?:của|cho|đối với)\s*(?:các\s+)?$"
        ),
        "closing_article": re.compile(rf"(?:{_alternation(r['closing_articles'])})"),
        "content_article": re.compile(rf"(?:{_alternation(r['content_articles'])})"),
        "inspection_content": re.compile(rf"\bnội dung\b[^,;:]{{0,25}}\b(?:{_alternation(r['inspection_words'])})\b"),
        "non_task": re.compile(rf"^\s*(?:{_alternation(r['non_task_leads'])})\s*:"),
        "approval": re.compile(rf"^\s*(?:{_alternation(r['approval_openers'])})\b"),
    }


_RUN_GAP = re.compile(
    r"^(?:\s|,|;|&|/|\(|\)|\bvà\b|\bcùng\b|\bcác\b|\bcủa tỉnh\b|\bcấp tỉnh\b|\btỉnh\b|\bcó liên quan\b|\bliên quan\b"
    r"|\bthủ trưởng\b|\bchủ tịch\b|\bgiám đốc\b|\blãnh đạo\b|\bngười đứng đầu\b)*$"
)
"""What may stand between two agencies of one list ("Thủ trưởng các sở, ban, ngành, Chủ tịch UBND các huyện")."""


_ALIAS_DEFINITION = re.compile(r"\(\s*(?:sau đây )?(?:gọi (?:tắt )?là|gọi chung là|viết tắt là)[^()]*\)", re.IGNORECASE)
"""A name's short form defined in passing: "(sau đây gọi là Bộ, cơ quan trung ương)"; the list goes on after it."""


def _runs(mentions: list[AgencyMention], content: str) -> list[list[AgencyMention]]:
    """Group mentions separated only by commas, "và", "các" … into lists."""
    runs: list[list[AgencyMention]] = []
    aliases: list[tuple[int, int]] = []
    if mentions:
        first, last = min(m.span[0] for m in mentions), max(m.span[1] for m in mentions)
        aliases = [m.span() for m in _ALIAS_DEFINITION.finditer(content, max(0, first - 200), last + 200)]
    mentions = [m for m in mentions if not any(a <= m.span[0] < b for a, b in aliases)]
    for mention in sorted(mentions, key=lambda m: m.span[0]):
        if runs:
            gap = _ALIAS_DEFINITION.sub(" ", content[runs[-1][-1].span[1] : mention.span[0]])
            if _RUN_GAP.match(matching_form(gap)):
                runs[-1].append(mention)
                continue
        runs.append([mention])
    return runs


_TRAILING_ASSIGNEE = re.compile(r"\s[-–—]\s*$")


_COLON_CLAUSE = re.compile(r":\s+(?=[A-ZĐÀ-Ỹ])")
_RUN_IN_TIME = re.compile(r"[\w)]\s+((?:Trong|Đến|Từ|Hằng|Hàng)\s+(?:năm|quý|tháng)\b)")
_ASKING = re.compile(r"(?:đề nghị|yêu cầu)\s*(?:cho\s+)?$")


def _segment_starts(content: str, span: Span) -> list[int]:
    """Where a subject can stand: the segment start and after a field label."""
    starts = [span[0]]
    for match in cue_patterns()["field"].finditer(content, span[0], span[1]):
        starts.append(match.end())
    # "Trước khi tiến hành kiểm tra: Sở Nội vụ có văn bản …": a clause after a colon has its own subject
    starts.extend(m.end() for m in _COLON_CLAUSE.finditer(content, span[0], span[1]))
    # a run-in title before a capitalised time adverbial: "a) Tổ chức quán triệt Nghị quyết Trong năm 2022, các bộ …"
    starts.extend(m.start(1) for m in _RUN_IN_TIME.finditer(content, span[0], span[1]))
    return sorted(set(starts))


def inline_roles(
    content: str, span: Span, mentions: list[AgencyMention], *, in_task: bool = False
) -> list[AgencyMention]:
    """Roles from the cue words around agency lists inside one text segment.

    ``in_task``: the segment is a task's own text, where a subject that asks
    ("Sở Nội vụ có văn bản đề nghị các cơ quan …") is the lead and those it
    asks are not; in a lead-in the bodies asked lead the items that follow.
    """
    patterns = cue_patterns()
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
        rule = ""
        field_role = None
        for _start, f_end, label in field_spans:
            if f_end <= first:
                field_role = rules()["field_labels"].get(matching_form(label))
                field_anchor = f_end
        if patterns["coord_after"].search(before[-60:]):
            role, rule = "coordinating", "role.cue_coordinating"
        elif patterns["lead_before"].match(after) or patterns["lead_after"].search(before[-30:]):
            role, rule = "lead", "role.cue_lead"
            if (
                in_task
                and _ASKING.search(before[-30:])
                and any(r.rule == "role.subject" and not re.search(r"[.;]", content[r.span[1] : first]) for r in roles)
            ):
                # "Sở Nội vụ có văn bản đề nghị các cơ quan …": the subject asks; those asked are not its leads
                role, rule = None, ""
        elif _TRAILING_ASSIGNEE.search(before[-4:]) and not re.search(r"\w", after):
            # "- Tài sản kết cấu hạ tầng đô thị - Bộ Xây dựng.": a distributive list names who does each item last
            role, rule = "lead", "role.trailing_assignee"
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
                    role, rule = "lead", "role.subject"
                    break
        if field_role == "coordinating" and (role is None or rule == "role.subject"):
            # "…; cơ quan phối hợp: Sở Y": the label decides, the body standing first after it is no subject
            role, rule = "coordinating", "role.field_label"
        if field_role == "lead" and role is None:
            gap = folded[field_anchor - base : first - base]
            if "phối hợp" not in gap and not re.search(r"[.;]", gap):
                role, rule = "lead", "role.field_label"
        if field_role in ("consultant", "ignore"):
            role = None
        if role:
            roles.extend(m.model_copy(update={"role": role, "rule": rule}) for m in run)
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
        found.extend(inline_roles(content, span, local, in_task=True))
    for span, role in draft.fixed_roles:
        inside = within(span)
        if role == "lead" and draft.role_spans:
            # "Đơn vị thực hiện: X … phối hợp với Y" inside a field: read the cues
            read = inline_roles(content, span, inside)
            found.extend(read)
            continue
        if inside:
            found.extend(m.model_copy(update={"role": role, "rule": "role.table_column"}) for m in inside)
        else:
            raw = content[span[0] : span[1]]
            text = raw.strip(" .;:")
            if text:
                start = span[0] + len(raw) - len(raw.lstrip(" .;:"))  # the span of the text kept (found by fuzzing)
                found.append(
                    AgencyMention(
                        text=text,
                        span=(start, start + len(text)),
                        name=text,
                        kind="unknown",
                        role=role,
                        registered=False,
                        rule="role.table_column",
                    )
                )
    if not any(m.role == "lead" for m in found) and draft.inherited:
        # the scope (heading, lead-in, addressee) speaks for the task as a whole: its partners come with its lead
        found = [*draft.inherited, *found]
    return _dedupe(found)
