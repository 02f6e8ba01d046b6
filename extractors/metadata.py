"""Document metadata from the header and signature blocks.

Vietnamese administrative documents follow one layout (Nghị định
30/2020/NĐ-CP): issuer (with its parent body above it) opposite the national
motto, the number ("Số: 122/KH-UBND") opposite place and date, then the type
line ("KẾ HOẠCH") and the title (trích yếu); at the end "Nơi nhận" opposite
the signature (TM./KT. lines, the title, the signer's name).  Readers give
these blocks in different shapes (one line per block in text, merged table
cells in DOCX, two columns in PDF), so everything here works on the header
*text* with patterns, not on line positions.

Documents without that header (a news article about a plan) get the
doc_type "Tin bài", the headline as title and the byline as signer.
"""

from __future__ import annotations

import re

from kehoach.extractors.issue_date import DATELINE, adoption_date, dateline_date, more_precise, own_caption, stamp_date
from kehoach.extractors.signature import find_recipients, find_signer, is_personal_name, is_upper, vocabulary
from kehoach.models.document import DocumentMeta, ParsedDocument, PartialDate

HEADER_BLOCKS = 30
"""The header never runs past this many blocks; searching further finds body text."""


_OCR_DIGIT = "OoØøDIlZzSB"
"""Letters Tesseract reads for digits (0 O Ø D, 1 I l, 2 Z, 5 S, 8 B): a number printed so is kept as printed."""
_NUMBER = re.compile(
    rf"\bSố\s*:?\s*(?P<num>[{_OCR_DIGIT}]{{0,2}}\d[\d.{_OCR_DIGIT}]*)?\s*\*?\s*"
    r"(?P<sym>(?:/\s*(?:19|20)\d\d\s*)?[/-]\s*[A-ZĐ][A-Za-zĐđ&]*(?:\s*[-/]\s*[A-ZĐ][A-Za-zĐđ&0-9]*)*)"
)
_NAME = r"[^\W\d_]+(?: [^\W\d_]+){1,4}"
_PLACE_WORDS = ("tỉnh", "huyện", "thành phố", "thị xã", "xã", "phường", "thị trấn", "quận")


def display_case(upper: str) -> str:
    """Turn an upper-case header line into the way the name is written in running text.

    Words with digits (document numbers) keep their case; place names after an
    administrative unit word and the proper nouns listed in the vocabulary get
    their capitals back.
    """
    words = re.sub(r"\s+", " ", upper).strip().split(" ")
    text = " ".join(w if re.search(r"\d", w) else w.lower() for w in words)
    if not text:
        return text
    text = text[0].upper() + text[1:]
    units = "|".join(_PLACE_WORDS + ("tỉnh ủy", "thành ủy", "huyện ủy"))
    text = re.sub(
        rf"\b(?i:({units})) ((?:[^\W\d_]+ ?)+?)(?=$|[,;.()]| (?:về|và|của|đến|thời kỳ|giai đoạn|năm)\b)",
        lambda m: m.group(1) + " " + " ".join(w.capitalize() for w in m.group(2).split()),
        text,
    )
    for fixed in vocabulary()["proper_nouns"]:
        text = re.sub(rf"(?<!\w){re.escape(fixed)}(?!\w)", fixed, text, flags=re.IGNORECASE)
    return text[0].upper() + text[1:]


def _header_lines(parsed: ParsedDocument) -> list[str]:
    """Header text split into lines: table cells and blocks each give one or more lines."""
    lines: list[str] = []
    for block in parsed.blocks[:HEADER_BLOCKS]:
        if block.cells:
            lines.extend(parsed.text_of(cell.span) for cell in block.cells)
        else:
            lines.append(parsed.text_of(block.span))
    return [line for line in lines if line.strip()]


def _is_motto(line: str) -> bool:
    upper = line.upper()
    return any(m in upper for m in vocabulary()["mottos"])


def _split_bodies(upper_text: str) -> list[str]:
    """Split "TỈNH ỦY LẠNG SƠN BAN CHỈ ĐẠO …" into the bodies it names, parent first."""
    heads = sorted((h.split() for h in vocabulary()["issuer_heads"]), key=len, reverse=True)
    words = upper_text.split()
    starts: list[int] = []
    last_head: list[str] = []
    position = 0
    while position < len(words):
        for head in heads:
            if [w.upper() for w in words[position : position + len(head)]] == head:
                previous = starts[-1] if starts else 0
                previous_is_bare_head = bool(starts) and position - previous == len(last_head)
                if position == 0 or (position - previous >= 2 and not previous_is_bare_head):
                    starts.append(position)
                    last_head = head
                elif not starts:
                    last_head = head
                position += len(head)
                break
        else:
            position += 1
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    bounds = [*starts, len(words)]
    return [" ".join(words[a:b]) for a, b in zip(bounds, bounds[1:], strict=False) if b > a]


def _issuer(lines: list[str]) -> tuple[str | None, str | None]:
    collected: list[str] = []
    for line in lines:
        if _NUMBER.search(line) or DATELINE.search(line) or _type_of(line):
            break
        if re.match(r"\s*(?:V/v|Kính gửi)", line):
            break
        parts = [p for p in re.split(r"\s*\|\s*", line) if p]
        for part in parts:
            part = re.sub(r"[-_–—=*]{3,}", " ", part).strip()
            # a merged line holds both columns ("BỘ X CỘNG HÒA …", "ĐẢNG BỘ TỈNH X ĐẢNG CỘNG SẢN VIỆT NAM"):
            # the motto goes, the issuer column on either side of it stays
            for motto in vocabulary()["mottos"]:
                part = re.sub(re.escape(motto), " ", part, flags=re.IGNORECASE)
            part = re.sub(r"\s+", " ", part).strip(" -")
            if part and is_upper(part) and re.search(r"[A-ZĐÀ-Ỹ]{2}", part):
                collected.append(part)
    if not collected:
        return None, None
    bodies = _split_bodies(" ".join(collected))
    issuer = _body_name(bodies[-1])
    parent = _body_name(bodies[-2]) if len(bodies) > 1 else None
    return issuer, parent


def _body_name(upper: str) -> str:
    """The registry's spelling of a letterhead body ("UBND TỈNH LẠNG SƠN" → "Ủy ban nhân dân tỉnh Lạng Sơn")."""
    from kehoach.extractors.agencies import canonical_name

    canonical = canonical_name(upper)
    if not canonical:
        return display_case(upper)
    place = re.search(r"\b(?:TỈNH|THÀNH PHỐ)\s+(?!ỦY|UỶ)(?P<place>[^\d,;]+)$", upper) or re.match(
        r"^(?:TỈNH|THÀNH|HUYỆN)\s+(?:ỦY|UỶ)\s+(?P<place>[^\d,;]+)$", upper
    )
    if place and not upper.startswith(("SỞ", "BAN", "VĂN PHÒNG")):
        name = " ".join(w.capitalize() for w in place.group("place").split())
        if name.lower() not in canonical.lower():
            return f"{canonical} {name}"
    return canonical


def _type_of(line: str) -> tuple[str, str] | None:
    """(display type, rest of the line) when the line starts with a document type word."""
    stripped = line.strip().strip("*").strip()
    for word, display in sorted(vocabulary()["doc_types"].items(), key=lambda kv: -len(kv[0])):
        if stripped.startswith(word) and (len(stripped) == len(word) or not stripped[len(word)].isalpha()):
            rest = stripped[len(word) :].strip(" :*")
            if rest and not is_upper(rest.split()[0]) and len(rest.split()) > 40:
                return None
            return display, rest
    return None


def _is_body_start(line: str) -> bool:
    return any(line.startswith(s) for s in vocabulary()["body_starts"]) or bool(
        re.match(r"^\s*(?:[IVX]+\s*[.\-–]|\d+\.)\s", line)
    )


def split_enacting_formula(upper: str) -> tuple[str, str | None]:
    """("title", "enacting formula") when an upper-case title ends with the authority line under it.

    "… TẦM NHÌN ĐẾN NĂM 2050 BỘ TRƯỞNG BỘ XÂY DỰNG" and "… GIAI ĐOẠN 2011 - 2016 HỘI ĐỒNG NHÂN DÂN TỈNH
    THỪA THIÊN HUẾ KHÓA VII, KỲ HỌP THỨ 4": the formula is a body name (with a council's term and session)
    that closes the text and is not the object of a preposition ("… CỦA CHÍNH PHỦ" stays in the title).
    """
    rules = vocabulary()["enacting_formula"]
    heads = "|".join(re.escape(h) for h in sorted(rules["heads"], key=len, reverse=True))
    pattern = re.compile(
        rf"(?:^|\s)(?P<f>(?:{heads})(?:\s+[^\s,]+){{0,{rules['max_name_words']}}}?\s*(?:{rules['term']})?)\s*[.:]?$"
    )
    text = re.sub(r"\s+", " ", upper).strip()
    for match in pattern.finditer(text):
        before = text[: match.start("f")].split()
        if len(before) < 3 or before[-1] in rules["not_after"]:
            continue
        return " ".join(before), match.group("f")
    return text, None


def _formula_body(formula: str) -> str:
    """The body an enacting formula names: "BỘ TRƯỞNG BỘ XÂY DỰNG" → "BỘ XÂY DỰNG", the term dropped."""
    rules = vocabulary()["enacting_formula"]
    body = re.sub(rf"\s*(?:{rules['term']})\s*$", "", formula).strip(" ,-–")
    for official in rules["official_titles"]:
        if body.startswith(official + " ") and body != "THỦ TƯỚNG CHÍNH PHỦ":
            body = body[len(official) + 1 :]
    return body


def _title(lines: list[str]) -> tuple[str | None, str | None, str | None]:
    """(doc_type, title, enacting formula) from the lines after the type line."""
    for index, line in enumerate(lines):
        found = _type_of(line)
        if not found:
            continue
        doc_type, rest = found
        parts: list[str] = [rest] if rest else []
        for position, following in enumerate(lines[index + 1 : index + 8]):
            first_title_line = position == 0 and not parts and len(following.split()) <= 40
            if (
                not first_title_line
                and _is_body_start(following)
                or following.startswith("(")
                or re.match(r"^[-_–—=*]{3,}$", following)
            ):
                break
            parts.append(following)
            if following.rstrip().endswith((".", ":")) or len(" ".join(parts).split()) > 80:
                break
        title = " ".join(parts)
        formula = None
        # an upper-case title joined to the first body sentence: cut at the case change
        words = title.split()
        if words and is_upper(words[0]):
            upper_run = []
            for word in words:
                if not is_upper(word):
                    break
                upper_run.append(word)
            run, formula = split_enacting_formula(" ".join(upper_run))
            title = display_case(run)
        else:
            for start in vocabulary()["body_starts"]:
                cut = title.find(" " + start.strip() + " ")
                if cut > 20:
                    title = title[:cut]
        return doc_type, title.strip(" .:") or None, formula
    return None, None, None


def _news(parsed: ParsedDocument) -> DocumentMeta:
    lines = [parsed.text_of(b.span) for b in parsed.blocks]
    markers = vocabulary()["news_markers"]
    end = next((i for i, line in enumerate(lines) if any(line.startswith(m) for m in markers)), len(lines))
    byline = None
    for line in reversed(lines[:end]):
        if is_personal_name(line.strip()):
            byline = line.strip()
            break
        if len(line.split()) > 6:
            break
    title = lines[0].strip() if lines else None
    return DocumentMeta(doc_type="Tin bài", title=title, signer=byline)


_DECLARATION = re.compile(
    r"(?P<verb>ban hành|xây dựng)\s+(?P<type>Kế hoạch|Chương trình hành động|Chương trình|Đề án)\s+"
    r"(?P<title>[^.;:]{5,300}?)\s*(?:\(sau đây[^)]*\)\s*)?,?\s*(?:với những|với các|gồm|như sau|cụ thể|sau đây)",
    re.IGNORECASE,
)


def _declaration(parsed: ParsedDocument) -> DocumentMeta | None:
    """A plan whose letterhead was removed still says who issues it: "Sở X ban hành Kế hoạch … như sau"."""
    from kehoach.extractors.agencies import find_mentions

    head = parsed.content[:3000]
    match = _DECLARATION.search(head)
    if not match:
        return None
    before = [m for m in find_mentions(head[: match.start()]) if match.start() - m.span[1] <= 2]
    doc_type = match.group("type")
    doc_type = doc_type[0].upper() + doc_type[1:].lower()
    title = match.group("title").strip()
    province = province_in(title)
    issuer = before[-1].name if before else None
    if issuer and province and issuer.startswith(("Sở ", "Ban ")):
        issuer = f"{issuer} tỉnh {province}"
    return DocumentMeta(
        doc_type=doc_type,
        issuer=issuer,
        province=province,
        title=title[0].upper() + title[1:],
    )


def province_in(text: str | None) -> str | None:
    """The name after "tỉnh" ("… tỉnh Đắk Nông đến năm 2025" → "Đắk Nông"): capitalised words only."""
    match = re.search(r"\btỉnh\s+(.*)", text or "")
    if not match:
        return None
    words = []
    for word in match.group(1).split():
        word = word.strip(",.;:()")
        if not word or not word[0].isupper() or not word.isalpha():
            break
        words.append(word)
    return " ".join(words) or None


def _symbol_issuer(symbol: str | None) -> str | None:
    if not symbol:
        return None
    code = re.split(r"[-/]", symbol)[-1]
    return vocabulary()["symbol_issuers"].get(code)


def _dateline(lines: list[str]) -> re.Match[str] | None:
    """The dateline: a line of its own, or the tail of the number's line; never a date inside a sentence."""
    for line in lines:
        if _is_body_start(line):
            continue
        # "Số: 836/QĐ-BXD Hà Nội, ngày …": the number column merged into the dateline's line
        line = _NUMBER.sub(" | ", line)
        match = DATELINE.search(line)
        if not match:
            continue
        before = line[: match.start()].strip()
        if not before or before.endswith("|") or _NUMBER.search(before) or _is_motto(before):
            return match
    return None


def _self_dated(
    content: str, doc_type: str | None, symbol: str | None, number: str | None, issued: PartialDate | None
) -> tuple[str | None, PartialDate | None]:
    """Number and date completed from the document's own appendix caption, adoption line and signature stamp."""
    caption = own_caption(content, doc_type, symbol)
    if caption is not None:
        number = number or caption.number
        issued = more_precise(issued, caption.date)
    if issued is None or issued.day is None:
        issued = more_precise(issued, adoption_date(content))
    if issued is not None and issued.day is None:
        # a stamp dates the signing: trusted only where the printed dateline names the month or year
        issued = more_precise(issued, stamp_date(content))
    return number, issued


def extract_metadata(parsed: ParsedDocument) -> DocumentMeta:
    lines = _header_lines(parsed)
    header_text = "\n".join(lines)
    number_match = _NUMBER.search(header_text)
    date_match = _dateline(lines)
    doc_type, title, formula = _title(lines)
    has_motto = any(_is_motto(line) for line in lines)
    if not (number_match or doc_type or has_motto):
        declared = _declaration(parsed)
        if declared is not None:
            signer, signer_title = find_signer(parsed)
            number, issued = _self_dated(parsed.content, declared.doc_type, None, None, None)
            return declared.model_copy(
                update={
                    "number": number,
                    "issued_date": issued,
                    "signer": signer,
                    "signer_title": signer_title,
                    "recipients": find_recipients(parsed),
                }
            )
        return _news(parsed)

    number = symbol = None
    if number_match:
        sym = re.sub(r"\s+", "", number_match.group("sym"))
        year_part = re.match(r"/((?:19|20)\d\d)", sym)
        symbol = sym[year_part.end() :] if year_part else sym
        symbol = symbol.lstrip("/-")
        number = f"{number_match.group('num')}{sym}" if number_match.group("num") else None
        if doc_type is None:
            code = re.split(r"[-/]", symbol)[0]
            doc_type = vocabulary()["type_codes"].get(code)

    if doc_type in (None, "Công văn") and title is None:
        # an official letter has no type line: its subject line "V/v …" (or "về việc …" in full,
        # which Party letters print under the number) is the title
        for index, line in enumerate(lines):
            subject = re.match(r"\s*V/v\.?\s*(?P<title>.+)", line) or re.search(
                r"(?:^|(?<=\s))(?P<title>[Vv]ề việc\s.+)", line
            )
            if not subject:
                continue
            found = subject.group("title")
            parts = [found[0].upper() + found[1:]]
            for following in lines[index + 1 : index + 4]:
                if (
                    re.match(r"\s*(Kính gửi|Căn cứ|Thực hiện)", following)
                    or _is_motto(following)
                    or is_upper(following)
                ):
                    break
                if DATELINE.search(following) or _NUMBER.search(following):
                    break
                parts.append(following)
            doc_type, title = "Công văn", " ".join(parts).strip(" .")
            break

    issued = place = None
    if date_match:
        issued = dateline_date(date_match)
        place = (date_match.group("place") or "").strip(" |") or None
    number, issued = _self_dated(parsed.content, doc_type, symbol, number, issued)

    issuer, parent = _issuer(lines)
    if issuer is None and formula:
        issuer = _body_name(_formula_body(formula))
    if issuer is None:
        body = _symbol_issuer(symbol)
        if body:
            issuer = f"{body} tỉnh {place}" if place and body.startswith(("Sở", "Ủy ban", "Ban")) else body
    province = province_in(parent) or province_in(issuer)
    if issuer and re.search(r"\b(?:tỉnh|thành phố|huyện)$", issuer) and (province or place):
        # "ĐẢNG ỦY ỦY BAN NHÂN DÂN TỈNH" under "ĐẢNG BỘ TỈNH LÀO CAI": the place is named by the parent line
        issuer = f"{issuer} {province or place}"
    if issuer and province and issuer.startswith(("Sở ", "Ban ", "Văn phòng ")) and province not in issuer:
        # a provincial department is named with its province ("Sở Xây dựng tỉnh Lạng Sơn")
        issuer = f"{issuer} tỉnh {province}"
    signer, signer_title = find_signer(parsed)
    return DocumentMeta(
        doc_type=doc_type,
        number=number,
        symbol=symbol,
        issuer=issuer,
        issuer_parent=parent,
        province=province or place,
        place=place,
        issued_date=issued,
        title=title,
        signer=signer,
        signer_title=signer_title,
        recipients=find_recipients(parsed),
    )
