"""Legacy 8-bit Vietnamese *font* encodings (TCVN3/ABC and VNI) to Unicode.

Before Unicode, Vietnamese was typed in fonts whose glyphs sit in the Latin-1
slots: a ``.VnTime`` document stores "Kế hoạch" as the bytes of ``KÕ ho¹ch``,
a ``VNI-Times`` one as ``Keá hoaïch``.  Those bytes reach us either as a raw
text file or, from a DOCX, as runs whose characters are the Latin-1/cp1252
code points of the legacy bytes.  Both paths end in :func:`convert_legacy`.

* **TCVN3** (TCVN 5712:1993, the ABC fonts ``.VnTime``, ``.VnArial``…): one byte
  per precomposed letter.  The ABC fonts (VN3) have no upper-case toned letters;
  headings are typed in lower-case bytes and drawn upper-case by the ``…H`` fonts
  (``.VnTimeH``).  The full standard (VN1) also places upper-case toned letters
  in unused Latin-1 slots and in 0x80–0x9F / 0x01–0x17; we accept those too,
  but the C0/C1 ones only between letters, because the same bytes are cp1252
  quotes and dashes (or line breaks) in ordinary text.
* **VNI** (``VNI-Times``): a base letter followed by one mark character (tone,
  or shape + tone), plus a few letters that are one character (đ ơ ư ĩ ỉ ị ỵ).

Tables follow the published charts: glibc iconv's ``TCVN5712-1`` for TCVN3 and
the VNI Windows chart (as in e.g. duydev/vietnamese-conversion); tests check
them against iconv and against viparse's tables.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from functools import cache
from typing import Literal

from kehoach.pipeline.ingest.syllables import is_vietnamese_syllable

Scheme = Literal["tcvn3", "vni"]
SCHEMES: tuple[Scheme, ...] = ("tcvn3", "vni")

# --------------------------------------------------------------------------- TCVN3

# byte -> letter for the ABC (VN3) range, 0xA1-0xFE: the part every .Vn font has.
_TCVN3_VN3 = {
    0xA1: "Ă", 0xA2: "Â", 0xA3: "Ê", 0xA4: "Ô", 0xA5: "Ơ", 0xA6: "Ư", 0xA7: "Đ",
    0xA8: "ă", 0xA9: "â", 0xAA: "ê", 0xAB: "ô", 0xAC: "ơ", 0xAD: "ư", 0xAE: "đ",
    0xB5: "à", 0xB6: "ả", 0xB7: "ã", 0xB8: "á", 0xB9: "ạ",
    0xBB: "ằ", 0xBC: "ẳ", 0xBD: "ẵ", 0xBE: "ắ", 0xC6: "ặ",
    0xC7: "ầ", 0xC8: "ẩ", 0xC9: "ẫ", 0xCA: "ấ", 0xCB: "ậ",
    0xCC: "è", 0xCE: "ẻ", 0xCF: "ẽ", 0xD0: "é", 0xD1: "ẹ",
    0xD2: "ề", 0xD3: "ể", 0xD4: "ễ", 0xD5: "ế", 0xD6: "ệ",
    0xD7: "ì", 0xD8: "ỉ", 0xDC: "ĩ", 0xDD: "í", 0xDE: "ị",
    0xDF: "ò", 0xE1: "ỏ", 0xE2: "õ", 0xE3: "ó", 0xE4: "ọ",
    0xE5: "ồ", 0xE6: "ổ", 0xE7: "ỗ", 0xE8: "ố", 0xE9: "ộ",
    0xEA: "ờ", 0xEB: "ở", 0xEC: "ỡ", 0xED: "ớ", 0xEE: "ợ",
    0xEF: "ù", 0xF1: "ủ", 0xF2: "ũ", 0xF3: "ú", 0xF4: "ụ",
    0xF5: "ừ", 0xF6: "ử", 0xF7: "ữ", 0xF8: "ứ", 0xF9: "ự",
    0xFA: "ỳ", 0xFB: "ỷ", 0xFC: "ỹ", 0xFD: "ý", 0xFE: "ỵ",
    # combining tone marks (VN1 lets a base letter be followed by one)
    0xB0: "\u0300", 0xB1: "\u0309", 0xB2: "\u0303", 0xB3: "\u0301", 0xB4: "\u0323",
}  # fmt: skip

# VN1 upper-case toned letters in slots VN3 leaves to Latin-1 look-alikes.
_TCVN3_VN1_HIGH = {
    0xAF: "Ằ", 0xBA: "Ẳ", 0xBF: "Ẵ", 0xC0: "Ắ", 0xC1: "Ầ", 0xC2: "Ẩ", 0xC3: "Ẫ", 0xC4: "Ấ",
    0xC5: "Ề", 0xCD: "Ể", 0xD9: "Ễ", 0xDA: "Ế", 0xDB: "Ồ", 0xE0: "Ổ", 0xF0: "Ỗ", 0xFF: "Ố",
}  # fmt: skip

# VN1 upper-case toned letters in the C0/C1 control ranges: letters only inside words.
_TCVN3_VN1_CONTROL = {
    0x01: "Ú", 0x02: "Ụ", 0x04: "Ừ", 0x05: "Ử", 0x06: "Ữ", 0x11: "Ứ", 0x12: "Ự", 0x13: "Ỳ",
    0x14: "Ỷ", 0x15: "Ỹ", 0x16: "Ý", 0x17: "Ỵ",
    0x80: "À", 0x81: "Ả", 0x82: "Ã", 0x83: "Á", 0x84: "Ạ", 0x85: "Ặ", 0x86: "Ậ", 0x87: "È",
    0x88: "Ẻ", 0x89: "Ẽ", 0x8A: "É", 0x8B: "Ẹ", 0x8C: "Ệ", 0x8D: "Ì", 0x8E: "Ỉ", 0x8F: "Ĩ",
    0x90: "Í", 0x91: "Ị", 0x92: "Ò", 0x93: "Ỏ", 0x94: "Õ", 0x95: "Ó", 0x96: "Ọ", 0x97: "Ộ",
    0x98: "Ờ", 0x99: "Ở", 0x9A: "Ỡ", 0x9B: "Ớ", 0x9C: "Ợ", 0x9D: "Ù", 0x9E: "Ủ", 0x9F: "Ũ",
}  # fmt: skip


def _surface_chars(byte: int) -> set[str]:
    """The characters a legacy byte can arrive as: its Latin-1 code point and its cp1252 one."""
    chars = {chr(byte)}
    with contextlib.suppress(UnicodeDecodeError):  # 0x81, 0x8D, 0x8F, 0x90, 0x9D are unassigned in cp1252
        chars.add(bytes([byte]).decode("cp1252"))
    return chars


@cache
def _tcvn3_tables() -> tuple[dict[int, str], dict[str, str], dict[str, str], re.Pattern[str]]:
    plain = _TCVN3_VN3 | _TCVN3_VN1_HIGH  # Latin-1 code point == byte for 0xA0-0xFF
    as_letter: dict[str, str] = {}
    as_cp1252: dict[str, str] = {}
    for byte, letter in _TCVN3_VN1_CONTROL.items():
        for char in _surface_chars(byte):
            as_letter[char] = letter
        if byte >= 0x80:
            as_cp1252[chr(byte)] = max(_surface_chars(byte), key=ord)  # the cp1252 form when it has one
    controls = re.escape("".join(as_letter))
    token = re.compile(f"(?:[^\\W\\d_]|[{controls}])*[{controls}](?:[^\\W\\d_]|[{controls}])*")
    return plain, as_letter, as_cp1252, token


_PUNCTUATION_SLOTS = frozenset(char for byte in (0x85, *range(0x91, 0x98)) for char in _surface_chars(byte))


def _convert_tcvn3(text: str) -> str:
    plain, as_letter, as_cp1252, token = _tcvn3_tables()
    text = text.translate(plain)

    def resolve(match: re.Match[str]) -> str:
        # VN1 capitals share bytes with cp1252 quotes and dashes ("Ủy" vs "“K"):
        # a letter only if the word it makes is a Vietnamese syllable; a lone one
        # ("Ở đây", "Ý kiến") only before a lower-case word and never in the
        # slots cp1252 gives to dashes, quotes, bullets and the ellipsis
        word = match.group()
        lettered = "".join(as_letter.get(c, c) for c in word)
        if len(word) == 1:
            after = match.string[match.end() : match.end() + 2]
            lone_letter = word not in _PUNCTUATION_SLOTS and len(after) == 2 and after[0] == " " and after[1].islower()
            if lone_letter:
                return lettered
        elif is_vietnamese_syllable(lettered):
            return lettered
        return "".join(as_cp1252.get(c, c) for c in word)

    return token.sub(resolve, text)


# --------------------------------------------------------------------------- VNI

_TONE = {"acute": "\u0301", "grave": "\u0300", "hook": "\u0309", "tilde": "\u0303", "dot": "\u0323"}
_SHAPE = {"circumflex": "\u0302", "breve": "\u0306"}

# mark character (lower-case form) -> (shape, tone)
_VNI_MARKS: dict[str, tuple[str | None, str | None]] = {
    "ù": (None, "acute"), "ø": (None, "grave"), "û": (None, "hook"), "õ": (None, "tilde"), "ï": (None, "dot"),
    "â": ("circumflex", None), "á": ("circumflex", "acute"), "à": ("circumflex", "grave"),
    "å": ("circumflex", "hook"), "ã": ("circumflex", "tilde"), "ä": ("circumflex", "dot"),
    "ê": ("breve", None), "é": ("breve", "acute"), "è": ("breve", "grave"),
    "ú": ("breve", "hook"), "ü": ("breve", "tilde"), "ë": ("breve", "dot"),
}  # fmt: skip
_VNI_SINGLE = {
    "ñ": "đ", "Ñ": "Đ", "ô": "ơ", "Ô": "Ơ", "ö": "ư", "Ö": "Ư",
    "æ": "ỉ", "Æ": "Ỉ", "ó": "ĩ", "Ó": "Ĩ", "ò": "ị", "Ò": "Ị", "î": "ỵ", "Î": "Ỵ",
}  # fmt: skip
_VNI_BASES = {"a": "a", "e": "e", "i": "i", "o": "o", "u": "u", "y": "y", "ô": "ơ", "ö": "ư"}
# which shapes a base takes: breve only on a, circumflex on a/e/o, none on the rest
_VNI_SHAPES_ALLOWED = {"a": {"circumflex", "breve"}, "e": {"circumflex"}, "o": {"circumflex"}}


@cache
def _vni_pairs() -> dict[str, str]:
    pairs: dict[str, str] = {}
    for base_lower, letter_lower in _VNI_BASES.items():
        for mark_lower, (shape, tone) in _VNI_MARKS.items():
            if shape is not None and shape not in _VNI_SHAPES_ALLOWED.get(base_lower, set()):
                continue
            if base_lower in "iy" and shape is None and tone is None:
                continue
            composed = letter_lower + (_SHAPE[shape] if shape else "") + (_TONE[tone] if tone else "")
            composed = unicodedata.normalize("NFC", composed)
            # the base letter decides the case; the mark's case is only its glyph height
            for mark in (mark_lower, mark_lower.upper()):
                pairs[base_lower + mark] = composed
                pairs[base_lower.upper() + mark] = composed.upper()
    return pairs


@cache
def _vni_pattern() -> re.Pattern[str]:
    pairs = _vni_pairs()
    alternatives = sorted(pairs, key=len, reverse=True) + sorted(_VNI_SINGLE)
    return re.compile("|".join(map(re.escape, alternatives)))


def _convert_vni(text: str) -> str:
    pairs = _vni_pairs()

    def replace(match: re.Match[str]) -> str:
        found = match.group()
        return pairs.get(found) or _VNI_SINGLE[found]

    return _vni_pattern().sub(replace, text)


# --------------------------------------------------------------------------- public API

_UPPERCASE_FONT = re.compile(r"^\.?vn.*h$", re.IGNORECASE)
_ASCII_LETTERS = re.compile(r"[A-Za-z]")


def scheme_for_font(font_name: str | None) -> Scheme | None:
    """The legacy scheme a font name implies: ``.VnTime``/``.VnArialH`` → tcvn3, ``VNI-Times`` → vni."""
    if not font_name:
        return None
    name = font_name.strip().lower()
    if name.startswith("vni"):
        return "vni"
    if name.startswith((".vn", "vn")):
        return "tcvn3"
    return None


def is_uppercase_font(font_name: str | None) -> bool:
    """True for the TCVN3 fonts that draw lower-case bytes as capitals (``.VnTimeH``, ``.VnArialH``)."""
    return bool(font_name) and scheme_for_font(font_name) == "tcvn3" and bool(_UPPERCASE_FONT.match(font_name.strip()))


_WORDS = re.compile(r"[^\W\d_]+")


def _is_capital_word_with_lowercase(word: str) -> bool:
    """True for "HOạCH", "NHâN": a lower-case letter after two capitals or before a capital."""
    for index, char in enumerate(word):
        if char.islower() and (word[:index].isupper() and index >= 2 or any(c.isupper() for c in word[index + 1 :])):
            return True
    return False


def _restore_capitals(line: str, original: str) -> str:
    """Upper-case a converted TCVN3 line that was set in a capitals font.

    ABC fonts have no capital toned letters: "KẾ HOẠCH" is typed ``KÕ HO¹CH`` and
    drawn by ``.VnTimeH``, so it converts to "Kế HOạCH".  A line with no
    lower-case Latin letter and a converted lower-case letter inside a capital
    word ("HOạCH", "NHâN") was such a heading; "Số" alone proves nothing.
    """
    if re.search("[a-z]", original) or line == line.upper():
        return line
    if any(map(_is_capital_word_with_lowercase, _WORDS.findall(line))):
        return line.upper()
    return line


def convert_legacy(text: str, scheme: Scheme, *, uppercase: bool | None = None) -> str:
    """Convert text whose characters are legacy-font bytes (read as Latin-1/cp1252) to NFC Unicode.

    ``uppercase``: True when the source font draws capitals (``.VnTimeH``: see
    :func:`is_uppercase_font`), False to keep case as converted, None to guess per
    line for TCVN3 (a line whose Latin letters are all capitals is a heading).
    """
    if scheme == "tcvn3":
        converted = _convert_tcvn3(text)
        if uppercase:
            converted = converted.upper()
        elif uppercase is None:
            source_lines = text.split("\n")
            converted_lines = converted.split("\n")
            converted = "\n".join(map(_restore_capitals, converted_lines, source_lines))
    elif scheme == "vni":
        converted = _convert_vni(text)
        if uppercase:
            converted = converted.upper()
    else:  # pragma: no cover - guarded by the Literal type
        raise ValueError(f"unknown legacy scheme {scheme!r}")
    return unicodedata.normalize("NFC", converted)


_C1_AS_CP1252 = {
    byte: bytes([byte]).decode("cp1252") for byte in range(0x80, 0xA0) if byte not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)
}


def decode_legacy(data: bytes, scheme: Scheme) -> str:
    """Decode raw legacy-font bytes (a TCVN3 or VNI text file) to NFC Unicode."""
    # Latin-1 keeps every byte as the code point of the same number, so the
    # C0/C1 letters of TCVN3 stay distinguishable from cp1252 punctuation;
    # what is left of C1 afterwards is cp1252 punctuation (– “ ” …).
    return convert_legacy(data.decode("latin-1"), scheme).translate(_C1_AS_CP1252)


_VIETNAMESE_LATIN1 = frozenset("àáâãèéêìíòóôõùúýÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝ")


def legacy_marker_share(text: str) -> float:
    """Share of Latin-1 upper-half characters that are no Vietnamese letter ("¸", "µ", "ö", "ñ").

    Near 0 for Unicode Vietnamese (its Latin-1 letters are excluded), ~0.05+ for
    TCVN3 or VNI text read as Latin-1/cp1252.
    """
    if not text:
        return 0.0
    return sum(1 for c in text if "\u0080" <= c <= "\u00ff" and c not in _VIETNAMESE_LATIN1) / len(text)
