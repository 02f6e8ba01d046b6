"""Legacy Word .doc reader: a real Lâm Đồng plan read through LibreOffice, and every way a .doc can fail.

The real file is ``tests/corpus/real/lamdong-kh-ubnd-2026-pcmt-xa-phuong-dac-khu-khong-ma-tuy.doc``
(Word 97-2003, as published); its plain-text version is ``tests/corpus/dev/<same name>.txt``
and both share one gold.
Damaged files are made from the real file's bytes, so the OLE structure they
break is a real one.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import struct
import tempfile
import threading
import time
from pathlib import Path

import pytest
from kehoach.pipeline.errors import DamagedFileError, EncryptedFileError, MissingDependencyError, UnsupportedFormatError
from kehoach.pipeline.ingest import doc as legacy_doc
from kehoach.pipeline.ingest import read_document
from kehoach.pipeline.ingest.doc import CONVERTED_WARNING, find_soffice, read_doc, word_import_filter

from tests.conftest import DEV, GOLD, REAL

try:
    from tests.fidelity import fidelity
except ModuleNotFoundError:  # pytest puts tests/ itself on sys.path
    from fidelity import fidelity  # type: ignore[no-redef]

NAME = "lamdong-kh-ubnd-2026-pcmt-xa-phuong-dac-khu-khong-ma-tuy"
REAL_DOC = REAL / f"{NAME}.doc"
TEXT = DEV / f"{NAME}.txt"
TEXT_GOLD = GOLD / f"{NAME}.txt.json"

NO_SOFFICE = find_soffice() is None
needs_soffice = pytest.mark.skipif(NO_SOFFICE, reason="LibreOffice (libreoffice-writer-nogui) is not installed")

FIB_OFFSET = 512
"""Where the real file's WordDocument stream, and so its File Information Block, starts (first sector)."""


def real_bytes() -> bytes:
    return REAL_DOC.read_bytes()


def with_fib(data: bytes, *, version: int | None = None, flags: int | None = None) -> bytes:
    """The real file with its FIB's nFib (offset 2) or flags word (offset 10) replaced."""
    patched = bytearray(data)
    assert struct.unpack_from("<H", patched, FIB_OFFSET)[0] == 0xA5EC, "the real file's FIB moved"
    if version is not None:
        struct.pack_into("<H", patched, FIB_OFFSET + 2, version)
    if flags is not None:
        struct.pack_into("<H", patched, FIB_OFFSET + 10, flags)
    return bytes(patched)


@pytest.fixture(scope="module")
def parsed():
    if NO_SOFFICE:
        pytest.skip("LibreOffice (libreoffice-writer-nogui) is not installed")
    return read_document(REAL_DOC)


# --------------------------------------------------------------------------- the real document


def test_doc_real_plan_keeps_the_original_as_its_source(parsed) -> None:
    source = parsed.source
    assert source.path == str(REAL_DOC)
    assert source.sha256 == hashlib.sha256(real_bytes()).hexdigest()
    assert source.format in {"doc", "docx"}
    assert CONVERTED_WARNING in source.warnings


def test_doc_real_plan_reads_letterhead_and_headings_as_blocks(parsed) -> None:
    texts = [parsed.text_of(block.span) for block in parsed.blocks]
    assert "ỦY BAN NHÂN DÂN" in texts and "TỈNH LÂM ĐỒNG" in texts
    assert "Số: /KH-UBND" in texts
    assert any(text.startswith("Lâm Đồng, ngày") for text in texts)
    assert "I. MỤC ĐÍCH, YÊU CẦU" in texts
    assert parsed.content.index("KẾ HOẠCH") < parsed.content.index("I. MỤC ĐÍCH, YÊU CẦU")


def test_doc_real_plan_reproduces_its_text_version_word_for_word(parsed) -> None:
    result = fidelity(parsed.content, TEXT.read_text(encoding="utf-8"))
    assert result.reference_words > 8000
    assert result.in_order >= 0.99, result


@pytest.mark.slow
@needs_soffice
def test_doc_real_plan_scores_as_its_text_version() -> None:
    """The .doc and its .txt are the same plan: scored on the same gold, the .doc must do as well."""
    from kehoach.extractors.extract import extract

    from tests.eval import score

    gold = json.loads(TEXT_GOLD.read_text(encoding="utf-8"))

    def scores(path: Path) -> dict:
        tally = score.Tally()
        score.score_document(gold, extract(read_document(path)).to_contract(), tally)
        return score.summary(tally)

    text_scores, doc_scores = scores(TEXT), scores(REAL_DOC)
    assert text_scores["task_f1"] > 0.5, text_scores  # the comparison means something only if the text scores
    for metric, value in text_scores.items():
        assert doc_scores[metric] >= value, (metric, doc_scores, text_scores)


@needs_soffice
def test_doc_concurrent_conversions_do_not_clash(tmp_path: Path) -> None:
    """Parallel workers convert at once: each has its own LibreOffice profile, so both succeed."""
    results: dict[int, str] = {}
    errors: list[BaseException] = []

    def convert(i: int) -> None:
        try:
            results[i] = read_doc(tmp_path / f"copy-{i}.doc", real_bytes()).content
        except BaseException as exc:  # collected: a thread's exception would otherwise vanish
            errors.append(exc)

    threads = [threading.Thread(target=convert, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert results[0] == results[1] and "KẾ HOẠCH" in results[0]


@needs_soffice
def test_doc_conversion_leaves_no_temporary_files(tmp_path: Path, monkeypatch) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    read_doc(REAL_DOC, real_bytes())
    with pytest.raises(DamagedFileError):
        read_doc(tmp_path / "broken.doc", broken_difat(real_bytes()))
    assert list(scratch.iterdir()) == []


# --------------------------------------------------------------------------- refusals and failures


def broken_difat(data: bytes) -> bytes:
    """The real file with its header's FAT sector list zeroed: the streams cannot be located."""
    return data[:0x4C] + bytes(0x200 - 0x4C) + data[0x200:]


@needs_soffice
def test_doc_damaged_file_gives_libreoffice_reason(tmp_path: Path) -> None:
    path = tmp_path / "hong.doc"
    with pytest.raises(DamagedFileError) as caught:
        read_doc(path, broken_difat(real_bytes()))
    reason = caught.value.reason
    assert "damaged legacy Word .doc" in reason and "LibreOffice could not convert" in reason
    assert caught.value.path == str(path)


@pytest.mark.parametrize(
    ("name", "make", "error", "words"),
    [
        ("random", lambda d: d[:8] + os.urandom(8192), UnsupportedFormatError, ("WordDocument", ".docx")),
        ("truncated", lambda d: d[: len(d) // 2], UnsupportedFormatError, ("WordDocument", ".docx")),
        (
            "no-fib",
            lambda d: d[:FIB_OFFSET] + bytes(4096) + d[FIB_OFFSET + 4096 :],
            DamagedFileError,
            ("File Information Block",),
        ),
        ("encrypted", lambda d: with_fib(d, flags=0x0100), EncryptedFileError, ("password",)),
        ("not-ole", lambda d: b"\x00" * 8 + d[8:], DamagedFileError, ("OLE",)),
    ],
)
def test_doc_refused_before_libreoffice(tmp_path: Path, monkeypatch, name, make, error, words) -> None:
    """Files that are not readable Word 97-2003 are refused from their bytes, without starting LibreOffice."""
    monkeypatch.setattr(legacy_doc, "convert_to_docx", lambda *args: pytest.fail("LibreOffice was started"))
    with pytest.raises(error) as caught:
        read_doc(tmp_path / f"{name}.doc", make(real_bytes()))
    for word in words:
        assert word in caught.value.reason


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        (0xC1, "MS Word 97"),
        (0xC0, "MS Word 97"),
        (0x0101, "MS Word 97"),
        (0x68, "MS Word 95"),
        (0x65, "MS WinWord 6.0"),
    ],
)
def test_doc_import_filter_follows_fib_version(version: int, expected: str) -> None:
    assert word_import_filter(Path("x.doc"), with_fib(real_bytes(), version=version)) == expected


def test_doc_fib_with_impossible_version_is_not_a_fib(tmp_path: Path) -> None:
    with pytest.raises(DamagedFileError):
        word_import_filter(tmp_path / "x.doc", with_fib(real_bytes(), version=0xFFFF))


def test_doc_without_libreoffice_names_the_package(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no soffice, no libreoffice
    with pytest.raises(MissingDependencyError) as caught:
        read_document(REAL_DOC)
    assert "libreoffice-writer-nogui" in caught.value.reason and ".docx" in caught.value.reason


def fake_soffice(folder: Path, body: str) -> None:
    script = folder / "soffice"
    script.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


def test_doc_hung_conversion_is_killed_with_its_children(tmp_path: Path, monkeypatch) -> None:
    """soffice starts soffice.bin: on timeout the whole process group goes, not just the script."""
    pid_file = tmp_path / "child.pid"
    fake_soffice(tmp_path, f"/bin/sleep 300 & echo $! > {pid_file}\nwait")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(legacy_doc, "CONVERT_TIMEOUT_SECONDS", 1)
    started = time.perf_counter()
    with pytest.raises(DamagedFileError) as caught:
        read_doc(tmp_path / "treo.doc", real_bytes())
    assert time.perf_counter() - started < 10
    assert "did not finish" in caught.value.reason
    assert not running(int(pid_file.read_text().strip()))


def running(pid: int) -> bool:
    """Whether ``pid`` still runs: a killed child re-parented to a slow init lingers as a zombie (state Z)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in {"Z", "X"}


def test_doc_conversion_without_output_is_damaged(tmp_path: Path, monkeypatch) -> None:
    """LibreOffice exits 0 when it cannot load a file; the missing output is what tells."""
    fake_soffice(tmp_path, 'echo "Error: source file could not be loaded" >&2\nexit 0')
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(DamagedFileError) as caught:
        read_doc(tmp_path / "x.doc", real_bytes())
    assert caught.value.reason.endswith("(source file could not be loaded)")
