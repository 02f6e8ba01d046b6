"""Read a legacy Word ``.doc`` (Word 97-2003, an OLE compound file) through LibreOffice.

Provincial offices still publish plans as ``.doc``.  Its binary format
(MS-DOC) is not something to parse by hand: LibreOffice's Word import is the
mature free reader, so the file is converted to ``.docx`` by ``soffice
--headless --convert-to docx`` in a private temporary folder and read by the
ordinary DOCX reader (:mod:`pipeline.ingest.docx`).  What the reader returns
still describes the original: its path and the SHA-256 of the ``.doc`` bytes
(so re-ingesting the same ``.doc`` is "unchanged"), and a warning saying the
text went through LibreOffice.

Decisions that keep this safe in a batch:

* **Checked before LibreOffice sees it.**  An OLE file is a Word document only
  when its directory names a ``WordDocument`` stream and that stream starts
  with a File Information Block (magic ``0xA5EC``).  Excel, PowerPoint or
  Outlook files and random bytes behind an OLE signature are refused at once;
  left to itself LibreOffice would import them *as plain text* and hand back
  garbage that looks like a document.  The FIB's version also picks the
  import filter (Word 97+ / Word 95 / Word 6), which is passed explicitly so
  LibreOffice never falls back to a text import on a damaged file.  A
  password-protected ``.doc`` (FIB flag ``fEncrypted``) is refused with its
  own reason: headless LibreOffice cannot ask for the password.
* **One private profile per conversion** (``-env:UserInstallation``): two
  conversions sharing a profile, as parallel workers would, clash on its lock
  and one silently converts nothing.  A fresh profile costs little (a
  conversion takes about 0.8 s on this corpus, profile creation included).
* **A timeout and its own process group**: ``soffice`` is a script that
  starts ``oosplash`` and ``soffice.bin``; on timeout the whole group is
  killed, so a file that makes LibreOffice loop cannot hang a batch.
* Everything (copy of the input, profile, output) lives in one temporary
  folder removed afterwards, whatever happened.
"""

from __future__ import annotations

import os
import shutil
import signal
import struct
import subprocess
import tempfile
from pathlib import Path
from typing import cast, get_args

from kehoach.models.document import ParsedDocument, SourceFormat
from kehoach.pipeline.errors import DamagedFileError, EncryptedFileError, MissingDependencyError, UnsupportedFormatError
from kehoach.pipeline.ingest import source_info
from kehoach.pipeline.ingest.docx import read_docx

CONVERT_TIMEOUT_SECONDS = 60
"""A plan converts in about a second; a minute means LibreOffice is stuck (a .doc with a zeroed text stream loops)."""
INSTALL_HINT = (
    "install the Debian package libreoffice-writer-nogui "
    "(apt-get install --no-install-recommends libreoffice-writer-nogui), "
    "or convert the file to .docx first (libreoffice --headless --convert-to docx)"
)
CONVERTED_WARNING = "converted from legacy .doc by LibreOffice"
SOFFICE_NAMES = ("soffice", "libreoffice")

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_WORD_STREAM_NAME = "WordDocument".encode("utf-16-le")
_FIB_MAGIC = 0xA5EC
_FIB_ENCRYPTED = 0x0100
_SECTOR_ALIGNMENT = 512
"""OLE sectors are 512 or 4096 bytes; a stream of 4096 bytes or more (WordDocument always is) starts on one."""
_FIRST_WORD97_FIB = 0xC0
"""``nFib`` of Word 97 (0xC0-0xC2; later versions keep 0xC1 in the base FIB). Word 95 writes 0x68, Word 6 0x65."""
_LAST_WORD6_FIB = 0x65
_FIB_VERSIONS = range(_LAST_WORD6_FIB, 0x0200)
"""``nFib`` values a real FIB holds: a sector that merely starts with the magic bytes is not one."""

_FORMAT: SourceFormat = cast(SourceFormat, "doc" if "doc" in get_args(SourceFormat) else "docx")
"""``SourceInfo.format``: "doc" once models.document allows it; until then "docx" plus :data:`CONVERTED_WARNING`."""


def read_doc(path: Path, data: bytes) -> ParsedDocument:
    """Read one legacy ``.doc``; raise an :class:`IngestError` subclass with a one-line reason if it cannot be."""
    import_filter = word_import_filter(path, data)
    soffice = find_soffice()
    if soffice is None:
        raise MissingDependencyError(
            path, f"legacy Word .doc file needs LibreOffice, which is not installed: {INSTALL_HINT}"
        )
    converted = convert_to_docx(path, data, soffice, import_filter)
    parsed = read_docx(path, converted)
    source = parsed.source
    info = source_info(
        path,
        data,
        _FORMAT,
        pages=source.pages,
        encoding=source.encoding,
        warnings=[CONVERTED_WARNING, *source.warnings],
    )
    return parsed.model_copy(update={"source": info})


def find_soffice() -> str | None:
    """The LibreOffice command on PATH (looked up on every call: it is cheap and tests change PATH)."""
    for name in SOFFICE_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


# --------------------------------------------------------------------------- checking the OLE file


def word_import_filter(path: Path, data: bytes) -> str:
    """The LibreOffice import filter for this Word file, or a clear refusal if it is not a readable one."""
    if not data.startswith(_OLE_MAGIC):
        raise DamagedFileError(path, "damaged legacy Word .doc file: no OLE compound-file signature")
    if _WORD_STREAM_NAME not in data:
        raise UnsupportedFormatError(
            path,
            "an Office 97-2003 (OLE) file with no WordDocument stream: a damaged legacy Word .doc, or an Excel, "
            "PowerPoint or Outlook file; open it in Word or LibreOffice and save it as .docx",
        )
    fib = _find_fib(data)
    if fib is None:
        raise DamagedFileError(
            path,
            "damaged legacy Word .doc file: its WordDocument stream has no File Information Block; "
            "open it in Word or LibreOffice and save it as .docx",
        )
    version, flags = fib
    if flags & _FIB_ENCRYPTED:
        raise EncryptedFileError(
            path, "the legacy Word .doc is password-protected: open it with the password and save a copy without it"
        )
    if version >= _FIRST_WORD97_FIB:
        return "MS Word 97"
    return "MS WinWord 6.0" if version <= _LAST_WORD6_FIB else "MS Word 95"


def _find_fib(data: bytes) -> tuple[int, int] | None:
    """``(nFib, flags)`` of the WordDocument stream's File Information Block, found on a sector boundary.

    A full OLE directory walk is not needed to tell a Word file: the
    ``WordDocument`` name must be in the directory (checked by the caller) and
    the FIB magic with a plausible version at the start of some sector.
    Random bytes pass both with odds far below one in a million.
    """
    for offset in range(_SECTOR_ALIGNMENT, len(data) - 12, _SECTOR_ALIGNMENT):
        magic, version, _product, _language, _next, flags = struct.unpack_from("<HHHHHH", data, offset)
        if magic == _FIB_MAGIC and version in _FIB_VERSIONS:
            return version, flags
    return None


# --------------------------------------------------------------------------- converting


def convert_to_docx(path: Path, data: bytes, soffice: str, import_filter: str) -> bytes:
    """The bytes of the ``.docx`` LibreOffice makes from ``data``, in a temporary folder it then removes."""
    with tempfile.TemporaryDirectory(prefix="kehoach-doc-", ignore_cleanup_errors=True) as work:
        folder = Path(work)
        source = folder / "input.doc"  # our own name: the original's may hold characters soffice's URL parsing dislikes
        source.write_bytes(data)
        out = folder / "out"
        command = [
            soffice,
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--nologo",
            f"--infilter={import_filter}",
            "--convert-to",
            "docx",
            "--outdir",
            str(out),
            str(source),
        ]
        stderr = _run(path, command)
        result = out / "input.docx"
        if not result.is_file() or result.stat().st_size == 0:
            detail = _soffice_error(stderr)
            raise DamagedFileError(
                path,
                "damaged legacy Word .doc file: LibreOffice could not convert it to .docx"
                + (f" ({detail})" if detail else ""),
            )
        return result.read_bytes()


def _run(path: Path, command: list[str]) -> str:
    """Run soffice in its own process group; return its stderr; kill the whole group on timeout."""
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        raise MissingDependencyError(path, f"LibreOffice cannot be started ({exc.strerror}): {INSTALL_HINT}") from exc
    try:
        _, stderr = process.communicate(timeout=CONVERT_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired as exc:
        _kill_group(process)
        raise DamagedFileError(
            path,
            f"legacy Word .doc file: LibreOffice did not finish converting it in {CONVERT_TIMEOUT_SECONDS} s "
            "(damaged, or too large); save it as .docx in Word",
        ) from exc
    return stderr.decode("utf-8", "replace")


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()
    process.communicate()


def _soffice_error(stderr: str) -> str:
    """LibreOffice's own reason ("source file could not be loaded"), without its java and locale chatter."""
    for line in stderr.splitlines():
        line = line.strip()
        if line.lower().startswith("error:"):
            return line.split(":", 1)[1].strip().rstrip(".")[:200]
    return ""
