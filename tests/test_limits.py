"""Per-document limits and what may be read at all (issue 10, items 2 and 4; issue 8, item 11).

Every case is a real input: a FIFO, ``/dev/zero``, a zip bomb, a PDF page too large to render, a plan
cut short by ``--max-pages`` or ``--max-chars``, a file name that is not UTF-8.  Each must fail that
one file with a one-line reason, at once, and never hang or take the process down.
"""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest
from kehoach.pipeline.cli import app
from kehoach.pipeline.discover import discover_all
from kehoach.pipeline.errors import IngestError
from kehoach.pipeline.ingest import read_document
from kehoach.pipeline.limits import (
    LimitExceededError,
    Limits,
    TimeLimitExceeded,
    display_path,
    memory_cap,
    parse_size,
    time_limit,
)
from typer.testing import CliRunner

CORPUS = Path(__file__).parent / "corpus"
DEV = CORPUS / "dev"
REAL = CORPUS / "real"
PDF = CORPUS / "dev-bin" / "000_8544ea3e62a3c3aa.pdf"
SMALL_TEXT = min(DEV.glob("*.txt"), key=lambda p: p.stat().st_size)


def _read_within(path: Path, seconds: float = 5.0, **limits: object) -> BaseException | None:
    """``read_document(path)`` in a thread: the exception it raised, or a failure if it is still reading."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            read_document(path, limits=Limits(**limits))  # type: ignore[arg-type]
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"read_document({path}) still reading after {seconds} s"
    return outcome[0]


def test_limits_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "plan.txt"
    os.mkfifo(fifo)
    error = _read_within(fifo)
    assert isinstance(error, IngestError)
    assert "named pipe" in error.reason and "only regular files" in error.reason


def test_limits_devices_are_refused_without_reading() -> None:
    for device in ("/dev/zero", "/dev/urandom"):
        error = _read_within(Path(device))
        assert isinstance(error, IngestError), device
        assert "character device" in error.reason


def test_limits_cli_refuses_fifo_and_device_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.pdf"
    os.mkfifo(fifo)
    for command in (["extract"], ["ingest", "--db", str(tmp_path / "k.db"), "--no-progress"]):
        began = time.monotonic()
        result = CliRunner().invoke(app, [*command, str(fifo), "/dev/zero"])
        assert time.monotonic() - began < 10
        assert result.exit_code == 1, result.output
        assert f"kehoach: {fifo}: is a named pipe (FIFO)" in result.output
        assert "kehoach: /dev/zero: is a character device" in result.output
        assert "Traceback" not in result.output


def test_limits_fifo_in_a_folder_is_reported_and_the_rest_read(tmp_path: Path) -> None:
    (tmp_path / "plan.txt").write_bytes(SMALL_TEXT.read_bytes())
    os.mkfifo(tmp_path / "pipe.txt")
    found = discover_all([tmp_path])
    assert found.files == [tmp_path / "plan.txt"]
    assert [(path.name, "named pipe" in reason) for path, reason in found.unreadable] == [("pipe.txt", True)]


def test_limits_reference_txt_is_a_document_like_any_other(tmp_path: Path) -> None:
    """A user's ``plan.reference.txt`` is walked and read (the corpus' naming means nothing to the product)."""
    (tmp_path / "plan.reference.txt").write_bytes(SMALL_TEXT.read_bytes())
    (tmp_path / "plan.txt").write_bytes(SMALL_TEXT.read_bytes() + b"\n")
    found = discover_all([tmp_path])
    assert sorted(path.name for path in found.files) == ["plan.reference.txt", "plan.txt"]
    result = CliRunner().invoke(app, ["extract", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "plan.reference.txt:" in result.output


def test_limits_max_pages_refuses_a_longer_pdf_before_reading_it() -> None:
    pages = read_document(PDF).source.pages
    assert pages and pages > 1
    error = _read_within(PDF, max_pages=pages - 1)
    assert isinstance(error, LimitExceededError)
    assert error.reason == f"{pages:,} pages, above the limit of {pages - 1:,} (--max-pages)"
    assert _read_within(PDF, max_pages=pages) is None


def test_limits_max_chars_counts_the_text_read(tmp_path: Path) -> None:
    chars = len(read_document(SMALL_TEXT).content)
    error = _read_within(SMALL_TEXT, max_chars=chars - 1)
    assert isinstance(error, LimitExceededError) and f"{chars:,} characters" in error.reason
    assert _read_within(SMALL_TEXT, max_chars=chars) is None


def test_limits_max_bytes_refuses_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    with big.open("wb") as handle:
        handle.truncate(3 << 20)  # sparse: 3 MB on paper, nothing read
    error = _read_within(big, max_bytes=2 << 20)
    assert isinstance(error, LimitExceededError) and "on disk" in error.reason


def test_limits_docx_zip_bomb_is_refused_from_the_zip_directory(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.docx"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"<" + b" " * (300 << 20))
    bomb.write_bytes(buffer.getvalue())
    assert bomb.stat().st_size < 1 << 20
    error = _read_within(bomb)
    assert isinstance(error, LimitExceededError)
    assert "word/document.xml would inflate to 300 MB" in error.reason


def test_limits_page_too_large_to_render_is_refused(tmp_path: Path) -> None:
    """A 5-metre page with a scanned image: rendering it for OCR would take 3.6 billion pixels."""
    import pypdfium2 as pdfium
    from PIL import Image, ImageDraw

    document = pdfium.PdfDocument.new()
    page = document.new_page(14400, 14400)
    picture = Image.new("L", (200, 200), 255)
    ImageDraw.Draw(picture).text((10, 90), "Ke hoach so 12", fill=0)
    image = pdfium.PdfImage.new(document)
    image.set_bitmap(pdfium.PdfBitmap.from_pil(picture))
    image.set_matrix(pdfium.PdfMatrix().scale(14400, 14400))
    page.insert_obj(image)
    page.gen_content()
    target = tmp_path / "huge.pdf"
    document.save(str(target))
    error = _read_within(target)
    assert isinstance(error, IngestError)
    if "OCR" in error.reason and "tesseract" in error.reason.lower() and "pixels" not in error.reason:
        pytest.skip("Tesseract is not installed: the page is refused for that before it is rendered")
    assert isinstance(error, LimitExceededError), error.reason
    assert "page 1 is 508 × 508 cm" in error.reason and "3,600 million pixels" in error.reason


def test_limits_time_limit_interrupts_in_process_work() -> None:
    began = time.monotonic()
    with pytest.raises(TimeLimitExceeded, match="stopped after 0.2 s"), time_limit("plan.pdf", 0.2):
        while True:
            sum(range(1000))
    assert time.monotonic() - began < 2


def test_limits_memory_cap_fails_an_allocation_and_is_lifted_after() -> None:
    with pytest.raises(MemoryError), memory_cap(64 << 20):
        bytearray(512 << 20)
    assert len(bytearray(256 << 20)) == 256 << 20  # the cap is gone


def test_limits_cli_max_memory_and_max_seconds_fail_one_file(tmp_path: Path) -> None:
    """``extract`` in a process of its own: an 8 MB plan under a 40 MB cap, then under a 0.5 s limit."""
    plan = tmp_path / "plan.txt"
    plan.write_bytes(max(DEV.glob("*.txt"), key=lambda p: p.stat().st_size).read_bytes() * 40)
    small = tmp_path / "small.txt"
    small.write_bytes(SMALL_TEXT.read_bytes())
    command = [sys.executable, "-m", "kehoach", "extract", str(plan), str(small)]
    for options, message in (
        (["--max-memory", "40M"], "needed more than 40 MB of memory, the limit for one file (--max-memory)"),
        (["--max-seconds", "0.5"], "stopped after 0.5 s, the time limit for one file (--max-seconds)"),
    ):
        done = subprocess.run([*command, *options], capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 1, done.stderr
        assert f"kehoach: {plan}: {message}" in done.stderr
        assert f"{small}: " in done.stdout  # the next file is read as usual
        assert "Traceback" not in done.stderr


def test_limits_parse_size() -> None:
    assert parse_size("4G") == 4 << 30
    assert parse_size("512M") == 512 << 20
    assert parse_size("1.5GiB") == int(1.5 * (1 << 30))
    assert parse_size("100k") == 100 << 10
    assert parse_size("2000000") == 2_000_000
    for bad in ("lots", "-1G", "0"):
        with pytest.raises(ValueError):
            parse_size(bad)


def test_limits_cli_rejects_a_bad_size() -> None:
    result = CliRunner().invoke(app, ["extract", str(SMALL_TEXT), "--max-memory", "lots"])
    assert result.exit_code == 2
    assert "not a size" in result.output


def test_limits_non_utf8_names_end_as_a_document_and_an_error_row(tmp_path: Path) -> None:
    """Latin-1 bytes in a name: stored and shown escaped (``\\xe9``), never a failed batch."""
    folder = tmp_path / "plans"
    folder.mkdir()
    good = Path(os.fsdecode(os.fsencode(folder) + b"/k\xe9 ho\xe1ch.txt"))
    empty = Path(os.fsdecode(os.fsencode(folder) + b"/tr\xf4ng.txt"))
    good.write_bytes(SMALL_TEXT.read_bytes())
    empty.write_bytes(b"")
    db = tmp_path / "k.db"
    result = CliRunner().invoke(app, ["ingest", str(folder), "--db", str(db), "--no-progress", "--workers", "1"])
    assert result.exit_code == 1, result.output
    assert "tr\\xf4ng.txt: file is empty" in result.output
    with sqlite3.connect(db) as connection:
        documents = [row[0] for row in connection.execute("SELECT source_path FROM documents")]
        errors = [row[0] for row in connection.execute("SELECT path FROM ingest_errors")]
    assert documents == [display_path(good.resolve())]
    assert documents[0].endswith("/k\\xe9 ho\\xe1ch.txt")
    assert errors == [display_path(empty.resolve())]


def _one_page_pdf(content: bytes, extra: bytes = b"") -> bytes:
    """A minimal PDF: one page whose content stream is ``content`` (already deflated), plus ``extra`` objects."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    if extra:
        objects.append(extra)
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_limits_pdf_flate_bomb_is_refused_before_parsing(tmp_path: Path) -> None:
    """300 MB of blanks in a 300 kB stream: refused from the bytes, without pdfium inflating it (2 GB before)."""
    import resource
    import zlib

    deflate = zlib.compressobj(9)
    content = b"".join(deflate.compress(b" " * (1 << 20)) for _ in range(300)) + deflate.flush()
    bomb = tmp_path / "bomb.pdf"
    bomb.write_bytes(_one_page_pdf(content))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    error = _read_within(bomb, seconds=30)
    assert isinstance(error, LimitExceededError)
    assert "would inflate past 256 MB, the limit for one PDF stream" in error.reason
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100 << 10  # KB: under 100 MB more


def test_limits_pdf_huge_image_is_refused(tmp_path: Path) -> None:
    image = b"<< /Type /XObject /Subtype /Image /Width 100000 /Height 100000 /ColorSpace /DeviceGray " \
        b"/BitsPerComponent 8 /Length 1 >>\nstream\n\x00\nendstream"  # fmt: skip
    target = tmp_path / "image.pdf"
    target.write_bytes(_one_page_pdf(b"", image))
    error = _read_within(target)
    assert isinstance(error, LimitExceededError)
    assert "an image of 100,000 × 100,000 pixels" in error.reason


def test_limits_ingest_max_pages_is_an_error_row_and_the_batch_goes_on(tmp_path: Path) -> None:
    db = tmp_path / "k.db"
    options = ["--db", str(db), "--no-progress", "--workers", "1", "--max-pages", "1"]
    result = CliRunner().invoke(app, ["ingest", str(PDF), str(SMALL_TEXT), *options])
    assert result.exit_code == 1, result.output
    assert "pages, above the limit of 1 (--max-pages) (LimitExceededError)" in result.output
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT count(*) FROM documents").fetchone() == (1,)
        errors = connection.execute("SELECT path, error_class FROM ingest_errors").fetchall()
    assert errors == [(str(PDF.resolve()), "LimitExceededError")]


def test_limits_socket_is_refused(tmp_path: Path) -> None:
    import socket

    path = tmp_path / "plan.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(path))
        error = _read_within(path)
        assert isinstance(error, IngestError) and "is a socket, not a document file" in error.reason
        assert [reason for _, reason in discover_all([tmp_path]).unreadable] == []  # .sock: no document suffix
        assert "a socket" in discover_all([path]).unreadable[0][1]


def test_limits_extract_shows_a_non_utf8_name_escaped(tmp_path: Path) -> None:
    plan = Path(os.fsdecode(os.fsencode(tmp_path) + b"/k\xe9.txt"))
    plan.write_bytes(SMALL_TEXT.read_bytes())
    done = subprocess.run([sys.executable, "-m", "kehoach", "extract", str(plan)], capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode("utf-8").startswith(f"{os.fsencode(tmp_path).decode()}/k\\xe9.txt: ")


def test_limits_extract_json_of_a_non_utf8_name_is_valid_utf8(tmp_path: Path) -> None:
    """The extraction JSON records the name escaped: ``--out`` wrote nothing but a traceback before."""
    import json

    plan = Path(os.fsdecode(os.fsencode(tmp_path) + b"/k\xe9.txt"))
    plan.write_bytes(SMALL_TEXT.read_bytes())
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["extract", str(plan), "--out", str(out)])
    assert result.exit_code == 0, result.output
    (written,) = out.iterdir()
    payload = json.loads(written.read_bytes().decode("utf-8"))
    assert payload["source"]["path"] == display_path(plan)
    assert payload["source"]["path"].endswith("/k\\xe9.txt")
    assert read_document(plan).source.path == display_path(plan)
