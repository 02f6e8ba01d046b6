"""The ``--max-pages``, ``--max-chars``, ``--max-seconds`` and ``--max-memory`` options of ``extract`` and ``ingest``.

Declared once here so that both commands offer the same limits with the same
help and defaults (those of :class:`kehoach.pipeline.limits.Limits`); 0 turns
a limit off.
"""

from __future__ import annotations

from typing import Annotated

import typer
from kehoach.pipeline.limits import DEFAULT_LIMITS, Limits, format_size, parse_size


def _parse_memory(value: str) -> str:
    if value.strip().lower() in ("0", "none", "off"):
        return "0"
    try:
        parse_size(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    return value


MaxPages = Annotated[
    int,
    typer.Option("--max-pages", min=0, help="Refuse a PDF of more pages than this (0: no limit)."),
]
MaxChars = Annotated[
    int,
    typer.Option("--max-chars", min=0, help="Refuse a file whose text has more characters than this (0: no limit)."),
]
MaxSeconds = Annotated[
    float,
    typer.Option("--max-seconds", min=0, help="Stop reading and extracting one file after this long (0: no limit)."),
]
MaxMemory = Annotated[
    str,
    typer.Option(
        "--max-memory",
        callback=_parse_memory,
        help="Memory one file may take, e.g. 4G or 512M (0: no limit).",
    ),
]
DEFAULT_PAGES = DEFAULT_LIMITS.max_pages or 0
DEFAULT_CHARS = DEFAULT_LIMITS.max_chars or 0
DEFAULT_SECONDS = DEFAULT_LIMITS.max_seconds or 0.0
DEFAULT_MEMORY = format_size(DEFAULT_LIMITS.max_memory).replace(" GB", "G") if DEFAULT_LIMITS.max_memory else "0"


def limits_from(max_pages: int, max_chars: int, max_seconds: float, max_memory: str) -> Limits:
    """The :class:`Limits` the four options ask for (0 switches one off)."""
    memory = parse_size(max_memory) if max_memory != "0" else 0
    return Limits(
        max_pages=max_pages or None,
        max_chars=max_chars or None,
        max_seconds=max_seconds or None,
        max_memory=memory or None,
    )
