"""Errors a user can act on, each with the exit code the CLI documents.

A bad file never raises a traceback at the user: readers raise
:class:`IngestError` subclasses with a one-line reason, the CLI prints
``kehoach: FILE: reason`` and a folder run goes on with the next file.
"""

from __future__ import annotations

from pathlib import Path

EXIT_OK = 0
"""Every document was processed or unchanged, or skipped only for a missing optional system tool (a warning)."""
EXIT_FAILED_DOCUMENTS = 1
"""At least one input could not be read or extracted (the others were processed)."""
EXIT_USAGE = 2
"""Bad command line (typer/click's own code)."""
EXIT_NO_DOCUMENTS = 3
"""The paths given hold no document at all."""
EXIT_MISSING_PATH = 4
"""A path given on the command line does not exist."""


SKIPPED_ERRORS = frozenset({"MissingDependencyError"})
"""Error classes that skip a file with a warning instead of failing the run (exit 0): an optional system tool
(Tesseract for scans, LibreOffice for .doc) is absent, the rest of the batch is still the job, and the warning
names the Debian package to install.  Ingesting again after installing it reads the skipped files."""


class KehoachError(Exception):
    """Base of every error kehoach reports as one line instead of a traceback."""


class IngestError(KehoachError):
    """A file that cannot be turned into a ParsedDocument."""

    def __init__(self, path: str | Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


class EmptyDocumentError(IngestError):
    pass


class UnsupportedFormatError(IngestError):
    pass


class DamagedFileError(IngestError):
    pass


class EncryptedFileError(IngestError):
    pass


class MissingDependencyError(IngestError):
    """A system tool (Tesseract, its Vietnamese model) needed for this file is absent."""
