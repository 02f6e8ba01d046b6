"""When a document was issued, and its number when the header leaves it out.

The dateline ("Lạng Sơn, ngày 27 tháng 5 năm 2023") sits opposite the number.
A draft leaves the day or month blank ("ngày   tháng 01 năm 2026",
"ngày / tháng 6 năm 2026"), and a crawled text may have lost the header
entirely.  The document still dates itself elsewhere, in three standard
places, each read only to fill in what the dateline does not give:

- the caption of its own appendix: "(Kèm theo Kế hoạch số   /KH-UBND ngày /01/2026
  của …)", "(Ban hành kèm theo Nghị quyết số 08/NQ-HĐND ngày 14 tháng 7 năm 2017)";
- the adoption line of a resolution or law: "Nghị quyết này đã được Hội đồng
  nhân dân tỉnh … kỳ họp thứ 4 thông qua ngày 14 tháng 7 năm 2017";
- the digital-signature stamp: "Thời gian ký: 19/06/2026 14:18:57".

The words of each are in resources/document_header.json ("self_dating").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kehoach.extractors.signature import vocabulary
from kehoach.models.document import PartialDate

_BLANK = r"(?:\s|\.{2,}|…|_)*"
DATELINE = re.compile(
    rf"(?:(?P<place>[A-ZĐÀ-Ỹ][^\n,|:;]{{1,40}}?)\s*,\s*)?ngày{_BLANK}(?P<d>\d{{1,2}})?{_BLANK}/?{_BLANK}tháng{_BLANK}"
    rf"(?P<m>\d{{1,2}})?{_BLANK}/?{_BLANK}năm\s*(?P<y>(?:19|20)\d\d)",
    re.IGNORECASE,
)
_NUMERIC = r"(?P<d>\d{1,2})?\s*/\s*(?P<m>\d{1,2})?\s*/\s*(?P<y>(?:19|20)\d\d)"
_WORDS = r"(?P<d2>\d{1,2})?\s*tháng\s*(?P<m2>\d{1,2})?\s*năm\s*(?P<y2>(?:19|20)\d\d)"


def _partial(year: str | None, month: str | None, day: str | None) -> PartialDate | None:
    if not year:
        return None
    m = int(month) if month and 1 <= int(month) <= 12 else None
    d = int(day) if m and day and 1 <= int(day) <= 31 else None
    return PartialDate(year=int(year), month=m, day=d)


def _from_match(match: re.Match[str]) -> PartialDate | None:
    groups = match.groupdict()
    if groups.get("y"):
        return _partial(groups["y"], groups.get("m"), groups.get("d"))
    return _partial(groups.get("y2"), groups.get("m2"), groups.get("d2"))


def dateline_date(match: re.Match[str]) -> PartialDate | None:
    """The date of a DATELINE match, blanks left blank."""
    return _from_match(match)


def consistent(coarse: PartialDate | None, fine: PartialDate | None) -> bool:
    """True when ``fine`` says at least what ``coarse`` says and agrees with it."""
    if fine is None:
        return False
    if coarse is None:
        return True
    return (
        fine.year == coarse.year
        and (coarse.month is None or fine.month == coarse.month)
        and (coarse.day is None or fine.day == coarse.day)
    )


def more_precise(current: PartialDate | None, other: PartialDate | None) -> PartialDate | None:
    """``other`` where it refines ``current`` (same year, more of the day and month), else ``current``."""
    rank = {"year": 0, "month": 1, "day": 2}
    if other is None or not consistent(current, other):
        return current
    if current is None or rank[other.precision] > rank[current.precision]:
        return other
    return current


@dataclass(frozen=True)
class Caption:
    """An appendix caption naming the document itself."""

    number: str | None
    symbol: str
    date: PartialDate | None


def own_caption(content: str, doc_type: str | None, symbol: str | None) -> Caption | None:
    """The first appendix caption that cites a document of this type (and symbol, when the header has one)."""
    if not doc_type:
        return None
    leads = "|".join(re.escape(w) for w in vocabulary()["self_dating"]["appendix_captions"])
    pattern = re.compile(
        rf"\(\s*(?:{leads})\s+{re.escape(doc_type)}\s+số\s*(?P<num>\d[\d.]*)?\s*"
        rf"(?P<sym>(?:/\s*(?:19|20)\d\d\s*)?/\s*[A-ZĐ][\wĐđ&-]*)\s*,?\s*ngày\s*(?:{_NUMERIC}|{_WORDS})",
        re.IGNORECASE,
    )
    for match in pattern.finditer(content):
        sym = re.sub(r"\s+", "", match.group("sym"))
        bare = re.sub(r"^/(?:(?:19|20)\d\d/)?", "", sym)
        if symbol and bare.upper() != symbol.upper():
            continue
        number = f"{match.group('num')}{sym}" if match.group("num") else None
        return Caption(number=number, symbol=bare, date=_from_match(match))
    return None


def adoption_date(content: str) -> PartialDate | None:
    """ "Nghị quyết này đã được … thông qua ngày 14 tháng 7 năm 2017": the day a resolution or law was adopted."""
    words = vocabulary()["self_dating"]
    acts = "|".join(re.escape(w) for w in words["adopted_acts"])
    match = re.search(
        rf"(?:{acts})\s+này\b[^.;]{{0,300}}?{re.escape(words['adopted'])}\s+ngày\s*(?:{_NUMERIC}|{_WORDS})",
        content,
        re.IGNORECASE,
    )
    return _from_match(match) if match else None


def stamp_date(content: str) -> PartialDate | None:
    """The day in a digital-signature stamp ("Thời gian ký: 19/06/2026 14:18:57")."""
    stamps = "|".join(re.escape(w) for w in vocabulary()["self_dating"]["signature_stamps"])
    match = re.search(rf"(?:{stamps})\s*:?\s*{_NUMERIC}", content, re.IGNORECASE)
    return _from_match(match) if match else None
