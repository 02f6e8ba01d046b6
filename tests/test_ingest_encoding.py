"""Encoding detection and legacy Vietnamese font conversion (pipeline.ingest.encoding / legacy)."""

from __future__ import annotations

import random
import shutil
import subprocess
import time
import unicodedata
from pathlib import Path

import pytest
from kehoach.pipeline.errors import EmptyDocumentError, UnsupportedFormatError
from kehoach.pipeline.ingest import read_document
from kehoach.pipeline.ingest.encoding import BinaryDataError, _line_ranges, detect_and_decode, utf16_without_bom
from kehoach.pipeline.ingest.legacy import convert_legacy, decode_legacy, is_uppercase_font, scheme_for_font
from kehoach.pipeline.ingest.text import read_text

DATA = Path(__file__).parent / "data" / "text"
ORIGINAL = unicodedata.normalize("NFC", (DATA / "paragraphs.utf8.txt").read_text("utf-8"))


# --------------------------------------------------------------------------- whole files


def _cp1258(text: str) -> bytes:
    """Windows-1258 the way Windows writes it: vowel shape precomposed, tone mark a separate byte."""
    tones = "\u0300\u0301\u0309\u0303\u0323"
    out = []
    for char in unicodedata.normalize("NFC", text):
        decomposed = unicodedata.normalize("NFD", char)
        out.append(unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in tones)))
        out.append("".join(c for c in decomposed if c in tones))
    return "".join(out).encode("cp1258", errors="replace")


@pytest.mark.parametrize(
    ("fixture", "encoding"),
    [
        ("paragraphs.utf8.txt", "utf-8"),
        ("paragraphs.utf8bom.txt", "utf-8-sig"),
        ("paragraphs.utf16bom.txt", "utf-16"),
        ("paragraphs.utf16le.txt", "utf-16-le"),
        ("paragraphs.utf16be.txt", "utf-16-be"),
        ("paragraphs.cp1258.txt", "windows-1258"),
        ("paragraphs.tcvn3.txt", "tcvn3"),
        ("paragraphs.vni.txt", "vni"),
    ],
)
def test_encoding_fixture_decodes_to_original(fixture: str, encoding: str) -> None:
    decoded = detect_and_decode((DATA / fixture).read_bytes())
    assert decoded.encoding == encoding
    assert decoded.text.lstrip("\ufeff") == ORIGINAL
    assert decoded.vietnamese_ratio > 0.9


@pytest.mark.parametrize("fixture", ["paragraphs.tcvn3.txt", "paragraphs.vni.txt", "paragraphs.utf16le.txt"])
def test_encoding_recorded_in_source_info(fixture: str) -> None:
    document = read_document(DATA / fixture)
    assert document.source.format == "text"
    assert document.source.encoding == detect_and_decode((DATA / fixture).read_bytes()).encoding
    assert "a) Nội dung thực hiện: Hoàn thành trình Ủy ban nhân dân tỉnh" in document.content
    assert document.source.warnings == []


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_encoding_dev_files_in_bomless_utf16(dev_texts: list[Path], codec: str) -> None:
    for path in dev_texts:
        text = unicodedata.normalize("NFC", path.read_text("utf-8"))
        decoded = detect_and_decode(text.encode(codec))
        assert decoded.encoding == codec
        assert decoded.text == text


def test_encoding_utf16_nul_pattern_needs_one_parity() -> None:
    assert utf16_without_bom("Kế hoạch số 20".encode("utf-16-le")) == "utf-16-le"
    assert utf16_without_bom("Kế hoạch số 20".encode("utf-16-be")) == "utf-16-be"
    assert utf16_without_bom("Kế hoạch số 20".encode()) is None


def test_encoding_utf8_with_a_damaged_byte_stays_utf8() -> None:
    data = ORIGINAL.encode("utf-8")
    damaged = data[:100] + b"\xff" + data[100:]
    decoded = detect_and_decode(damaged)
    assert decoded.encoding == "utf-8"
    assert decoded.text.count("\ufffd") == 1
    assert "Quyết định số 197/QĐ-UBND" in decoded.text


def test_encoding_legacy_text_pasted_into_utf8_is_converted() -> None:
    # .VnTime text copied through cp1252 into a UTF-8 file: "KÕ ho¹ch" as Unicode characters
    pasted = (DATA / "paragraphs.tcvn3.txt").read_bytes().decode("cp1252", errors="replace").encode("utf-8")
    decoded = detect_and_decode(pasted)
    assert decoded.encoding == "utf-8+tcvn3"
    assert "Thực hiện Quyết định số 197/QĐ-UBND" in decoded.text


def test_encoding_detection_is_linear(dev_texts: list[Path]) -> None:
    big = _cp1258("\n\n".join(path.read_text("utf-8") for path in dev_texts) * 25)  # ~2.4 MB
    start = time.perf_counter()
    decoded = detect_and_decode(big)
    assert time.perf_counter() - start < 2.0, "detection must not grow faster than the file"
    assert decoded.encoding == "windows-1258"
    assert decoded.text.count("Thực hiện Quyết định số 197/QĐ-UBND") == 25


def test_encoding_dev_file_reads_in_milliseconds(dev_texts: list[Path]) -> None:
    path = max(dev_texts, key=lambda p: p.stat().st_size)
    read_document(path)  # warm-up: regex compilation
    start = time.perf_counter()
    read_document(path)
    assert time.perf_counter() - start < 0.5


# --------------------------------------------------------------------------- bad input


def test_encoding_random_bytes_are_binary(tmp_path: Path) -> None:
    data = random.Random(0).randbytes(1_000_000)
    with pytest.raises(UnsupportedFormatError, match="binary data"):
        read_text(tmp_path / "x.txt", data)


def test_encoding_50mb_random_file_rejected_quickly(tmp_path: Path) -> None:
    path = tmp_path / "junk.txt"
    path.write_bytes(random.Random(1).randbytes(50 * 1024 * 1024))
    start = time.perf_counter()
    with pytest.raises(UnsupportedFormatError):
        read_document(path)
    assert time.perf_counter() - start < 5


def test_encoding_control_characters_are_binary() -> None:
    data = ("Kế hoạch" + "\x01\x02\x03\x07\x08" * 20).encode("utf-8")
    with pytest.raises(BinaryDataError, match="control characters"):
        detect_and_decode(data)


@pytest.mark.parametrize("data", [b"\xef\xbb\xbf", b"\xff\xfe \x00\n\x00", b"\xef\xbb\xbf\xe2\x80\x8b\n"])
def test_encoding_empty_after_decoding(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(EmptyDocumentError):
        read_text(tmp_path / "empty.txt", data)


def test_encoding_markup_only_is_empty(tmp_path: Path) -> None:
    with pytest.raises(EmptyDocumentError):
        read_text(tmp_path / "rules.txt", b"-------\n|\n| --- | --- |\n*****\n")


# --------------------------------------------------------------------------- legacy bytes, pinned


@pytest.mark.parametrize(
    ("data", "scheme", "expected"),
    [
        (b"K\xd5 ho\xb9ch", "tcvn3", "Kế hoạch"),
        (b"\x9ey ban nh\xa9n d\xa9n", "tcvn3", "Ủy ban nhân dân"),  # VN1 capital Ủ in 0x9E
        (b"U\xfb ban nh\xa9n d\xa9n", "tcvn3", "Uỷ ban nhân dân"),  # how ABC (VN3) users typed it
        (b"\xae\xad\xeec th\xf9c hi\xd6n", "tcvn3", "được thực hiện"),
        (b"\xa7\xe9c l\xacp", "tcvn3", "Độc lơp"),  # 0xAC is ơ: the table, not guessing
        (b"K\xd5 HO\xb9CH", "tcvn3", "KẾ HOẠCH"),  # .VnTimeH heading typed with lower-case bytes
        (b"\x93K\xd5 ho\xb9ch\x94 \x96 ok\x85", "tcvn3", "“Kế hoạch” – ok…"),  # cp1252 punctuation kept
        (b"Ke\xe1 hoa\xefch", "vni", "Kế hoạch"),
        (b"U\xdby ban nha\xe2n da\xe2n", "vni", "Ủy ban nhân dân"),
        (b"\xf1\xf6\xf4\xefc th\xf6\xefc hie\xe4n", "vni", "được thực hiện"),
        (b"\xd1a\xf8 Na\xfcng, sa\xfcn, ta\xfam, ba\xfang", "vni", "Đà Nẵng, sẵn, tẳm, bẳng"),
        (b"ky\xf8 h\xee, t\xe6nh, \xf3, \xf2", "vni", "kỳ hỵ, tỉnh, ĩ, ị"),
    ],
)
def test_legacy_pinned_bytes(data: bytes, scheme: str, expected: str) -> None:
    assert decode_legacy(data, scheme) == expected  # type: ignore[arg-type]


_VIETNAMESE_LETTERS = sorted(
    {
        unicodedata.normalize("NFC", base + shape + tone)
        for base, shapes in (("a", ["", "\u0306", "\u0302"]), ("e", ["", "\u0302"]), ("i", [""]),
                             ("o", ["", "\u0302", "\u031b"]), ("u", ["", "\u031b"]), ("y", [""]))
        for shape in shapes
        for tone in ["", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"]
    }
    - set("aeiouy")
)  # fmt: skip


@pytest.mark.skipif(shutil.which("iconv") is None, reason="needs glibc iconv as the independent TCVN3 encoder")
@pytest.mark.parametrize("letter", _VIETNAMESE_LETTERS + ["đ"])
def test_legacy_tcvn3_matches_iconv_table(letter: str) -> None:
    for word in (f"b{letter}n", f"B{letter.upper()}N", letter.upper() + "n"):
        encoded = subprocess.run(
            ["iconv", "-f", "utf-8", "-t", "TCVN5712-1"], input=word.encode(), capture_output=True, check=True
        ).stdout
        assert decode_legacy(encoded, "tcvn3") == word


def test_legacy_vni_matches_viparse_table() -> None:
    vni = pytest.importorskip("viparse.normalize.vni")
    for legacy, letter in vni.VNI.pairs:
        assert convert_legacy(legacy, "vni") == letter, legacy


# --------------------------------------------------------------------------- DOCX runs and fonts


@pytest.mark.parametrize(
    ("run_text", "font", "expected"),
    [
        ("KÕ ho¹ch", ".VnTime", "Kế hoạch"),
        ("kÕ ho¹ch", ".VnTimeH", "KẾ HOẠCH"),
        ("Uû ban nh©n d©n tØnh", ".VnArial", "Uỷ ban nhân dân tỉnh"),
        ("Keá hoaïch", "VNI-Times", "Kế hoạch"),
        ("ñaõ ñöôïc pheâ duyeät", "VNI-Helve", "đã được phê duyệt"),
    ],
)
def test_legacy_docx_run_conversion(run_text: str, font: str, expected: str) -> None:
    scheme = scheme_for_font(font)
    assert scheme is not None
    assert convert_legacy(run_text, scheme, uppercase=is_uppercase_font(font)) == expected


@pytest.mark.parametrize(
    ("font", "scheme", "uppercase"),
    [
        (".VnTime", "tcvn3", False),
        (".VnTimeH", "tcvn3", True),
        (".VnArial NarrowH", "tcvn3", True),
        ("VNI-Times", "vni", False),
        ("Times New Roman", None, False),
        ("", None, False),
        (None, None, False),
    ],
)
def test_legacy_scheme_for_font(font: str | None, scheme: str | None, uppercase: bool) -> None:
    assert scheme_for_font(font) == scheme
    assert is_uppercase_font(font) is uppercase


def test_legacy_title_case_line_not_uppercased() -> None:
    assert convert_legacy("Sè * -KH/BC§", "tcvn3") == "Số * -KH/BCĐ"


# --------------------------------------------------------------------------- mixed encodings, NUL bytes


def _lines(fixture: str) -> list[bytes]:
    return (DATA / fixture).read_bytes().splitlines(keepends=True)


@pytest.mark.parametrize(
    ("fixture", "encoding"),
    [("paragraphs.tcvn3.txt", "tcvn3"), ("paragraphs.cp1258.txt", "windows-1258"), ("paragraphs.vni.txt", "vni")],
)
def test_encoding_mixed_parts_decoded_per_part(fixture: str, encoding: str) -> None:
    utf8, legacy = _lines("paragraphs.utf8.txt"), _lines(fixture)
    assert len(utf8) == len(legacy) and len(utf8) >= 6
    # the middle third of the file was pasted from a legacy document
    third = len(utf8) // 3
    pasted = [i for i in range(third, 2 * third) if not legacy[i].isascii()]
    mixed = b"".join(legacy[i] if third <= i < 2 * third else utf8[i] for i in range(len(utf8)))
    decoded = detect_and_decode(mixed)
    assert decoded.text == ORIGINAL  # neither part is mojibake
    assert decoded.encoding == f"mixed:utf-8,{encoding}"
    assert decoded.warnings == (
        f"the file mixes encodings: lines {_line_ranges([i + 1 for i in pasted])} decoded as {encoding}, "
        "the rest as UTF-8",
    )


def test_encoding_mixed_line_ranges_named() -> None:
    assert _line_ranges([3, 4, 5, 9]) == "3-5, 9"
    assert _line_ranges([1]) == "1"


def test_encoding_single_encoding_files_carry_no_mixed_warning() -> None:
    for fixture in ("paragraphs.utf8.txt", "paragraphs.tcvn3.txt", "paragraphs.cp1258.txt", "paragraphs.vni.txt"):
        assert detect_and_decode((DATA / fixture).read_bytes()).warnings == ()


def test_encoding_nul_bytes_removed_and_counted(tmp_path: Path) -> None:
    source = (DATA / "paragraphs.utf8.txt").read_bytes()
    cut = source.index(b" ", len(source) // 2)
    path = tmp_path / "nul.txt"
    path.write_bytes(source[:cut] + b"\x00" + source[cut:])
    document = read_document(path)
    assert "\x00" not in document.content
    assert any(w.startswith("1 NUL character removed") for w in document.source.warnings)
    clean = read_document(DATA / "paragraphs.utf8.txt")
    assert document.content == clean.content
    assert not any("NUL" in w for w in clean.source.warnings)


def test_encoding_nul_bytes_removed_by_every_reader_builder() -> None:
    from kehoach.models.document import SourceInfo
    from kehoach.pipeline.ingest.builder import ContentBuilder

    builder = ContentBuilder()
    builder.add("Kế\x00 hoạch")
    builder.add_row(["Sở\x00 Y tế", "\x00\x00"], table=0)
    document = builder.build(SourceInfo(path="x", sha256="0" * 64, format="docx", warnings=["kept"]))
    assert document.content == "Kế hoạch\n\nSở Y tế | "
    assert document.source.warnings == ["kept", "4 NUL characters removed (not text; PostgreSQL cannot store them)"]
    assert document.content[slice(*document.blocks[1].cells[0].span)] == "Sở Y tế"
