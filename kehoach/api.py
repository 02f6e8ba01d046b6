"""The documented Python API: read, extract, ingest, each a thin door onto the pipeline.

These are the entry points a notebook or a data team's own job should use; everything else
under ``kehoach.pipeline`` and ``kehoach.extractors`` may change between releases.
"""

from __future__ import annotations

from collections.abc import Iterable
from os import PathLike
from pathlib import Path

from kehoach.models.document import Extraction, ParsedDocument
from kehoach.pipeline.run import BatchSummary

PathArg = str | PathLike[str]


def read_document(path: PathArg) -> ParsedDocument:
    """Read a PDF, DOCX, DOC or text file into text blocks with page and character provenance.

    Raises :class:`kehoach.pipeline.errors.KehoachError` (``IngestError``, ``EmptyDocumentError`` …)
    with a one-line reason for a file that cannot be read.
    """
    from kehoach.pipeline.ingest import read_document as read

    return read(Path(path))


def extract(parsed: ParsedDocument) -> Extraction:
    """Extract metadata, references, sections, tasks, agencies, dates and targets (no I/O)."""
    from kehoach.extractors.extract import extract as run

    return run(parsed)


def ingest(
    paths: Iterable[PathArg],
    *,
    db: str | None = None,
    workers: int | None = None,
    force: bool = False,
    scheduler: str | None = None,
) -> BatchSummary:
    """Read and store files and folders (walked recursively) into ``db``, one transaction per document.

    Stored files extracted by an older kehoach are extracted again (``force``: every file given);
    analysts' corrections are kept.  Ctrl-C raises ``kehoach.pipeline.run.BatchInterrupted`` (a
    ``KeyboardInterrupt``) once the run is recorded as interrupted.

    ``db`` is a SQLAlchemy URL or a SQLite file path; ``None`` means ``KEHOACH_DB`` or the default
    ``data/processed/kehoach.db``.  Files that cannot be read become ``ingest_errors`` rows and are
    listed in ``BatchSummary.failures``; the batch never stops on one.  ``scheduler`` (``tcp://HOST:PORT``
    or ``local:N``) runs it on Dask workers, and ``paths`` may then be fsspec URLs (``s3://…``).
    """
    from kehoach.pipeline.dask_pool import SchedulerError, scheduler_problem
    from kehoach.pipeline.db import make_engine, resolve_url
    from kehoach.pipeline.discover import discover_all
    from kehoach.pipeline.run import ingest_files

    found = discover_all(paths)
    if problem := scheduler_problem(scheduler, found.urls):
        raise SchedulerError(problem)
    missing = [(path, "no such file or folder") for path in found.missing]
    engine = make_engine(resolve_url(db))
    try:
        return ingest_files(
            engine,
            [*found.files, *found.urls],
            workers=workers,
            args={"paths": [str(p) for p in paths]},
            unreadable=[*found.unreadable, *missing],
            force=force,
            scheduler=scheduler,
        )
    finally:
        engine.dispose()
