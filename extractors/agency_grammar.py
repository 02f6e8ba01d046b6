"""Recognising bodies by the grammar of Vietnamese body names, whether or not the registry knows them.

A Vietnamese body name is a head noun from a closed class ("Cục", "Vụ",
"Trung tâm", "Tổng công ty", "Đảng ủy", ...) followed by its name, whose first
word is capitalised while the rest may be lower case ("Cục Biến đổi khí hậu",
"Viện Chiến lược, Chính sách tài nguyên và môi trường"), by a locality
("Thuế tỉnh", "Tòa án nhân dân tối cao"), or by an owner body ("Đảng ủy Ủy ban
nhân dân tỉnh", "các đơn vị có liên quan thuộc Bộ Tài nguyên và Môi trường").
Groups are member nouns joined by commas and "và" with qualifiers ("các bộ,
ngành và địa phương liên quan"): one group mention, never split at commas.

The closed lists are data (``resources/agency_grammar.json``); everything is
compiled once into regexes over ``matching_form`` text, so the cost is a few
passes over the text, not a model call per candidate.  What a recognised body
is *called* is the registry's job (``agency_registry.normalise``); a body the
registry does not know keeps its canonical written form (``written_form``)
with ``registered=False``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from kehoach.extractors import agency_registry as registry
from kehoach.extractors.agency_types import Candidate, NameMatch, grammar_data
from kehoach.models.text_forms import matching_form, nfc

_DASH = re.compile(r"\s*[-–—‑]\s*")
_AMP = re.compile(r"\s*&\s*")
_TRAILING = re.compile(r"[\s,;:.\-–—]+$")
_WORD = re.compile(r"\w+")


def written_form(text: str) -> str:
    """The canonical written form of a name: NFC, one space between words, " - " dashes, no trailing marks.

    Abbreviations of the registry ("UBND", "TN&MT", "BCĐ") are expanded, so
    "Trung tâm Truyền thông TN&MT" and "Trung tâm Truyền thông Tài nguyên và
    Môi trường" get one name.  A name written in capitals (a header) is put in
    sentence case after its head noun's display form.
    """
    text = " ".join(nfc(text).split())
    text = _TRAILING.sub("", _AMP.sub("&", _DASH.sub(" - ", text)))
    for abbr, full in _abbreviations():
        text = re.sub(rf"(?<![\w&]){re.escape(abbr)}(?![\w&])", full, text)
    return text


@functools.lru_cache(maxsize=1)
def _abbreviations() -> list[tuple[str, str]]:
    pairs = registry.patterns()["abbreviations"]["pairs"]
    return sorted(((a, f) for a, f in pairs), key=lambda p: -len(p[0]))


def _sentence_case(head: str, rest: str) -> str:
    words = rest.split(" ")
    return " ".join([head, words[0][:1] + words[0][1:].lower(), *(w.lower() for w in words[1:])])


# --------------------------------------------------------------------------- compiled grammar


@dataclass
class _Grammar:
    head_re: re.Pattern[str]
    heads: dict[str, tuple[str, bool, bool]]
    """head key -> (display form, takes a name, may stand bare)."""
    takes_owner: set[str]
    owner_re: re.Pattern[str]
    not_name_re: re.Pattern[str]
    stop_re: re.Pattern[str]
    named_loc_re: re.Pattern[str]
    bare_loc_re: re.Pattern[str]
    token_re: re.Pattern[str]
    member_start_re: re.Pattern[str]
    member_re: re.Pattern[str]
    member_info: dict[str, dict]
    group_sep_re: re.Pattern[str]
    group_qual_re: re.Pattern[str]
    people_named_re: re.Pattern[str]
    people_group_re: re.Pattern[str]
    people_loc_re: re.Pattern[str]
    localities: dict[str, str]
    people_heads: dict[str, str]
    title_re: re.Pattern[str]
    title_start_re: re.Pattern[str]
    link_re: re.Pattern[str]
    max_words: int


@functools.lru_cache(maxsize=1)
def _grammar() -> _Grammar:
    data = grammar_data()
    pairs = registry.abbreviation_pairs()
    heads_data = data["head_nouns"]
    heads: dict[str, tuple[str, bool, bool]] = {}
    for form in heads_data["name"]:
        heads[registry.key(registry.units(form))] = (form, True, form in heads_data["bare"])
    for form in heads_data["bare"]:
        k = registry.key(registry.units(form))
        heads[k] = (form, heads.get(k, (form, False, True))[1], True)
    head_alt = registry.trie_regex(tuple(k.split(" ")) for k in heads)
    det = registry.determiner_regex()
    ends = re.escape(data["name_end_characters"])

    groups = data["groups"]
    member_info: dict[str, dict] = {}
    for member in groups["members"]:
        for written in (member["form"], *member.get("aliases", ())):
            for variant in registry.abbreviated_variants(registry.units(written), pairs):
                member_info.setdefault(registry.key(variant), member)
    not_followed = registry.alternation(groups["not_followed_by"])
    member_alt = registry.trie_regex(tuple(k.split(" ")) for k in member_info)

    people = data["people_bodies"]
    people_heads = {}
    for head in people["heads"]:
        for variant in registry.abbreviated_variants(registry.units(head), pairs):
            people_heads[registry.key(variant)] = head
    phead_alt = registry.trie_regex(tuple(k.split(" ")) for k in people_heads)
    localities = {registry.key(registry.units(loc)): loc for loc in people["localities"]}
    named_locs = [loc for loc in people["localities"] if loc not in people["named_localities_exclude"]]
    loc_alt = registry.alternation(people["localities"])
    titles = registry.alternation(data["office_titles"]["titles"])
    return _Grammar(
        head_re=re.compile(rf"(?<![\w&])(?:{head_alt})(?!\w)"),
        heads=heads,
        takes_owner={registry.key(registry.units(h)) for h in heads_data["takes_owner"]},
        owner_re=re.compile(rf"(?:{registry.alternation(heads_data['owner_heads'])})(?!\w)"),
        not_name_re=re.compile(rf"(?:{registry.alternation(heads_data['not_names'])})(?!\w)"),
        stop_re=re.compile(rf"(?:{registry.alternation(data['name_stop_words']['words'])})(?!\w)"),
        named_loc_re=re.compile(
            rf"(?:{registry.alternation(data['localities']['named'])})(?!\w)"
            rf"(?!\s+(?:{registry.alternation(data['localities']['named_not_followed_by'])})(?!\w))"
        ),
        bare_loc_re=re.compile(rf"(?:{registry.alternation(data['localities']['bare'])})(?!\w)"),
        token_re=re.compile(rf"[^\S\n]*(?P<p>[,&\-–—‑])?[^\S\n]*(?P<w>[^\s{ends},&\-–—‑]+)"),
        member_start_re=re.compile(rf"(?<!\w)(?P<det>{det})?(?P<member>{member_alt})(?!\s+(?:{not_followed})(?!\w))"),
        member_re=re.compile(rf"(?:{member_alt})(?!\s+(?:{not_followed})(?!\w))"),
        member_info=member_info,
        # members joined by a comma, "và", or written as one compound ("các Bộ ngành liên quan", "sở ngành")
        group_sep_re=re.compile(rf"(?:\s*,\s*|\s+và\s+|[^\S\n]+)(?:{det})?"),
        group_qual_re=re.compile(rf"\s+(?:{registry.alternation(groups['qualifiers'])})(?!\w)"),
        people_named_re=re.compile(
            rf"(?<!\w)(?P<head>{phead_alt})\s+(?P<loc>{registry.alternation(named_locs)})"
            rf"(?P<name>(?:\s+\w+){{0,{int(people['max_name_words'])}}})"
        ),
        people_group_re=re.compile(
            rf"(?<!\w)(?P<head>{phead_alt})\s+(?:(?P<det>{registry.alternation(people['group_determiners'])})\s+)?"
            rf"(?P<locs>{loc_alt}(?:(?:\s*,\s*|\s+và\s+|\s+){loc_alt})*)"
            rf"(?P<qual>\s+(?:{registry.alternation(people['qualifiers'])}))?"
        ),
        people_loc_re=re.compile(loc_alt),
        localities=localities,
        people_heads=people_heads,
        title_re=re.compile(rf"(?<!\w)(?:{titles})\s+$"),
        title_start_re=re.compile(rf"(?:{titles}|{phead_alt})(?!\w)"),
        link_re=re.compile(rf"\s+(?:{registry.alternation(data['owner_links']['words'])})\s+"),
        max_words=int(heads_data["max_words"]),
    )


def _capitalised(text: str, pos: int) -> bool:
    return pos < len(text) and (text[pos].isupper() or text[pos].isdigit())


# --------------------------------------------------------------------------- head noun + name


def _name_end(text: str, folded: str, g: _Grammar, start: int, bare: bool, upper: bool) -> tuple[int, int, str | None]:
    """Where the name after a head noun ends: (end, words taken, province place or None).

    The name is the run of words up to punctuation, a lower-case stop word, a
    locality (taken with its place name), or the next head noun.  Its first
    word must be capitalised unless a locality follows a bare head directly.
    """
    pos, end, words = start, start, 0
    while words < g.max_words:
        tok = g.token_re.match(folded, pos)
        if tok is None or (tok.group("p") and tok.group("p") in ",&" and words == 0):
            break
        ws = tok.start("w")
        cap = _capitalised(text, ws)
        if tok.group("p") == "," and (
            not cap
            or g.head_re.match(folded, ws)
            or g.title_start_re.match(folded, ws)
            or g.named_loc_re.match(folded, ws)  # "Sở Y tế, Tỉnh đoàn": a body named after its place starts here
        ):
            break
        if (loc := g.named_loc_re.match(folded, ws)) and not cap:
            # "tỉnh Lạng Sơn", "huyện Chi Lăng": the locality closes the name with its place
            end, place_start, pos = loc.end(), None, loc.end()
            while (nxt := g.token_re.match(folded, pos)) and not nxt.group("p") and _capitalised(text, nxt.start("w")):
                place_start = place_start or nxt.start("w")
                pos = end = nxt.end()
            is_province = loc.group() == "tỉnh"
            place = text[place_start:end] if place_start is not None and is_province else None
            return end, words + 1, place
        if (bl := g.bare_loc_re.match(folded, ws)) and (words or bare):
            return bl.end(), words + 1, None
        if (
            words == 0
            and not cap
            and (_OPENING_GLUE.match(folded, ws) or not _lower_opening(text, folded, g, tok.end()))
        ):
            break
        if (upper or not cap) and g.stop_re.match(folded, ws) and not _inside_compound(folded, ws):
            break
        if words and cap and g.head_re.match(folded, ws) and not g.named_loc_re.match(folded, ws):
            break
        if tok.group("w") in ("và", "hoặc"):
            after = g.token_re.match(folded, tok.end())
            if after is None or after.group("p"):
                break
            nxt_ws = after.start("w")
            if g.head_re.match(folded, nxt_ws) or g.member_start_re.match(folded, nxt_ws) or after.group("w") == "các":
                break
        pos = tok.end()
        if tok.group("w") not in ("và", "hoặc", "của"):
            end = pos
        words += 1
    return end, words, None


_OPENING_GLUE = re.compile(r"(?:và|hoặc|các|của|với|cho|tại|là|có|được)(?!\w)")
"""Words that cannot open a name: after a head noun they join it to what follows ("các Sở và Thủ trưởng …")."""


@functools.lru_cache(maxsize=1)
def _stop_compounds() -> tuple[str, ...]:
    return tuple(grammar_data()["name_stop_words"]["compounds"])


def _inside_compound(folded: str, pos: int) -> bool:
    """The stop word at ``pos`` is the end of a common word ("trình" in "công trình"), not a verb ending the name."""
    return any(
        folded.startswith(compound, pos - compound.rindex(" ") - 1) and compound.rindex(" ") < pos
        for compound in _stop_compounds()
    )


def _lower_opening(text: str, folded: str, g: _Grammar, after: int) -> bool:
    """A lower-case word (two syllables at most) may open a name before a capital ("Trung tâm xúc tiến Đầu tư")."""
    pos = after
    for _ in range(2):
        nxt = g.token_re.match(folded, pos)
        if nxt is None or nxt.group("p") or g.stop_re.match(folded, nxt.start("w")):
            return False
        if _capitalised(text, nxt.start("w")):
            return not g.head_re.match(folded, nxt.start("w"))  # "Tổ đại biểu Hội đồng …": the owner, not a name
        pos = nxt.end()
    return False


def _capitalised_words(text: str, folded: str, g: _Grammar, start: int, end: int) -> int:
    count, pos = 0, start
    while (tok := g.token_re.match(folded, pos)) and tok.end() <= end:
        count += _capitalised(text, tok.start("w"))
        pos = tok.end()
    return count


@functools.lru_cache(maxsize=1)
def _compound_openers() -> frozenset[str]:
    return frozenset(grammar_data()["head_nouns"]["compound_openers"])


def _ends_compound(text: str, folded: str, start: int) -> bool:
    """The head noun is the second syllable of a common word ("NHIỆM VỤ", "XÃ HỘI", "cán bộ").

    Only where capitals cannot tell: an upper-case heading, or a head written in lower case.
    """
    word = re.search(r"(\w+)[ \t]+$", folded[max(0, start - 12) : start])
    if word is None or word.group(1) not in _compound_openers():
        return False
    return text[start].islower() or text[max(0, start - 12) : start].strip().isupper()


@functools.lru_cache(maxsize=1)
def _topic_heads() -> frozenset[str]:
    return frozenset(grammar_data()["head_nouns"]["topic_named"])


_TOPIC_WORDS = 12


def _topic_end(text: str, folded: str, g: _Grammar, start: int) -> int | None:
    """The end of a lower-case topic name closed by a locality ("Ban Chỉ đạo phòng, chống tham nhũng tỉnh")."""
    pos = start
    for _ in range(_TOPIC_WORDS):
        tok = g.token_re.match(folded, pos)
        if tok is None or (tok.group("p") and tok.group("p") not in ",-–"):
            return None
        ws = tok.start("w")
        if g.bare_loc_re.match(folded, ws) or g.named_loc_re.match(folded, ws):
            loc = g.bare_loc_re.match(folded, ws) or g.named_loc_re.match(folded, ws)
            end = loc.end()
            while (nxt := g.token_re.match(folded, end)) and not nxt.group("p") and _capitalised(text, nxt.start("w")):
                end = nxt.end()
            return end if pos > start else None
        if g.stop_re.match(folded, ws) or _capitalised(text, ws):
            return None
        pos = tok.end()
    return None


def _after_capital(text: str, start: int) -> bool:
    """The lower-case head ends a word of a place ("Tỉnh đoàn", "Huyện đoàn"): a name of its own, not a head."""
    before = text[:start].rstrip(" \t")
    word = re.search(r"(\w+)$", before)
    return (
        bool(word)
        and len(before) == start - 1
        and word.group(1)[0].isupper()
        and bool(_grammar().named_loc_re.fullmatch(word.group(1).lower()))
    )


def _shorter_head(folded: str, g: _Grammar, start: int, end: int) -> int | None:
    """The end of the longest shorter head that takes a name ("Ban" in "Ban Quản lý quy hoạch")."""
    words = folded[start:end].split()
    for size in range(len(words) - 1, 0, -1):
        key = registry.text_key(" ".join(words[:size]))
        if key in g.heads and g.heads[key][1]:
            return start + len(" ".join(folded[start:end].split()[:size]))
    return None


def head_noun_candidates(text: str, folded: str, registry_ends: dict[int, int]) -> list[Candidate]:
    """Bodies named by a head noun and a name, a locality or an owner (rule ``agency.head_noun``)."""
    g = _grammar()
    out: list[Candidate] = []
    for m in g.head_re.finditer(folded):
        start = m.start()
        if g.not_name_re.match(folded, start) or _ends_compound(text, folded, start):
            continue
        head_end = m.end()
        head_key = registry.text_key(m.group())
        display, takes_name, bare = g.heads[head_key]
        upper = text[start:head_end].isupper()
        end, words, place = _name_end(text, folded, g, head_end, bare, upper)
        topical = False
        if words == 0 and place is None and display in _topic_heads():
            topic_end = _topic_end(text, folded, g, head_end)
            if topic_end is not None:
                end, words, topical = topic_end, 1, True
        if words == 0 and place is None and (shorter := _shorter_head(folded, g, start, head_end)) is not None:
            # "Ban Quản lý quy hoạch": the bare head "Ban Quản lý" found no place; "Ban" names the body
            head_end = shorter
            head_key = registry.text_key(folded[start:head_end])
            display, takes_name, bare = g.heads[head_key]
            end, words, place = _name_end(text, folded, g, head_end, bare, upper)
        if not text[start].isupper() and (
            words < 2 or _capitalised_words(text, folded, g, head_end, end) < 2 or _after_capital(text, start)
        ):
            # a lower-case head is a body only before a capitalised name ("giao phòng Quản lý Công nghiệp"),
            # and not when it ends a capitalised word of its own ("Tỉnh đoàn Thanh niên")
            continue
        if not takes_name and words == 0:
            end = head_end
        known = registry_ends.get(start)
        if known is not None and known >= end - 1:
            continue  # the registry knows this body and where its name ends
        if known is not None and not topical and not _capitalised(text, _next_word(folded, known)):
            continue  # "Sở Tài chính chủ động": a lower-case word after a known name starts the predicate
        written = text[start:end]
        rest = written_form(written[head_end - start :])
        if upper and rest and rest.upper() == rest and len(_WORD.findall(rest)) > 1:
            written = _sentence_case(display, rest)
        elif upper or not text[start].isupper():
            written = display + (" " + rest if rest else "")
        form = written_form(written)
        if place:
            form = written_form(form[: len(form) - len(" ".join(place.split()))])
        name, entry = registry.normalise(form)
        needs_owner = words == 0
        match = NameMatch(
            start,
            end,
            name,
            entry.kind if entry else "agency",
            entry.level if entry else None,
            place,
            rule="agency.registry" if entry else "agency.head_noun",
            registered=entry is not None,
            takes_owner=head_key in g.takes_owner or needs_owner,
            needs_owner=needs_owner and entry is None,
        )
        out.append((start, end, [match]))
    return out


def _next_word(folded: str, pos: int) -> int:
    hit = _WORD.search(folded, pos, pos + 40)
    return hit.start() if hit else len(folded)


# --------------------------------------------------------------------------- groups


_ASSIGNED = re.compile(r"(?:phối hợp với|phối hợp|đề nghị|yêu cầu)\s+$")


def group_candidates(text: str, folded: str) -> list[Candidate]:
    """Group expressions, whole: "các bộ, ngành và địa phương liên quan" (rule ``agency.group``)."""
    g = _grammar()
    possessive_forms = set(grammar_data()["groups"]["possessive_members"])
    compounds = {form.lower() for form in grammar_data()["groups"]["compound_members"]}
    out: list[Candidate] = []
    for m in g.member_start_re.finditer(folded):
        members = [(m.start("member"), m.end(), g.member_info[registry.text_key(m["member"])])]
        pos = m.end()
        while (sep := g.group_sep_re.match(folded, pos)) and (nxt := g.member_re.match(folded, sep.end())):
            following = g.member_info[registry.text_key(nxt.group())]
            if not sep.group().strip() and not (
                members[-1][2]["form"].lower() in compounds and following["form"].lower() in compounds
            ):
                break  # "cơ quan báo chí" is one kind of body; only "sở ngành", "Bộ ngành" … join without a comma
            members.append((nxt.start(), nxt.end(), following))
            pos = nxt.end()
        qualifiers: list[str] = []
        end = pos
        while len(qualifiers) < 3 and (q := g.group_qual_re.match(folded, end)):
            if g.link_re.match(folded, q.start()) and _capitalised(text, _next_word(folded, q.end())):
                break  # "các tổ chức đảng trực thuộc Đảng ủy ...": the owner follows, linked below
            written = " ".join(text[q.start() : q.end()].split())
            qualifiers.append(written if written[:1].isupper() or "Sở" in written else written.lower())
            end = q.end()
        if m["det"] is None and len(members) < 2 and not _ASSIGNED.search(folded, max(0, m.start() - 14), m.start()):
            continue  # a lone member noun is a body only where work is given to it ("phối hợp với địa phương")
        before = text[: m.start()].rstrip(" ")
        if m["det"] is None and text[m.start()].isupper() and before[-1:].isalpha():
            continue  # "Giám đốc Sở, các phòng": a capitalised noun mid-sentence is a body, not a group
        needs_owner = False
        if len(members) == 1 and not qualifiers and not members[0][2].get("alone"):
            if members[0][2]["form"] not in possessive_forms or not g.link_re.match(folded, end):
                continue
            needs_owner = True  # "các đơn vị thuộc các Bộ": a group only together with its owner
        # a member naming an organisation class of its own starts a new group, and so does the next one
        runs: list[list[tuple[int, int, dict]]] = [[]]
        for member in members:
            if runs[-1] and (member[2].get("separate") or runs[-1][-1][2].get("separate")):
                runs.append([])
            runs[-1].append(member)
        matches: list[NameMatch] = []
        for i, run in enumerate(runs):
            last = i == len(runs) - 1
            forms = list(dict.fromkeys(member[2]["form"] for member in run))
            name = "các " + ", ".join(forms) + ("".join(" " + q for q in qualifiers) if last else "")
            entry = registry.group_entry(name)
            matches.append(
                NameMatch(
                    m.start() if i == 0 else run[0][0],
                    end if last else run[-1][1],
                    entry.name if entry else name,
                    "group",
                    entry.level if entry else "province",
                    possessive=all(member[2]["form"] in possessive_forms for member in run),
                    rule="agency.group",
                    registered=entry is not None,
                    needs_owner=needs_owner,
                )
            )
        out.append((m.start(), end, matches))
    return out


def people_candidates(text: str, folded: str) -> list[Candidate]:
    """People's Councils and Committees below the province, and their groups (rule ``agency.people_body``)."""
    g = _grammar()
    localities = grammar_data()["people_bodies"]["localities"]
    out: list[Candidate] = []
    for m in g.people_named_re.finditer(folded):
        head = g.people_heads[registry.text_key(m.group("head"))]
        loc = g.localities[registry.text_key(m.group("loc"))]
        end = m.end("loc")
        for w in _WORD.finditer(m.group("name")):
            start = m.start("name") + w.start()
            if not _capitalised(text, start):
                break
            end = m.start("name") + w.end()
        place = " ".join(text[m.end("loc") : end].split())
        name = f"{head} {loc}" + (f" {place}" if place else "")
        match = NameMatch(m.start(), end, name, "agency", localities[loc], rule="agency.people_body", registered=False)
        out.append((m.start(), end, [match]))
    for m in g.people_group_re.finditer(folded):
        head = g.people_heads[registry.text_key(m.group("head"))]
        locs = [g.localities[registry.text_key(x.group())] for x in g.people_loc_re.finditer(m.group("locs"))]
        if m.group("det") is None and len(locs) < 2:
            continue  # "Ủy ban nhân dân tỉnh" is one body; "Ủy ban nhân dân tỉnh, thành phố …" is the group
        qual = " " + " ".join(m.group("qual").split()) if m.group("qual") else ""
        name = f"{head} {m.group('det') or 'các'} {', '.join(locs)}{qual}"
        entry = registry.group_entry(name)
        level = entry.level if entry else localities[locs[0]]
        match = NameMatch(
            m.start(),
            m.end(),
            entry.name if entry else name,
            "group",
            level,
            rule="agency.group",
            registered=entry is not None,
        )
        out.append((m.start(), m.end(), [match]))
    return out


# --------------------------------------------------------------------------- links between mentions

_BRACKET = re.compile(r"\s*\(\s*")
_CLOSING = re.compile(r"\s*\)")


def _with(m: NameMatch, **changes: object) -> NameMatch:
    fields = {**m.__dict__, **changes}
    return NameMatch(**fields)  # type: ignore[arg-type]


def link_mentions(text: str, matches: list[NameMatch]) -> list[NameMatch]:
    """Mentions that name one body together become one mention.

    Right to left, so chains resolve ("Ban Xây dựng Đảng" + "Đảng ủy" +
    "Ủy ban nhân dân tỉnh"): a unit directly followed by an owner body; a
    group + "thuộc/trực thuộc/của" + its owner; a placeholder + a bracketed
    body ("Cơ quan thường trực BCĐ (SKH&ĐT)"); an office title + a body
    ("Chủ tịch Ủy ban nhân dân cấp xã").  A bare head noun that found no owner
    is dropped.
    """
    g = _grammar()
    folded = matching_form(text)
    out: list[NameMatch] = []
    for m in reversed(matches):
        nxt = out[-1] if out else None
        if nxt is not None:
            gap = text[m.end : nxt.start]
            if m.takes_owner and gap.strip() == "" and "\n" not in gap and g.owner_re.match(folded, nxt.start):
                out[-1] = _with(
                    nxt,
                    start=m.start,
                    name=f"{m.name} {nxt.name}",
                    kind=m.kind,
                    rule=m.rule,
                    registered=False,
                    takes_owner=m.takes_owner,
                    needs_owner=False,
                )
                continue
            link = g.link_re.match(folded, m.end)
            if m.kind == "group" and link and link.end() == nxt.start:
                word = " ".join(text[link.start() : link.end()].split())
                out[-1] = _with(
                    m,
                    end=nxt.end,
                    name=f"{m.name} {word} {nxt.name}",
                    needs_owner=False,
                    registered=False,
                    place=nxt.place,
                )
                continue
            opening = _BRACKET.match(text, m.end)
            if m.refers_to_bracket and opening and opening.end() == nxt.start and (c := _CLOSING.match(text, nxt.end)):
                out[-1] = _with(nxt, start=m.start, end=c.end())
                continue
        if m.needs_owner:
            continue
        out.append(m)
    out.reverse()
    return [_titled(text, folded, g, m) for m in out]


def _titled(text: str, folded: str, g: _Grammar, m: NameMatch) -> NameMatch:
    """An office title written right before a body: the office holder (rule ``agency.office_holder``)."""
    if m.kind == "person":
        return m
    title = g.title_re.search(folded, max(0, m.start - 24), m.start)
    if title is None:
        return m
    # the holder acts for the body: "Thủ trưởng các sở, ban, ngành" is named "các sở, ban, ngành" (GUIDELINES),
    # the title stays in the mention's text and span
    return _with(m, start=title.start(), rule="agency.office_holder")
