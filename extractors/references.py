"""Legal documents a plan cites ("Nghị quyết số 148/NQ-CP ngày 11/11/2022 của Chính phủ").

A Vietnamese document number has a recognisable shape whatever the issuer:
``<number>[/<year>]/<type code>-<issuer code>`` for state bodies (148/NQ-CP,
37/2019/NĐ-CP) and ``<number>-<type code>/<issuer code>`` for Party bodies
(06-NQ/TW, 661-QĐ/TU).  Citations are found by that shape, with or without
the document type and "số" before it, so a list such as "các Nghị định số
37/2019/NĐ-CP …, 58/2023/NĐ-CP" yields every number.
"""

from __future__ import annotations

import re

from extractors.dates import parse_date
from models.document import ParsedDocument, PartialDate, Reference

DOC_TYPES = (
    "Nghị quyết liên tịch",
    "Nghị quyết",
    "Nghị định",
    "Quyết định",
    "Chỉ thị",
    "Chương trình hành động",
    "Chương trình",
    "Kế hoạch",
    "Thông tư liên tịch",
    "Thông tư",
    "Kết luận",
    "Công văn",
    "Văn bản",
    "Thông báo",
    "Hướng dẫn",
    "Luật",
    "Pháp lệnh",
    "Hiến pháp",
    "Đề án",
)
_TYPE_RE = "|".join(re.escape(t) for t in DOC_TYPES)
_CODE = r"[A-ZĐ][A-Za-zĐđ]{0,9}"
_NUMBER = (
    rf"(?P<num>\d{{1,5}}(?:\.\d{{1,3}})?"
    rf"(?:\s*/\s*(?:19|20)\d\d)?"
    rf"(?:\s*/\s*{_CODE}(?:\s*-\s*{_CODE})+|\s*-\s*{_CODE}\s*/\s*{_CODE}(?:\s*-\s*{_CODE})?))"
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
