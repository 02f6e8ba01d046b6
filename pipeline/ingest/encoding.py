"""Decide how the bytes of a text file are encoded, and decode them to NFC.

Vietnamese plans arrive as UTF-8 (with or without BOM), UTF-16 from Windows
tools (often without BOM), Windows-1258 (base letters + combining tone marks),
and legacy *font* encodings, TCVN3 (ABC, ``.VnTime``) and VNI (``VNI-Times``),
which no generic detector knows because they reuse the Latin-1 byte range.

Detection never bets on one byte: every plausible decoding is made and the one
whose text reads most like Vietnamese (:func:`vietnamese_ratio`, the share of
words that are valid syllables) wins.  BOMs and the NUL pattern of UTF-16 are
structural evidence and are taken first; charset-normalizer is asked only when
no candidate reads as Vietnamese (a non-Vietnamese file), where its language
models do help.

A file assembled from several sources can mix encodings: UTF-8 paragraphs
with lines pasted from a TCVN3 or Windows-1258 document.  One encoding for
the whole file turns one of the parts into mojibake, so when some lines are
valid UTF-8 and others are clearly not, each part is decoded on its own
(:func:`_decode_by_part`), kept only if it reads as more Vietnamese than any
single encoding, and a warning names the lines that were decoded otherwise.
"""

from __future__ import annotations

import codecs
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from kehoach.pipeline.ingest.legacy import SCHEMES, convert_legacy, decode_legacy, legacy_marker_share
from kehoach.pipeline.ingest.syllables import vietnamese_ratio

SAMPLE_BYTES = 256 * 1024
"""Detection looks at this much of the file: enough for any plan, linear for huge files."""

SCORE_BYTES = 48 * 1024
"""Candidate decodings are scored on this much: thousands of words, a few ms per candidate."""

VIETNAMESE_ENOUGH = 0.5
"""Below this share of valid syllables no candidate reads as Vietnamese: ask charset-normalizer."""

UTF8_MARGIN = 0.1
"""How much better a legacy reading of valid UTF-8 text must score to replace it."""

MAX_CONTROL_SHARE = 0.05
"""Above this share of control characters a "text" file is binary data."""

_ALLOWED_CONTROLS = frozenset("\t\n\r\f\v")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class BinaryDataError(ValueError):
    """The bytes are not text in any encoding we know; the message says why."""


@dataclass(frozen=True)
class DecodedText:
    text: str
    """The whole file decoded, NFC."""
    encoding: str
    """``utf-8``, ``utf-8-sig``, ``utf-16``, ``utf-16-le``, ``windows-1258``, ``tcvn3``, ``vni``,
    ``utf-8+tcvn3`` (legacy text pasted into a UTF-8 file), ``mixed:utf-8,tcvn3`` (UTF-8 lines and
    TCVN3 lines, decoded by part), or charset-normalizer's name."""
    vietnamese_ratio: float
    """Share of valid Vietnamese syllables in the detection sample of the chosen decoding."""
    warnings: tuple[str, ...] = ()
    """What the reader should report, e.g. the lines of a file that mixes encodings."""


def control_share(text: str) -> float:
    """Share of control / replacement characters (not tab or line breaks) in ``text``."""
    if not text:
        return 0.0
    bad = sum(1 for c in text if (c < " " and c not in _ALLOWED_CONTROLS) or "\x7f" <= c <= "\x9f" or c == "\ufffd")
    return bad / len(text)


def _check_not_binary(text: str, what: str) -> None:
    share = control_share(text)
    if share > MAX_CONTROL_SHARE:
        raise BinaryDataError(f"binary data, not text: {share:.0%} of the {what} are control characters")


def utf16_without_bom(sample: bytes) -> str | None:
    """``utf-16-le``/``utf-16-be`` when the NUL bytes fall on one parity only (ASCII-heavy UTF-16)."""
    sample = sample[: len(sample) - len(sample) % 2]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    nul_even, nul_odd = even.count(0) / len(even), odd.count(0) / len(odd)
    if nul_odd >= 0.2 and nul_even <= 0.02:
        return "utf-16-le"
    if nul_even >= 0.2 and nul_odd <= 0.02:
        return "utf-16-be"
    return None


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _candidates(data: bytes) -> Iterator[tuple[str, str]]:
    """(encoding name, decoded text) for every 8-bit reading worth scoring."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a file cut mid-character at the sample edge is still UTF-8
        if exc.start >= len(data) - 3 and exc.reason == "unexpected end of data":
            text = data[: exc.start].decode("utf-8")
        else:
            text = None  # type: ignore[assignment]
            lenient = data.decode("utf-8", errors="replace")
            if lenient.count("\ufffd") <= len(lenient) // 200:  # UTF-8 with a few damaged bytes
                yield "utf-8", _nfc(lenient)
    if text is not None:
        yield "utf-8", _nfc(text)
        if legacy_marker_share(text) > 0.01:
            # legacy-font text that went through cp1252 into a UTF-8 file ("KÕ ho¹ch")
            for scheme in SCHEMES:
                yield f"utf-8+{scheme}", convert_legacy(text, scheme)
        return
    yield "windows-1258", _nfc(data.decode("cp1258", errors="replace"))
    for scheme in SCHEMES:
        yield scheme, decode_legacy(data, scheme)


def _decode_whole(data: bytes, encoding: str) -> str:
    if encoding in ("utf-8", "utf-8-sig"):
        return _nfc(data.decode(encoding, errors="replace"))
    if encoding.startswith("utf-8+"):
        return convert_legacy(data.decode("utf-8", errors="replace"), encoding.split("+", 1)[1])  # type: ignore[arg-type]
    if encoding in SCHEMES:
        return decode_legacy(data, encoding)  # type: ignore[arg-type]
    if encoding == "windows-1258":
        return _nfc(data.decode("cp1258", errors="replace"))
    return _nfc(data.decode(encoding, errors="replace"))


FOREIGN_LINE_SHARE = 0.5
"""A line is in another encoding when more than this share of its non-ASCII characters are not UTF-8
(below, it is UTF-8 with a damaged byte or two, which stays UTF-8)."""
MIXED_MARGIN = 0.02
"""How much more Vietnamese a per-part decoding must read than the best single encoding to be kept."""


def _line_ranges(numbers: list[int]) -> str:
    """``[3, 4, 5, 9]`` → ``"3-5, 9"`` (1-based line numbers, for messages)."""
    ranges: list[str] = []
    start = previous = numbers[0]
    for number in [*numbers[1:], None]:
        if number is not None and number == previous + 1:
            previous = number
            continue
        ranges.append(str(start) if start == previous else f"{start}-{previous}")
        if number is not None:
            start = previous = number
    return ", ".join(ranges)


def _foreign_lines(lines: list[bytes]) -> tuple[list[int], bool]:
    """(indexes of lines that are not UTF-8, whether any line is non-ASCII UTF-8)."""
    foreign: list[int] = []
    utf8 = False
    for index, line in enumerate(lines):
        if line.isascii():
            continue
        lenient = line.decode("utf-8", errors="replace")
        non_ascii = sum(1 for char in lenient if ord(char) > 127)
        if lenient.count("\ufffd") > FOREIGN_LINE_SHARE * non_ascii:
            foreign.append(index)
        else:
            utf8 = True
    return foreign, utf8


def _decode_by_part(data: bytes) -> DecodedText | None:
    """Decode UTF-8 lines as UTF-8 and the other lines in the 8-bit encoding they read best in; None if unmixed."""
    lines = data.splitlines(keepends=True)
    foreign, utf8 = _foreign_lines(lines)
    if not foreign or not utf8:
        return None
    other = b"".join(lines[i] for i in foreign)
    scored = [(vietnamese_ratio(text), name) for name, text in _candidates(other[:SCORE_BYTES]) if name != "utf-8"]
    if not scored:
        return None
    _, encoding = max(scored, key=lambda item: item[0])
    chosen = set(foreign)
    parts = [
        _decode_whole(line, encoding) if index in chosen else _nfc(line.decode("utf-8", errors="replace"))
        for index, line in enumerate(lines)
    ]
    text = "".join(parts)
    warning = (
        f"the file mixes encodings: lines {_line_ranges([i + 1 for i in foreign])} decoded as {encoding}, "
        "the rest as UTF-8"
    )
    return DecodedText(text, f"mixed:utf-8,{encoding}", vietnamese_ratio(text[:SCORE_BYTES]), (warning,))


def _charset_normalizer_guess(sample: bytes) -> str | None:
    from charset_normalizer import from_bytes

    best = from_bytes(sample[:32_768]).best()  # its cost grows fast with size; 32 kB is plenty
    return best.encoding if best is not None else None


def detect_and_decode(data: bytes) -> DecodedText:
    """Decode ``data`` with the encoding whose reading is most Vietnamese; raise BinaryDataError for junk."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            text = _nfc(data.decode(name if name != "utf-8-sig" else "utf-8-sig", errors="replace"))
            _check_not_binary(text[: SAMPLE_BYTES // 2], "decoded characters")
            return DecodedText(text, name, vietnamese_ratio(text[:SCORE_BYTES]))

    sample = data[:SAMPLE_BYTES]
    utf16 = utf16_without_bom(sample)
    if utf16:
        text = _nfc(data[: len(data) - len(data) % 2].decode(utf16, errors="replace"))
        _check_not_binary(text[: SAMPLE_BYTES // 2], "decoded characters")
        return DecodedText(text, utf16, vietnamese_ratio(text[:SCORE_BYTES]))

    if sample.count(0) > max(2, len(sample) // 1000):
        raise BinaryDataError(f"binary data, not text: {sample.count(0)} NUL bytes in the first {len(sample)} bytes")
    c0_share = sum(1 for b in sample if b < 0x20 and b not in b"\t\n\r\f\v") / max(1, len(sample))
    if c0_share > MAX_CONTROL_SHARE:  # C1 bytes are UTF-8 continuation or legacy letters: not counted
        raise BinaryDataError(f"binary data, not text: {c0_share:.0%} of the bytes are control characters")
    if sample.isascii():
        return DecodedText(
            data.decode("ascii", errors="replace"), "utf-8", vietnamese_ratio(sample[:SCORE_BYTES].decode("ascii"))
        )

    scored = [(vietnamese_ratio(text), name) for name, text in _candidates(sample[:SCORE_BYTES])]
    ratio, name = max(scored, key=lambda item: item[0])  # max keeps the first of equals: the order prefers
    if name != "utf-8" and scored[0][1] == "utf-8" and ratio - scored[0][0] < UTF8_MARGIN:
        ratio, name = scored[0]
    if ratio < VIETNAMESE_ENOUGH and not name.startswith("utf-8"):
        guess = _charset_normalizer_guess(sample)
        if guess:
            name = guess
    if not name.startswith("utf-8+"):
        mixed = _decode_by_part(data)
        if mixed is not None and mixed.vietnamese_ratio > ratio + MIXED_MARGIN:
            _check_not_binary(mixed.text[: SAMPLE_BYTES // 2], "decoded characters")
            return mixed
    text = _decode_whole(data, name)
    _check_not_binary(text[: SAMPLE_BYTES // 2], "decoded characters")
    return DecodedText(text, name, ratio)
