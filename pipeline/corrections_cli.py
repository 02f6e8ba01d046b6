"""``kehoach corrections``: the analysts' corrections, above all those a re-extraction could not re-attach.

A correction that no longer matches any task after a newer kehoach read its document again is kept
with ``status = 'unmatched'`` and listed here (``--unmatched``) for someone to redo or undo it.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL or SQLite file (default: $KEHOACH_DB, else data/processed/kehoach.db)."),
]


def _short(value: object, width: int = 40) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 1] + "…"


def corrections(
    db: DbOption = None,
    unmatched: Annotated[bool, typer.Option("--unmatched", help="Only corrections that match no task now.")] = False,
    document: Annotated[int | None, typer.Option("--document", help="Only this document id.")] = None,
    undone: Annotated[bool, typer.Option("--undone", help="Include undone corrections.")] = False,
) -> None:
    """List the analysts' corrections (newest first).

    Example: kehoach corrections --unmatched
    """
    from kehoach.pipeline.corrections import list_corrections
    from kehoach.pipeline.db import DatabaseError, make_engine, resolve_url, schema_is_current, session_scope
    from rich.console import Console
    from rich.table import Table

    try:
        engine = make_engine(resolve_url(db), read_only=True)
    except DatabaseError as exc:
        typer.echo(f"kehoach: {exc}", err=True)
        raise typer.Exit(2) from exc
    if not schema_is_current(engine):
        typer.echo("kehoach: the database has no corrections yet (run kehoach db upgrade or ingest)", err=True)
        raise typer.Exit(2)
    with session_scope(engine) as session:
        rows = list_corrections(
            session, document_id=document, status="unmatched" if unmatched else None, include_undone=undone
        )
    table = Table(title=f"{len(rows)} correction(s)")
    for name in ("id", "document", "task", "field", "old", "new", "anchor", "status", "by", "at"):
        table.add_column(name)
    for row in rows:
        status = "undone" if row.undone_at else row.status
        table.add_row(
            str(row.id),
            str(row.document_id),
            str(row.task_id or row.target_id or ""),
            row.field,
            _short(row.old_value),
            _short(row.new_value),
            _short(row.anchor_text or "", 30),
            status,
            row.author or "",
            row.created_at.strftime("%Y-%m-%d %H:%M"),
        )
    Console(soft_wrap=False, width=None if sys.stdout.isatty() else 200).print(table)
