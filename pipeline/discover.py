"""Turn command-line paths into the list of files to process.

A folder that cannot be listed (no read or search permission, a broken
mount) is reported, never skipped in silence: ``Path.rglob`` drops such a
folder without a word, so a batch could miss a whole sub-folder of plans and
still exit 0.  The walk records each one with the reason, and ``ingest``
turns it into an ``ingest_errors`` row and a ``kehoach: FOLDER: …`` line.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kehoach.pipeline.ingest import DOCUMENT_SUFFIXES

_SKIPPED_NAMES = (".reference.txt",)
"""Reference renderings kept beside originals in the corpus are not plans of their own."""


def is_candidate(path: Path) -> bool:
    name = path.name.lower()
    if name.startswith(".") or name.endswith(_SKIPPED_NAMES):
        return False
    return path.suffix.lower() in DOCUMENT_SUFFIXES


@dataclass
class Discovery:
    files: list[Path] = field(default_factory=list)
    """Files to read, in a stable order, each once."""
    missing: list[Path] = field(default_factory=list)
    """Paths named on the command line that do not exist."""
    unreadable: list[tuple[Path, str]] = field(default_factory=list)
    """(folder, reason) for every folder the walk could not list."""


def _walk(folder: Path, unreadable: list[tuple[Path, str]]) -> list[Path]:
    def on_error(exc: OSError) -> None:
        reason = exc.strerror or type(exc).__name__
        message = f"folder cannot be read ({reason}): its documents were left out"
        unreadable.append((Path(exc.filename or folder), message))

    found: list[Path] = []
    for root, _dirs, names in os.walk(folder, onerror=on_error):
        found.extend(p for p in (Path(root) / name for name in names) if is_candidate(p) and p.is_file())
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
        if not path.exists():
            found.missing.append(path)
        elif path.is_dir():
            files.extend(_walk(path, found.unreadable))
        else:
            files.append(path)
    found.files = list(dict.fromkeys(files))
    return found


def discover(paths: Iterable[str | Path]) -> tuple[list[Path], list[Path]]:
    """Return (files to read, paths that do not exist); see :func:`discover_all` for unreadable folders."""
    found = discover_all(paths)
    return found.files, found.missing
