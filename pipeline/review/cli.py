"""``kehoach review`` (serve the review app) and ``kehoach review export-gold DIR``.

Nothing heavy is imported at module level: ``kehoach --help`` must not pay
for FastAPI, and a machine without the ``review`` extra gets one line that
says how to install it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from kehoach.pipeline.errors import EXIT_OK, EXIT_USAGE

review_app = typer.Typer(
    help="Review extractions in the browser and correct them; export the reviewed plans as gold.",
    invoke_without_command=True,
    no_args_is_help=False,
)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL or SQLite file (default: $KEHOACH_DB, else data/processed/kehoach.db)."),
]
AUTHOR_ENV = "KEHOACH_REVIEW_AUTHOR"


def _fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    typer.echo(f"kehoach: {message}", err=True)
    return typer.Exit(code)


def _first_line(exc: BaseException) -> str:
    cause = getattr(exc, "orig", None) or exc
    return (str(cause).strip().splitlines() or [cause.__class__.__name__])[0]


def _cannot_listen(host: str, port: int) -> str | None:
    """Why the address cannot be listened on (in use, not this machine's), checked before uvicorn starts,
    which would otherwise report it as a log line and exit 3."""
    import socket

    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def _need_extra() -> None:
    try:
        import fastapi  # noqa: F401
        import jinja2  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise _fail(
            f"the review app needs the review extra ({exc.name} is missing): pip install 'kehoach[review]'"
        ) from exc


@review_app.callback()
def review(
    ctx: typer.Context,
    db: DbOption = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on (others than loopback need --token).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port to listen on.")] = 8000,
    token: Annotated[
        str | None,
        typer.Option(
            "--token", help="Token every request must carry (default: $KEHOACH_REVIEW_TOKEN).", show_default=False
        ),
    ] = None,
    read_only: Annotated[bool, typer.Option("--read-only", help="Serve the pages without corrections.")] = False,
    author: Annotated[
        str | None, typer.Option("--author", help=f"Name recorded with each correction (default: ${AUTHOR_ENV}).")
    ] = None,
) -> None:
    """Serve the review web app on the database (http://127.0.0.1:8000 by default).

    Example: kehoach review --db data/processed/kehoach.db --port 8000
    """
    if ctx.invoked_subcommand is not None:
        return
    from kehoach.pipeline.review.security import TOKEN_ENV, BindingRefused, check_binding, is_loopback

    token = token or os.environ.get(TOKEN_ENV) or None
    try:
        check_binding(host, token)
    except BindingRefused as exc:
        raise _fail(str(exc)) from exc
    _need_extra()
    import uvicorn
    from kehoach.pipeline.db import DatabaseError, describe, resolve_url
    from kehoach.pipeline.review.app import Settings, create_app
    from sqlalchemy.exc import SQLAlchemyError

    try:
        url = resolve_url(db)
        settings = Settings(
            url=url,
            read_only=read_only,
            token=token,
            loopback_only=is_loopback(host),
            author=author or os.environ.get(AUTHOR_ENV) or None,
        )
        app = create_app(settings)
    except DatabaseError as exc:
        raise _fail(str(exc)) from exc
    except SQLAlchemyError as exc:  # server down, wrong password, not a database file
        raise _fail(f"cannot open {describe(url)}: {_first_line(exc)}") from exc
    problem = _cannot_listen(host, port)
    if problem:
        raise _fail(f"cannot listen on {host}:{port}: {problem}")
    shown_host = f"[{host}]" if ":" in host else host
    typer.echo(
        f"kehoach review on {describe(url)}{' (read-only)' if read_only else ''}: http://{shown_host}:{port}/"
        + ("?token=…" if token else ""),
        err=True,
    )
    uvicorn.run(app, host=host, port=port, log_level="warning")
    raise typer.Exit(EXIT_OK)


@review_app.command("export-gold")
def export_gold_command(
    folder: Annotated[Path, typer.Argument(help="Folder to write <source file name>.json gold files into.")],
    db: DbOption = None,
    every: Annotated[bool, typer.Option("--all", help="Every document, not only those with corrections.")] = False,
) -> None:
    """Write the reviewed plans (extraction + corrections) as gold files for score.py.

    Example: kehoach review export-gold gold/ && python3 tests/eval/score.py --gold gold/ --pred predictions/
    """
    from kehoach.pipeline.db import DatabaseError, make_engine, resolve_url, schema_is_current, session_scope
    from kehoach.pipeline.review.gold import export_gold
    from sqlalchemy.exc import SQLAlchemyError

    try:
        engine = make_engine(resolve_url(db), read_only=True)
        if not schema_is_current(engine):
            raise DatabaseError("the database schema is out of date: run kehoach db upgrade")
        with session_scope(engine) as session:
            written = export_gold(session, folder, every=every)
    except DatabaseError as exc:
        raise _fail(str(exc)) from exc
    except SQLAlchemyError as exc:
        raise _fail(f"cannot read the database: {_first_line(exc)}") from exc
    except OSError as exc:
        raise _fail(f"{folder}: {exc.strerror or exc}") from exc
    for item in written:
        typer.echo(f"{item.path}: {item.tasks} tasks, {item.targets} targets, {item.corrections} corrections")
    if not written:
        message = "no reviewed plan (no correction, no reviewed mark): nothing written; --all exports every plan"
        typer.echo(f"kehoach: {message}", err=True)
    raise typer.Exit(EXIT_OK)
