"""``kehoach extract`` on bad input: one line on stderr naming the file and the reason, a documented exit code.

Every bad file is generated in ``tmp_path`` (no binary fixtures): the bytes a
case feeds the command are visible in the case.  Exit codes are those of
:mod:`pipeline.errors`: 1 some documents failed, 3 no documents, 4 missing path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from kehoach.pipeline.cli import app
from kehoach.pipeline.errors import EXIT_FAILED_DOCUMENTS, EXIT_MISSING_PATH, EXIT_NO_DOCUMENTS
from typer.testing import CliRunner

REAL_PDF = Path(__file__).parent / "corpus" / "real" / "laocai-cv-7432-ubnd-xd-2026.pdf"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def encrypted_pdf() -> bytes:
    """A one-page PDF whose standard security handler wants a user password (not the empty one)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length 8 >>\nstream\n\x8f\x11\xa2\x07\x93\x1c\x55\x6e\nendstream",
        b"<< /Filter /Standard /V 1 /R 2 /Length 40 /P -44 /O <" + b"4f" * 32 + b"> /U <" + b"a5" * 32 + b"> >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Encrypt 5 0 R /ID [<" % (len(objects) + 1)
    out += b"0123456789abcdef0123456789abcdef> <0123456789abcdef0123456789abcdef>] >>\n"
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def good_plan(path: Path) -> Path:
    document = docx.Document()
    document.add_paragraph("KẾ HOẠCH")
    document.add_paragraph("Triển khai thực hiện chuyển đổi số năm 2026")
    document.add_paragraph(
        "1. Sở Khoa học và Công nghệ chủ trì, phối hợp với các sở, ngành; hoàn thành trong Quý II/2026."
    )
    document.save(str(path))
    return path


def run_cli(*args: str | Path) -> tuple[int, str, str, BaseException | None]:
    result = CliRunner().invoke(app, ["extract", *map(str, args)])
    exception = None if isinstance(result.exception, SystemExit) else result.exception
    return result.exit_code, result.stdout, result.stderr, exception


def assert_one_line_about(stderr: str, path: Path, *reason_words: str) -> None:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one stderr line, got: {stderr!r}"
    line = lines[0]
    assert "Traceback" not in stderr and line.startswith("kehoach: ")
    assert str(path) in line, line
    for word in reason_words:
        assert word.lower() in line.lower(), line


BAD_FILES: list[tuple[str, Callable[[], bytes], tuple[str, ...]]] = [
    ("empty.txt", lambda: b"", ("empty",)),
    ("blank.txt", lambda: b" \n\t\n", ("empty",)),
    ("zero.pdf", lambda: b"", ("empty",)),
    ("truncated.pdf", lambda: REAL_PDF.read_bytes()[:3000], ("damaged",)),
    ("encrypted.pdf", encrypted_pdf, ("password",)),
    ("photo.pdf", lambda: PNG_MAGIC + b"\x00\x00\x00\rIHDR" + os.urandom(64), ("image",)),
    ("old-plan.doc", lambda: OLE_MAGIC + os.urandom(4096), (".doc", "docx")),
    ("broken.docx", lambda: b"PK\x03\x04" + b"\x14\x00word/document.xml" + os.urandom(200), ("damaged",)),
]


@pytest.mark.parametrize(("name", "make", "reason_words"), BAD_FILES, ids=[case[0] for case in BAD_FILES])
def test_cli_bad_file_one_line_and_exit_1(tmp_path: Path, name: str, make, reason_words: tuple[str, ...]) -> None:
    path = tmp_path / name
    path.write_bytes(make())
    code, stdout, stderr, exception = run_cli(path)
    assert exception is None, f"uncaught {exception!r}"
    assert code == EXIT_FAILED_DOCUMENTS
    assert_one_line_about(stderr, path, *reason_words)
    assert stdout == ""


def test_cli_50_mb_random_file_is_refused_fast(tmp_path: Path) -> None:
    path = tmp_path / "random.bin"
    path.write_bytes(os.urandom(50 * 1024 * 1024))
    started = time.perf_counter()
    code, _, stderr, exception = run_cli(path)
    elapsed = time.perf_counter() - started
    assert exception is None and code == EXIT_FAILED_DOCUMENTS
    assert_one_line_about(stderr, path, "MB", "not a plan")
    assert elapsed < 10, f"took {elapsed:.1f}s: the size guard must refuse before decoding"


def test_cli_folder_without_documents_exits_3(tmp_path: Path) -> None:
    folder = tmp_path / "trong"
    folder.mkdir()
    (folder / "ghi-chu.json").write_text("{}", encoding="utf-8")  # not a document suffix
    code, _, stderr, exception = run_cli(folder)
    assert exception is None and code == EXIT_NO_DOCUMENTS
    assert_one_line_about(stderr, folder, "no documents")


def test_cli_missing_path_exits_4(tmp_path: Path) -> None:
    missing = tmp_path / "khong-co.pdf"
    code, _, stderr, exception = run_cli(missing)
    assert exception is None and code == EXIT_MISSING_PATH
    assert_one_line_about(stderr, missing, "no such file")


def test_cli_folder_run_goes_past_a_bad_file(tmp_path: Path) -> None:
    folder = tmp_path / "ke-hoach"
    folder.mkdir()
    bad = folder / "a-hong.pdf"  # sorted first: the run must go on after it
    bad.write_bytes(b"")
    good = good_plan(folder / "b-tot.docx")
    out = tmp_path / "out"
    code, stdout, stderr, exception = run_cli(folder, "--out", out)
    assert exception is None and code == EXIT_FAILED_DOCUMENTS
    assert_one_line_about(stderr, bad, "empty")
    written = json.loads((out / f"{good.name}.json").read_text(encoding="utf-8"))
    assert isinstance(written, dict) and written
    assert not (out / f"{bad.name}.json").exists()
    assert str(good) in stdout


def test_cli_real_command_prints_no_traceback(tmp_path: Path) -> None:
    """The installed ``kehoach`` script, not just the typer app, reports a bad file in one line."""
    script = Path(sys.executable).parent / "kehoach"
    if not script.exists():
        pytest.skip("kehoach console script not installed in this environment")
    bad = tmp_path / "old-plan.doc"
    bad.write_bytes(OLE_MAGIC + bytes(512))
    done = subprocess.run([str(script), "extract", str(bad)], capture_output=True, text=True, timeout=120)
    assert done.returncode == EXIT_FAILED_DOCUMENTS
    assert_one_line_about(done.stderr, bad, "libreoffice")
