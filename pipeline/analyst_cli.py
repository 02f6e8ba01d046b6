"""Database and analyst commands (ingest, db, query, export, timeline)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Attach the database commands to the main app."""
