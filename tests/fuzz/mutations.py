"""Mutated copies of the corpus files: byte-level damage and structure-aware edits of DOCX XML and PDF objects.

Every mutant is a pure function of (seed file, strategy, random seed), so a run is reproduced from
its seed and a failing input can be regenerated or kept as a regression file.  The byte strategies
are what a bad disk, a truncated download or a careless tool does; the structure-aware ones reach
past the container checks into the parsers: an XML element duplicated, moved or deleted, an
attribute set to 0, -1 or 10⁹, a PDF object removed or repeated, a ``/Count``, ``/Length``,
``/Width`` or a reference pointed elsewhere.
"""

from __future__ import annotations

import copy
import io
import random
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
SEEDS = [
    *sorted((CORPUS / "dev").glob("00[0-4]_*.txt")),
    *sorted(p for p in (CORPUS / "dev-bin").glob("*") if ".scanned." not in p.name),
    CORPUS / "real" / "daknong-kh-2024-mang-di-dong.pdf",
    CORPUS / "real" / "lamdong-kh-ubnd-2026-kiem-tra-cchc.docx",
    CORPUS / "real" / "ttg-ct-07-2012-khu-kinh-te.docx",
    CORPUS / "real" / "lamdong-kh-ubnd-2026-pcmt-xa-phuong-dac-khu-khong-ma-tuy.doc",
]
"""Files mutated: texts, DOCX, text-layer PDFs and a legacy .doc (scans are left out: OCR takes seconds a page)."""


@dataclass(frozen=True)
class Mutant:
    name: str
    """``<seed file>.<strategy>.<n>``: unique in a run, and the file name the input is written under."""
    data: bytes


Strategy = Callable[[bytes, random.Random], bytes]


def flip_bits(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 16)):
        position = rng.randrange(len(out))
        out[position] ^= 1 << rng.randrange(8)
    return bytes(out)


def overwrite(data: bytes, rng: random.Random) -> bytes:
    start = rng.randrange(len(data))
    noise = bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
    return data[:start] + noise + data[start + len(noise) :]


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(1, len(data))]


def duplicate_chunk(data: bytes, rng: random.Random) -> bytes:
    start = rng.randrange(len(data))
    chunk = data[start : start + rng.randint(1, max(1, len(data) // 4))]
    at = rng.randrange(len(data))
    return data[:at] + chunk * rng.randint(1, 8) + data[at:]


def delete_chunk(data: bytes, rng: random.Random) -> bytes:
    start = rng.randrange(len(data))
    return data[:start] + data[start + rng.randint(1, max(1, len(data) // 8)) :]


BYTE_STRATEGIES: dict[str, Strategy] = {
    "flip": flip_bits,
    "overwrite": overwrite,
    "truncate": truncate,
    "dup": duplicate_chunk,
    "delete": delete_chunk,
}

_ODD_VALUES = ["0", "-1", "999999999", "", "auto", "nan", "1e308", "\u202e", "x" * 300]


def _mutate_tree(root, rng: random.Random) -> None:  # noqa: ANN001 - lxml element
    from lxml import etree

    elements = list(root.iter())
    target = rng.choice(elements[1:] or elements)
    parent = target.getparent()
    action = rng.choice(["delete", "duplicate", "move", "attribute", "text", "nest"])
    if action == "delete" and parent is not None:
        parent.remove(target)
    elif action == "duplicate" and parent is not None:
        for _ in range(rng.randint(1, 50)):
            target.addnext(copy.deepcopy(target))
    elif action == "move" and parent is not None:
        destination = rng.choice(elements)
        if destination is not target and target not in destination.iterancestors():
            parent.remove(target)
            destination.append(target)
    elif action == "attribute" and target.attrib:
        name = rng.choice(list(target.attrib))
        target.set(name, rng.choice(_ODD_VALUES))
    elif action == "text":
        target.text = rng.choice(["", "\t\r\n", "Sở " * rng.randint(1, 2000), "\u0300" * 500, "\U0010fffd\u200b"])
    elif action == "nest" and parent is not None:
        index = parent.index(target)
        node = target
        for _ in range(rng.randint(2, 300)):  # past lxml's depth limit at the top of the range
            wrapper = etree.Element(target.tag)
            wrapper.append(node)  # moves node into the wrapper
            node = wrapper
        parent.insert(index, node)


def docx_xml(data: bytes, rng: random.Random) -> bytes:
    """One to three edits of the XML of word/document.xml (mostly), numbering.xml or styles.xml."""
    from lxml import etree

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = archive.namelist()
    except zipfile.BadZipFile:
        return flip_bits(data, rng)
    parts = [n for n in names if n in ("word/numbering.xml", "word/styles.xml")]
    part = "word/document.xml" if rng.random() < 0.7 or not parts else rng.choice(parts)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in names:
            payload = archive.read(name)
            if name == part:
                root = etree.fromstring(payload, etree.XMLParser(resolve_entities=False, huge_tree=False))
                for _ in range(rng.randint(1, 3)):
                    _mutate_tree(root, rng)
                payload = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
                if rng.random() < 0.1:
                    payload = payload[: rng.randrange(1, len(payload))]
            target.writestr(archive.getinfo(name), payload, zipfile.ZIP_DEFLATED)  # its own date: reproducible bytes
    return out.getvalue()


_OBJECT = re.compile(rb"\d+ 0 obj\b.*?endobj", re.DOTALL)
_NUMBER_KEYS = re.compile(rb"/(Count|Length|Width|Height|Size|First|N|W|Columns|Rows|K|BitsPerComponent)\s+(\d+)")
_REFERENCE = re.compile(rb"\b(\d+) 0 R\b")


def pdf_objects(data: bytes, rng: random.Random) -> bytes:
    """An edit of the PDF's objects: one removed or repeated, a count, length or size changed, a reference moved."""
    objects = list(_OBJECT.finditer(data))
    if not objects:
        return duplicate_chunk(data, rng)
    chosen = rng.choice(objects)
    start, end = chosen.span()
    body = chosen.group()
    action = rng.choice(["remove", "repeat", "number", "reference", "stream"])
    if action == "remove":
        return data[:start] + data[end:]
    if action == "repeat":
        return data[:end] + b"\n" + body * rng.randint(1, 20) + data[end:]
    if action == "number":
        numbers = list(_NUMBER_KEYS.finditer(data))
        if numbers:
            hit = rng.choice(numbers)
            value = rng.choice([b"0", b"1", b"-1", b"99999999", b"2147483648", str(rng.randrange(10**6)).encode()])
            return data[: hit.start(2)] + value + data[hit.end(2) :]
    if action == "reference":
        references = list(_REFERENCE.finditer(data))
        if references:
            hit = rng.choice(references)
            value = str(rng.choice([0, 1, rng.randrange(1, len(objects) + 5), 10**9])).encode()
            return data[: hit.start(1)] + value + data[hit.end(1) :]
    stream = body.find(b"stream")
    if stream >= 0:
        cut = start + stream + 6 + rng.randrange(1, max(2, len(body) - stream - 6))
        return data[:cut] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 256))) + data[end - 6 :]
    return flip_bits(data, rng)


STRUCTURED: dict[str, tuple[str, Strategy]] = {".docx": ("xml", docx_xml), ".pdf": ("objects", pdf_objects)}


def mutants(count: int, seed: int) -> Iterator[Mutant]:
    """``count`` mutants, round-robin over the seed files; a structure-aware edit for every other DOCX or PDF one."""
    rng = random.Random(seed)
    originals = [(path, path.read_bytes()) for path in SEEDS]
    for number in range(count):
        path, data = originals[number % len(originals)]
        structured = STRUCTURED.get(path.suffix)
        if structured is not None and rng.random() < 0.5:
            name, strategy = structured
        else:
            name, strategy = rng.choice(list(BYTE_STRATEGIES.items()))
        mutant_rng = random.Random(rng.getrandbits(64))
        yield Mutant(f"{path.stem}.{name}.{number}{path.suffix}", strategy(data, mutant_rng))
