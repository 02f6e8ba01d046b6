"""Compare kehoach's legacy-font decoding with viparse's on the dev texts (run by hand).

Each dev text is encoded to TCVN3 (glibc iconv TCVN5712-1; and ".VnTimeH" style:
all-capital lines typed with lower-case bytes) and to VNI (viparse's table
inverted, plus the chart's "aú" = ẳ and "î" = ỵ it lacks), then decoded by
kehoach (automatic detection, whole file) and by viparse.fix (told the scheme,
and in "auto" mode).  Scores: diacritic accuracy (share of the original's
marked letters reproduced in place) and CER (character error rate).

    .venv/bin/pip install viparse   # optional dependency of this script only
    .venv/bin/python benchmarks/legacy_viparse.py
"""

from __future__ import annotations

import difflib
import subprocess
import unicodedata
from pathlib import Path

import viparse
from kehoach.pipeline.ingest.encoding import detect_and_decode
from viparse.normalize.vni import VNI

DEV = Path(__file__).parents[1] / "tests" / "corpus" / "dev"


def iconv_tcvn3(text: str) -> bytes:
    return subprocess.run(
        ["iconv", "-c", "-f", "utf-8", "-t", "TCVN5712-1"], input=text.encode(), capture_output=True
    ).stdout


def vnth_tcvn3(text: str) -> bytes:
    """All-capital lines as a .VnTimeH font stores them: lower-case toned bytes, ASCII capitals."""
    lines = []
    for line in text.split("\n"):
        letters = [c for c in line if c.isalpha()]
        if len(letters) >= 2 and all(c.isupper() for c in letters):
            line = "".join(c.lower() if not c.isascii() else c for c in line)
        lines.append(line)
    return iconv_tcvn3("\n".join(lines))


def vni_bytes(text: str) -> bytes:
    table: dict[str, str] = {"ẳ": "aú", "Ẳ": "AÚ", "ỵ": "î", "Ỵ": "Î"}
    for legacy, letter in VNI.pairs:
        table.setdefault(letter, legacy)
    out = []
    for char in text:
        char = table.get(char, char)
        try:
            out.append(char.encode("latin-1"))
        except UnicodeEncodeError:
            out.append(char.encode("cp1252", errors="replace"))
    return b"".join(out)


def scores(original: str, decoded: str) -> tuple[float, float]:
    matcher = difflib.SequenceMatcher(None, original, decoded, autojunk=False)
    errors = sum(max(a2 - a1, b2 - b1) for op, a1, a2, b1, b2 in matcher.get_opcodes() if op != "equal")
    marked = [i for i, c in enumerate(original) if c.isalpha() and not c.isascii()]
    kept = set()
    for op, a1, a2, _b1, _b2 in matcher.get_opcodes():
        if op == "equal":
            kept.update(range(a1, a2))
    diacritic = sum(1 for i in marked if i in kept) / len(marked)
    return diacritic, errors / len(original)


def main() -> None:
    encoders = {"tcvn3 (iconv VN1)": ("tcvn3", iconv_tcvn3), "tcvn3 (.VnTimeH caps)": ("tcvn3", vnth_tcvn3),
                "vni": ("vni", vni_bytes)}  # fmt: skip
    print("| encoding | decoder | diacritic accuracy | CER | detected |")
    print("| --- | --- | --- | --- | --- |")
    for label, (scheme, encode) in encoders.items():
        totals: dict[str, list[float]] = {}
        detected = set()
        for path in sorted(DEV.glob("*.txt")):
            original = unicodedata.normalize("NFC", path.read_text("utf-8"))
            # what survives the legacy code page is what can be asked back (no “ ” – … ² in VN1)
            reference = unicodedata.normalize("NFC", original)
            data = encode(original)
            ours = detect_and_decode(data)
            detected.add(ours.encoding)
            surface = data.decode("cp1252", errors="replace")
            runs = {
                "kehoach (auto)": ours.text,
                f"viparse.fix(encoding={scheme!r})": viparse.fix(surface, encoding=scheme),
                "viparse.fix(auto)": viparse.fix(surface),
            }
            for name, text in runs.items():
                totals.setdefault(name, [0.0, 0.0])
                diacritic, cer = scores(reference, text)
                totals[name][0] += diacritic / 5
                totals[name][1] += cer / 5
        for name, (diacritic, cer) in totals.items():
            shown = ",".join(sorted(detected)) if name.startswith("kehoach") else ""
            print(f"| {label} | {name} | {diacritic:.4f} | {cer:.4f} | {shown} |")


if __name__ == "__main__":
    main()
