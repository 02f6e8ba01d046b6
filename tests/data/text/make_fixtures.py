"""Regenerate the encoded fixtures of tests/test_ingest_encoding.py (run by hand, not by pytest).

The encoders are independent of kehoach's decoders: Python's own codecs
(UTF-16, cp1258), glibc iconv's TCVN5712-1 table for TCVN3, and the VNI table
of the viparse package (inverted) for VNI.  Needs `iconv` and `pip install viparse`.

    .venv/bin/python tests/data/text/make_fixtures.py
"""

from __future__ import annotations

import subprocess
import unicodedata
from pathlib import Path

HERE = Path(__file__).parent
SOURCE = HERE / "paragraphs.utf8.txt"
TONES = "\u0300\u0301\u0309\u0303\u0323"


def cp1258(text: str) -> bytes:
    """Windows-1258 keeps tone marks as separate combining bytes: split them off, keep the vowel shape."""
    out = []
    for char in text:
        decomposed = unicodedata.normalize("NFD", char)
        tones = "".join(c for c in decomposed if c in TONES)
        out.append(unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in TONES)) + tones)
    return "".join(out).encode("cp1258")


def tcvn3(text: str) -> bytes:
    return subprocess.run(
        ["iconv", "-f", "utf-8", "-t", "TCVN5712-1"], input=text.encode(), capture_output=True, check=True
    ).stdout


def vni(text: str) -> bytes:
    from viparse.normalize.vni import VNI

    table: dict[str, str] = {}
    for legacy, letter in VNI.pairs:
        table.setdefault(letter, legacy)
    return "".join(table.get(c, c) for c in text).encode("latin-1")


def main() -> None:
    text = unicodedata.normalize("NFC", SOURCE.read_text("utf-8"))
    outputs = {
        "paragraphs.utf16le.txt": text.encode("utf-16-le"),
        "paragraphs.utf16be.txt": text.encode("utf-16-be"),
        "paragraphs.utf16bom.txt": text.encode("utf-16"),
        "paragraphs.utf8bom.txt": text.encode("utf-8-sig"),
        "paragraphs.cp1258.txt": cp1258(text),
        "paragraphs.tcvn3.txt": tcvn3(text),
        "paragraphs.vni.txt": vni(text),
    }
    for name, data in outputs.items():
        (HERE / name).write_bytes(data)
        print(name, len(data))


if __name__ == "__main__":
    main()
