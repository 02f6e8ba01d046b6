"""Per-document resource limits: what one file may cost before it is refused.

A batch of thousands of files must not be stopped, or the machine exhausted,
by one of them: a zip bomb, a PDF whose page is one huge image, ``/dev/zero``
named on the command line, a fuzzed file that sends a parser into a loop.
Each limit fails *that file* with a one-line reason (an ``ingest_errors``
row), and the batch goes on.

Where each limit is enforced:

``max_bytes``
    Before a byte is read (``os.stat``), and only regular files are read at
    all: a FIFO, a device or a socket is refused at once (reading one blocks
    for ever or never ends).
``max_pages``
    By the PDF reader from the page count, before any page is parsed.
``max_chars``
    On the text read, before extraction; also bounds what a DOCX part or a
    PDF page may expand to (see :data:`MAX_PART_BYTES`).
``max_seconds``
    By the worker pool, which kills the worker holding the file when its time
    is up; in-process (one worker) by a ``SIGALRM`` timer in the main thread.
``max_memory``
    ``RLIMIT_AS`` of the process reading the file, on top of what it uses
    when it starts: an allocation past it fails (``MemoryError``), so the
    file fails, not the machine.

The defaults let the largest real plans through (a 500-page master plan is
read in ~20 s at under 200 MB, an 8 MB text in ~1.5 minutes; see the README's "Limits and guarantees").
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import stat
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kehoach.pipeline.errors import IngestError

if TYPE_CHECKING:
    import zipfile

MiB = 1 << 20
GiB = 1 << 30


class LimitExceededError(IngestError):
    """A document larger, longer or hungrier than a per-document limit allows (see :class:`Limits`)."""


@dataclass(frozen=True)
class Limits:
    """The per-document limits; ``None`` switches one off."""

    max_pages: int | None = 2000
    """PDF pages (the longest master plans run to a few hundred)."""
    max_chars: int | None = 20_000_000
    """Characters of text read from one file (an 8 MB plain-text plan has ~8 million)."""
    max_seconds: float | None = 600.0
    """Wall-clock seconds to read and extract one file (a 500-page PDF takes ~20 s, an 8 MB text ~1.5 minutes)."""
    max_memory: int | None = 4 * GiB
    """Bytes of address space one file may add to the process reading it."""
    max_bytes: int | None = 1 * GiB
    """Size of the file on disk."""

    def describe(self) -> dict[str, object]:
        """The limits as run arguments (stored with the ``ingest_runs`` row)."""
        return {
            "max_pages": self.max_pages,
            "max_chars": self.max_chars,
            "max_seconds": self.max_seconds,
            "max_memory": self.max_memory,
        }


DEFAULT_LIMITS = Limits()
MAX_PART_BYTES = 256 * MiB
"""Decompressed size of one DOCX part, checked from the ZIP directory before anything is inflated."""
MAX_ARCHIVE_BYTES = 1 * GiB
"""Decompressed size of all parts of a DOCX together."""
MAX_RENDER_PIXELS = 200_000_000
"""Pixels of one page image rendered for OCR (an A0 sheet at 300 dpi is 140 million)."""


def parse_size(text: str) -> int:
    """``4G``, ``512M``, ``100k`` or a number of bytes, for ``--max-memory``."""
    raw = text.strip().upper().removesuffix("B").removesuffix("I")
    factors = {"K": 1 << 10, "M": MiB, "G": GiB, "T": 1 << 40}
    factor = factors.get(raw[-1:], 1)
    number = raw[:-1] if raw[-1:] in factors else raw
    try:
        value = float(number)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a size (examples: 4G, 512M, 2000000000)") from exc
    if value <= 0:
        raise ValueError(f"{text!r}: a size must be positive")
    return int(value * factor)


def format_size(size: int) -> str:
    return f"{size / GiB:g} GB" if size >= GiB else f"{size / MiB:.0f} MB"


# --------------------------------------------------------------------------- what may be read


def display_path(path: str | Path) -> str:
    """``path`` as valid UTF-8 text, bytes that are not UTF-8 written ``\\xff``: how such a name is stored and shown.

    Linux file names are bytes; Python hands the undecodable ones over as lone surrogates
    (``surrogateescape``), which no database text column, JSON file or terminal accepts: a file named in
    Latin-1 used to fail the whole batch (``UnicodeEncodeError``) and end as neither a document nor an
    error row.  The file is still read under its real name; only what is written and printed is escaped.
    """
    return os.fsencode(path).decode("utf-8", "backslashreplace")


_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
)


def not_regular(mode: int) -> str | None:
    """What a file of ``mode`` is when it is not a regular file (None for a regular file)."""
    for test, name in _KINDS:
        if test(mode):
            return name
    return None if stat.S_ISREG(mode) else "not a regular file"


def check_readable(path: Path, limits: Limits = DEFAULT_LIMITS) -> int:
    """The size of ``path`` if it may be read; an :class:`IngestError` at once if not.

    ``stat`` never blocks, where ``open`` on a FIFO waits for a writer for ever and reading
    ``/dev/zero`` never ends: this runs before any of them.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError as exc:
        raise IngestError(path, "no such file") from exc
    except OSError as exc:
        raise IngestError(path, f"cannot be read ({exc.strerror})") from exc
    kind = not_regular(info.st_mode)
    if kind == "a folder":
        raise IngestError(path, "is a folder, not a document")
    if kind is not None:
        raise IngestError(path, f"is {kind}, not a document file: only regular files are read")
    if limits.max_bytes is not None and info.st_size > limits.max_bytes:
        raise LimitExceededError(
            path, f"{format_size(info.st_size)} on disk, above the {format_size(limits.max_bytes)} limit for one file"
        )
    return info.st_size


def check_chars(path: Path, chars: int, limits: Limits) -> None:
    if limits.max_chars is not None and chars > limits.max_chars:
        raise LimitExceededError(
            path, f"{chars:,} characters of text, above the limit of {limits.max_chars:,} (--max-chars)"
        )


def check_pages(path: Path, pages: int, limits: Limits) -> None:
    if limits.max_pages is not None and pages > limits.max_pages:
        raise LimitExceededError(path, f"{pages:,} pages, above the limit of {limits.max_pages:,} (--max-pages)")


def check_render(page: int, width_pt: float, height_pt: float, dpi: int) -> None:
    """Refuse to render a page for OCR whose image would hold more than :data:`MAX_RENDER_PIXELS`.

    A page's size is whatever the file says (up to 200 inches a side): a fuzzed or hostile PDF asked
    pdfium for a 14,400 × 14,400-point page, 3.6 billion pixels at 300 dpi, before a word was read.
    """
    pixels = (width_pt * dpi / 72) * (height_pt * dpi / 72)
    if pixels > MAX_RENDER_PIXELS:
        size = f"{width_pt / 72 * 2.54:.0f} × {height_pt / 72 * 2.54:.0f} cm"
        raise LimitExceededError(
            f"page {page}",
            f"page {page} is {size}: its image for OCR at {dpi} dpi would hold {pixels / 1e6:,.0f} million pixels, "
            f"above the limit of {MAX_RENDER_PIXELS / 1e6:,.0f} million",
        )


def check_archive(path: Path, parts: list[zipfile.ZipInfo]) -> None:
    """Refuse a zip bomb from the archive's directory, before a byte is inflated.

    The sizes there are what ``zipfile`` inflates at most: it stops at a part's stated size and fails
    the CRC check past it, so a part that lies about its size cannot grow beyond it either.
    """
    total = 0
    for part in parts:
        if part.file_size > MAX_PART_BYTES:
            raise LimitExceededError(
                path,
                f"Word document part {part.filename} would inflate to {format_size(part.file_size)}, "
                f"above the {format_size(MAX_PART_BYTES)} limit for one part (a zip bomb?)",
            )
        total += part.file_size
    if total > MAX_ARCHIVE_BYTES:
        raise LimitExceededError(
            path,
            f"the Word document would inflate to {format_size(total)}, above the {format_size(MAX_ARCHIVE_BYTES)} "
            "limit (a zip bomb?)",
        )


# --------------------------------------------------------------------------- memory and time


def address_space() -> int:
    """This process's address space in bytes, now (Linux ``/proc``; 0 where unknown)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            return int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


@contextlib.contextmanager
def memory_cap(max_memory: int | None) -> Iterator[None]:
    """Cap this process's address space at its present size plus ``max_memory`` while the block runs.

    Only the soft limit moves, so it can be raised back afterwards; the cap counts address space, not
    resident memory, because that is what the kernel can enforce on every allocation (mmap included).
    """
    if max_memory is None:
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = address_space() + max_memory
    for limit in (soft, hard):  # never looser than a limit the user set (ulimit -v)
        if limit != resource.RLIM_INFINITY:
            cap = min(cap, limit)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


class TimeLimitExceeded(LimitExceededError):
    """Reading and extracting one file took longer than ``--max-seconds``."""


def time_message(seconds: float) -> str:
    return f"stopped after {seconds:g} s, the time limit for one file (--max-seconds)"


@contextlib.contextmanager
def time_limit(path: Path | str, seconds: float | None) -> Iterator[None]:
    """Raise :class:`TimeLimitExceeded` in the block after ``seconds`` (main thread only; elsewhere a no-op).

    In-process extraction has no supervisor to kill it, so a ``SIGALRM`` timer interrupts the Python
    code (a C call returns first).  The worker pool does not need it: it kills the worker instead.
    """
    if seconds is None or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(_signum: int, _frame: object) -> None:
        raise TimeLimitExceeded(path, time_message(seconds))

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def memory_message(limits: Limits) -> str:
    assert limits.max_memory is not None
    return f"needed more than {format_size(limits.max_memory)} of memory, the limit for one file (--max-memory)"
