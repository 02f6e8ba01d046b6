"""Text normal forms used by every layer: readers, extractors, schema (no imports from pipeline/ or extractors/).

Two forms exist on purpose:

* the *content* form (:func:`clean_inline`): NFC, invisible characters
  removed, runs of blanks folded.  This is what is stored and what spans
  point into.
* the *matching* form (:func:`matching_form`): content form with one tone-mark
  placement and lower case, used only to compare names; it has the same
  length as its input so offsets found in it are offsets in the content.

Tone-mark placement: Vietnamese writes "hoà"/"hòa", "uỷ"/"ủy", "thuý"/"thúy"
for the same syllable.  For matching we use the traditional placement (mark on
the first vowel of an open "oa", "oe", "uy" syllable: "hòa", "ủy"), which is
also what underthesea's ``word_tokenize`` produces.
"""

from __future__ import annotations

import re
import unicodedata

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")

# (new placement, traditional placement) for the three open diphthongs.
_TONES = "\u0300\u0301\u0309\u0303\u0323"  # huyền, sắc, hỏi, ngã, nặng


def _tone_pairs() -> dict[str, str]:
    pairs: dict[str, str] = {}
    for first, second in (("o", "a"), ("o", "e"), ("u", "y")):
        for tone in _TONES:
            for f, s in ((first, second), (first.upper(), second.upper()), (first.upper(), second)):
                new = f + unicodedata.normalize("NFC", s + tone)
                old = unicodedata.normalize("NFC", f + tone) + s
                pairs[new] = old
    return pairs


_TONE_PAIRS = _tone_pairs()
_TONE_RE = re.compile("(" + "|".join(map(re.escape, _TONE_PAIRS)) + r")(?![^\W\d_])")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def clean_inline(text: str) -> str:
    """Content form of one block: NFC, no invisible characters, single spaces, no edge blanks.

    Line breaks inside a block become spaces: a block is one paragraph, row or heading.
    """
    text = nfc(text).translate(_INVISIBLE)
    text = text.replace("\r", " ").replace("\n", " ")
    return _SPACES.sub(" ", text).strip()


def _retone(match: re.Match[str]) -> str:
    found = match.group(1)
    # in "quý", "quà" the u belongs to the consonant "qu": the mark is already on the vowel
    if match.start() > 0 and match.string[match.start() - 1] in "qQ":
        return found
    return _TONE_PAIRS[found]


def normalize_tone_marks(text: str) -> str:
    """Move tone marks of open "oa/oe/uy" syllables to the traditional place (same length)."""
    return _TONE_RE.sub(_retone, nfc(text))


def matching_form(text: str) -> str:
    """Lower-cased, tone-placement-normalised form of NFC text, same length as the input."""
    return normalize_tone_marks(text).lower()


def fold_diacritics(text: str) -> str:
    """ASCII-ish fold (no marks, đ→d, lower case) for search keys; length may change."""
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return stripped.replace("đ", "d").replace("Đ", "D").lower()
