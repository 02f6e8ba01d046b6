"""How much of a text reads as Vietnamese: the test for garbled text and wrong encodings.

A correctly decoded Vietnamese text is almost entirely made of valid
syllables (onset + vowel nucleus + coda, at most one tone mark).  Mojibake
from a wrong code page or a font without a Unicode map ("WKLӃW NӃ") is not,
so the share of valid syllables separates the two without a dictionary.
"""

from __future__ import annotations

import re
import unicodedata

_TONE_MARKS = {"\u0300", "\u0301", "\u0309", "\u0303", "\u0323"}
_ONSETS = "ngh|ng|gh|gi|kh|nh|ph|th|tr|ch|qu|[bcdđghklmnpqrstvx]"
_BASE_VOWELS = "aăâeêioôơuưy"
_SYLLABLE = re.compile(rf"^(?:{_ONSETS})?[{_BASE_VOWELS}]{{1,3}}(?:ch|ng|nh|[cmnpt])?$")
_WORD = re.compile(r"[^\W\d_]+")


def _strip_tone(word: str) -> tuple[str, int]:
    """Base letters of ``word`` (tone marks removed, vowel shapes kept) and its tone-mark count."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = sum(1 for c in decomposed if c in _TONE_MARKS)
    base = "".join(c for c in decomposed if c not in _TONE_MARKS)
    return unicodedata.normalize("NFC", base), tones


def is_vietnamese_syllable(word: str) -> bool:
    base, tones = _strip_tone(word)
    return tones <= 1 and bool(_SYLLABLE.match(base))


def vietnamese_ratio(text: str) -> float:
    """Share of alphabetic words (2+ letters) that are valid Vietnamese syllables; 0.0 when none."""
    words = [w for w in _WORD.findall(text) if len(w) > 1]
    if not words:
        return 0.0
    return sum(map(is_vietnamese_syllable, words)) / len(words)


def diacritic_ratio(text: str) -> float:
    """Share of letters carrying a Vietnamese mark; real prose has roughly 0.25–0.45."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    marked = sum(1 for c in letters if unicodedata.normalize("NFD", c) != c or c in "đĐ")
    return marked / len(letters)
