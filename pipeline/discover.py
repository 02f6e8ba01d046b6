"""Turn command-line paths into the list of files to process."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pipeline.ingest import DOCUMENT_SUFFIXES

_SKIPPED_NAMES = (".reference.txt",)
"""Reference renderings kept beside originals in the corpus are not plans of their own."""


def is_candidate(path: Path) -> bool:
    name = path.name.lower()
    if name.startswith(".") or name.endswith(_SKIPPED_NAMES):
        return False
    return path.suffix.lower() in DOCUMENT_SUFFIXES


def discover(paths: Iterable[str | Path]) -> tuple[list[Path], list[Path]]:
    """Return (files to read, paths that do not exist).

    A file named explicitly is always taken (its bytes decide what it is); a
    folder is walked recursively for document-like files in a stable order.
    """
    files: list[Path] = []
    missing: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            missing.append(path)
        elif path.is_dir():
            files.extend(p for p in sorted(path.rglob("*")) if p.is_file() and is_candidate(p))
        else:
            files.append(path)
    unique = list(dict.fromkeys(files))
    return unique, missing
