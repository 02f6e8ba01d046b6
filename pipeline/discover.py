"""Turn command-line paths into the list of files to process.

A folder that cannot be listed (no read or search permission, a broken
mount) is reported, never skipped in silence: ``Path.rglob`` drops such a
folder without a word, so a batch could miss a whole sub-folder of plans and
still exit 0.  The walk records each one with the reason, and ``ingest``
turns it into an ``ingest_errors`` row and a ``kehoach: FOLDER: …`` line.

A path that is not a regular file (a FIFO, a device, a socket), named on the
command line or met in a folder, is refused the same way, at once: opening a
FIFO waits for a writer for ever and ``/dev/zero`` never ends.  No file name
is special: a user's ``plan.reference.txt`` is a document like any other (the
test corpus keeps reference renderings under that name, and the tests that
use them name them explicitly).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kehoach.pipeline.ingest import DOCUMENT_SUFFIXES
from kehoach.pipeline.limits import not_regular


def is_candidate(path: Path) -> bool:
    """Whether a folder walk takes ``path``: a document suffix (or none), not a hidden file."""
    return not path.name.startswith(".") and path.suffix.lower() in DOCUMENT_SUFFIXES


def refusal(path: Path) -> str | None:
    """Why ``path`` (which exists) is not read at all, or None for a regular file (symbolic links followed)."""
    try:
        kind = not_regular(path.stat().st_mode)
    except FileNotFoundError:
        return "a symbolic link to a file that does not exist"
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    return None if kind is None else f"is {kind}, not a document file: only regular files are read"


@dataclass
class Discovery:
    files: list[Path] = field(default_factory=list)
    """Files to read, in a stable order, each once."""
    missing: list[Path] = field(default_factory=list)
    """Paths named on the command line that do not exist."""
    unreadable: list[tuple[Path, str]] = field(default_factory=list)
    """(path, reason) for every folder the walk could not list and every path that is no regular file."""
    urls: list[str] = field(default_factory=list)
    """fsspec URLs (``s3://…``, ``file://…``), kept as given: Dask workers list and read them (``--scheduler``)."""


def _walk(folder: Path, unreadable: list[tuple[Path, str]]) -> list[Path]:
    def on_error(exc: OSError) -> None:
        reason = exc.strerror or type(exc).__name__
        message = f"folder cannot be read ({reason}): its documents were left out"
        unreadable.append((Path(exc.filename or folder), message))

    found: list[Path] = []
    for root, _dirs, names in os.walk(folder, onerror=on_error):
        for path in (Path(root) / name for name in names):
            if not is_candidate(path):
                continue
            reason = refusal(path)
            if reason is None:
                found.append(path)
            else:
                unreadable.append((path, reason))
    return sorted(found)


def discover_all(paths: Iterable[str | Path]) -> Discovery:
    """Files to read, missing paths and unreadable folders.

    A file named explicitly is always taken (its bytes decide what it is); a
    folder is walked recursively for document-like files in a stable order.
    """
    found = Discovery()
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if "://" in str(raw):
            found.urls.append(str(raw))
        elif not path.exists():
            found.missing.append(path)
        elif path.is_dir():
            files.extend(_walk(path, found.unreadable))
        elif (reason := refusal(path)) is not None:
            found.unreadable.append((path, reason))
        else:
            files.append(path)
    found.files = list(dict.fromkeys(files))
    return found


def discover(paths: Iterable[str | Path]) -> tuple[list[Path], list[Path]]:
    """Return (files to read, paths that do not exist); see :func:`discover_all` for unreadable folders."""
    found = discover_all(paths)
    return found.files, found.missing
