"""Legal documents a plan cites ("Nghị quyết số 148/NQ-CP ngày 11/11/2022 của Chính phủ").

A Vietnamese document number has a recognisable shape whatever the issuer:
``<number>[/<year>]/<type code>-<issuer code>`` for state bodies (148/NQ-CP,
37/2019/NĐ-CP) and ``<number>-<type code>/<issuer code>`` for Party bodies
(06-NQ/TW, 661-QĐ/TU).  Citations are found by that shape, with or without
the document type and "số" before it, so a list such as "các Nghị định số
37/2019/NĐ-CP …, 58/2023/NĐ-CP" yields every number.  Issuer codes may end in
digits (the legislature: 21/2017/QH14).  A letter an enterprise wrote
("Công ty X tại Văn bản số 12/CV-LH") has the same shape but is not a legal
document, so it is not a reference (resources/citation_rules.json).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from kehoach.extractors.dates import parse_date
from kehoach.extractors.resources import load_json
from kehoach.models.document import ParsedDocument, PartialDate, Reference


@lru_cache(maxsize=1)
def rules() -> dict[str, Any]:
    """The citation rule table, read once per process."""
    return load_json("citation_rules.json")


DOC_TYPES: tuple[str, ...] = tuple(sorted(rules()["doc_types"], key=len, reverse=True))
_TYPE_RE = "|".join(re.escape(t) for t in DOC_TYPES)
_CODE = r"[A-ZĐ][A-Za-zĐđ]{0,9}"
_LEGISLATURE = r"[A-ZĐ]{1,8}\d{1,2}"
"""The code of a law or ordinance: the body and its term (QH14, UBTVQH15), printed after the year alone."""
_NUMBER = (
    rf"(?P<num>\d{{1,5}}(?:\.\d{{1,3}})?"
    rf"(?:\s*/\s*(?:19|20)\d\d\s*/\s*{_LEGISLATURE}"
    rf"|(?:\s*/\s*(?:19|20)\d\d)?"
    rf"(?:\s*/\s*{_CODE}(?:\s*-\s*{_CODE})+|\s*-\s*{_CODE}\s*/\s*{_CODE}(?:\s*-\s*{_CODE})?)))"
)
CITATION = re.compile(
    rf"(?:(?P<type>{_TYPE_RE})\s+(?:số\s*:?\s*)?)?{_NUMBER}(?![\w/-])"
    rf"(?:\s*,?\s*ngày\s+(?P<date>\d{{1,2}}\s*/\s*\d{{1,2}}\s*/\s*\d{{4}}|\d{{1,2}}\s+tháng\s+\d{{1,2}}\s+năm\s+\d{{4}}))?"
    rf"(?:\s+của\s+(?P<issuer>(?:Ban Thường vụ |Ban Chấp hành )?[A-ZĐ][^,;.()]{{2,60}}?)"
    rf"(?=\s+(?:và\s+)?(?:{_TYPE_RE})\b"
    rf"|\s+(?:về|phê duyệt|ban hành|quy định|hướng dẫn|thực hiện|triển khai|V/v)\b|[,;.()]|$))?",
    re.IGNORECASE,
)


def _date(text: str | None) -> PartialDate | None:
    return parse_date(f"ngày {text}") if text else None


def normalize_number(raw: str) -> str:
    """Number as printed minus the spaces PDF extraction inserts ("06- NQ/TW" → "06-NQ/TW")."""
    return re.sub(r"\s+", "", raw)


def _display_type(raw: str | None) -> str | None:
    if not raw:
        return None
    for doc_type in DOC_TYPES:
        if doc_type.lower() == raw.lower():
            return doc_type
    return raw


def _words_re(words: list[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


@lru_cache(maxsize=1)
def _enterprise() -> re.Pattern[str]:
    return _words_re(rules()["enterprise_words"])


def is_business_letter(text: str, match: re.Match[str]) -> bool:
    """True when the citation is a letter an enterprise wrote, not a legal document.

    The author of such a letter is named before it in the same clause
    ("Công ty TNHH X tại Văn bản số 12/CV-LH"; a clause ends at ; : . or a
    line break) or after it ("Văn bản số 12/CV-LH của Công ty X").  Only
    types an enterprise can issue count: a Quyết định cited in a clause
    about a company ("Công ty X được cấp phép tại Quyết định số …") is still
    a state decision.
    """
    issuer = match.group("issuer") or ""
    if issuer and _enterprise().match(issuer):
        return True
    doc_type = match.group("type")
    letter_types = {t.lower() for t in rules()["letter_types"]}
    if doc_type is not None and doc_type.lower() not in letter_types:
        return False
    before = text[max(0, match.start() - 200) : match.start()]
    clause = re.split(r"[;:.\n]", before)[-1]
    return bool(_enterprise().search(clause))


def find_references(text: str, offset: int = 0, own_number: str | None = None) -> list[Reference]:
    """Every cited document in ``text``; the first mention of a number carries its details."""
    found: dict[str, Reference] = {}
    own = normalize_number(own_number).upper() if own_number else None
    for match in CITATION.finditer(text):
        number = normalize_number(match.group("num"))
        key = number.upper()
        if key == own:
            continue
        # "Số: 122/KH-UBND" in the header is the document's own number, not a citation
        before = text[max(0, match.start() - 6) : match.start()]
        if match.group("type") is None and re.search(r"Số\s*:?\s*$", before):
            continue
        if is_business_letter(text, match):
            continue
        issuer = re.sub(r"\s+", " ", match.group("issuer") or "").strip() or None
        reference = Reference(
            text=match.group(0),
            span=(offset + match.start(), offset + match.end()),
            doc_type=_display_type(match.group("type")),
            number=number,
            date=_date(match.group("date")),
            issuer=issuer,
        )
        previous = found.get(key)
        if previous is None:
            found[key] = reference
        else:
            # a later mention may be better typeset than the first (an upper-case title)
            better_issuer = reference.issuer and (not previous.issuer or previous.issuer.isupper())
            found[key] = previous.model_copy(
                update={
                    "number": reference.number if previous.number == key and number != key else previous.number,
                    "date": previous.date or reference.date,
                    "doc_type": previous.doc_type or reference.doc_type,
                    "issuer": reference.issuer if better_issuer else previous.issuer,
                }
            )
    return list(found.values())


def citation_spans(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """Spans of every citation, repeats included: dates inside them are not task dates."""
    return [(offset + m.start(), offset + m.end()) for m in CITATION.finditer(text)]


def extract_references(parsed: ParsedDocument, own_number: str | None = None) -> list[Reference]:
    return find_references(parsed.content, 0, own_number)
