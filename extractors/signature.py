"""The signature block: who signs, under which title lines, and the Nơi nhận list.

Nghị định 30/2020/NĐ-CP puts "Nơi nhận" (left) opposite the signature (right):
the authority line ("TM. ỦY BAN NHÂN DÂN", "KT. BỘ TRƯỞNG", "T/M BAN THƯỜNG
VỤ"), the signer's own title ("PHÓ CHỦ TỊCH", "THỨ TRƯỞNG") and, below the
seal, the name.  Readers flatten the two columns in different ways: a PDF
gives the right column after the left, a DOCX cell gives one merged line
("KT. CHỦ TỊCH PHÓ CHỦ TỊCH Lương Trọng Quỳnh"), and a text rendering puts each
title line at the end of a recipient line ("- Như trên; THỨ TRƯỞNG").  So a
title line is a whole upper-case line or the upper-case tail of a line, and
the recipient lines between the titles and the name are skipped.

A decision or resolution often carries the plan it adopts after its own
signature, and that plan may be signed again; the document's signer is the one
next to its Nơi nhận list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from kehoach.extractors.resources import load_json
from kehoach.models.document import ParsedDocument

LOOKBACK = 14
"""Segments searched above a name for its title lines: the longest Nơi nhận lists run to about a dozen lines."""


@lru_cache(maxsize=1)
def vocabulary() -> dict[str, Any]:
    """The header and signature vocabulary (resources/document_header.json), read once per process."""
    return load_json("document_header.json")


def is_upper(text: str) -> bool:
    """True when ``text`` has no lower-case letter (Vietnamese cases interleave in Unicode: no ranges)."""
    return not any(c.islower() for c in text)


def is_personal_name(text: str) -> bool:
    words = text.split(" ")
    return 2 <= len(words) <= 5 and all(w[:1].isupper() and w[1:].islower() and w.isalpha() for w in words)


def _has_letters(text: str) -> bool:
    return bool(re.search(r"[^\W\d_]", text))


def _starts_with_title(text: str) -> bool:
    return any(text.startswith(t) for t in vocabulary()["signer_titles"])


def upper_tail(segment: str) -> str:
    """The upper-case words that end ``segment`` ("- Như trên; THỨ TRƯỞNG" → "THỨ TRƯỞNG")."""
    words = segment.split()
    tail: list[str] = []
    for word in reversed(words):
        if not is_upper(word):
            break
        tail.insert(0, word)
    return " ".join(tail)


def _is_recipient_line(segment: str) -> bool:
    """A line of the Nơi nhận column (or a short wrapped piece of one), which may sit between title and name."""
    return segment.startswith(("-", "+", "•", "Nơi nhận")) or len(segment.split()) <= 12


@dataclass(frozen=True)
class _Candidate:
    position: int
    name: str
    titles: list[str]


def _segments(content: str) -> list[tuple[int, str]]:
    """Lines and table cells of ``content`` with their offsets, blank ones dropped."""
    found = []
    for match in re.finditer(r"[^\n|]+", content):
        text = match.group(0).strip()
        if text:
            found.append((match.start(), text))
    return found


def _name_at(segment: str) -> tuple[str, str] | None:
    """(upper-case prefix, name) when ``segment`` ends with a personal name preceded only by upper-case words."""
    words = segment.split()
    for size in (5, 4, 3, 2):
        if len(words) < size:
            continue
        name = " ".join(words[-size:])
        prefix = " ".join(words[:-size])
        titled = not prefix or any(t in prefix for t in vocabulary()["signer_titles"])
        if is_personal_name(name) and is_upper(prefix) and titled and not prefix.startswith(("-", "+", "•")):
            return prefix, name
    return None


def _title_lines(parts: list[tuple[str, bool]]) -> list[str]:
    """Join wrapped title lines ("TM. ỦY BAN NHÂN" + "DÂN"); ``parts`` are (text, is a whole line) in reading order."""
    titles = vocabulary()["signer_titles"]
    lines: list[str] = []
    for text, whole in parts:
        if lines and whole and not _starts_with_title(text):
            lines[-1] = f"{lines[-1]} {text}"
        elif (whole and any(t in text for t in titles)) or _starts_with_title(text):
            lines.append(text)
    return lines


def _candidates(content: str) -> list[_Candidate]:
    segments = _segments(content)
    found: list[_Candidate] = []
    for index, (position, segment) in enumerate(segments):
        named = _name_at(segment)
        if not named:
            continue
        prefix, name = named
        parts: list[tuple[str, bool]] = [(prefix, True)] if prefix else []
        for _, above in reversed(segments[max(0, index - LOOKBACK) : index]):
            if is_upper(above) and _has_letters(above) and not above.startswith(("-", "+")):
                parts.insert(0, (above, True))
                continue
            tail = upper_tail(above)
            if tail and _starts_with_title(tail):
                parts.insert(0, (tail, False))
            elif not _is_recipient_line(above):
                break
        titles = _title_lines(parts)
        if titles:
            found.append(_Candidate(position, name, titles))
    return found


def find_signer(parsed: ParsedDocument) -> tuple[str | None, list[str]]:
    """The signer's name and title lines; the block next to the first Nơi nhận wins, else the last one."""
    content = parsed.content
    candidates = _candidates(content)
    if not candidates:
        return None, []
    received = re.search(r"Nơi nhận\s*:?", content)
    anchor = received.start() if received else len(content)
    best = min(reversed(candidates), key=lambda c: abs(c.position - anchor))
    return best.name, best.titles


def find_recipients(parsed: ParsedDocument) -> list[str]:
    """The Nơi nhận items, without a signature title printed at the end of their line."""
    match = re.search(r"Nơi nhận\s*:?", parsed.content)
    if not match:
        return []
    recipients: list[str] = []
    tail = parsed.content[match.end() : match.end() + 3000]
    for raw in re.split(r"\n|(?<=[;,])\s*(?=-)", tail):
        line = raw.split(" | ")[0].strip(" |")
        title = upper_tail(line)
        if title and _starts_with_title(title) and len(title) < len(line):
            line = line[: -len(title)].strip()
        if not line:
            continue
        if not line.startswith(("-", "+", "•")):
            if recipients:
                break
            continue
        recipients.append(line.lstrip("-+• ").rstrip(" ;,."))
    return recipients
