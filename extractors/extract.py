"""Run the extractors over a ParsedDocument in their dependency order."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from models.document import Extraction, ParsedDocument


def pipeline_version() -> str:
    try:
        return version("kehoach")
    except PackageNotFoundError:  # running from a source tree
        return "0+unknown"


def extract(parsed: ParsedDocument) -> Extraction:
    """Build the Extraction of one document (pure: no I/O, no database)."""
    return Extraction(
        source=parsed.source,
        content=parsed.content,
        blocks=parsed.blocks,
        pipeline_version=pipeline_version(),
    )
