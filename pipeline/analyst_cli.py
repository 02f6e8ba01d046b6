"""Database and analyst commands: ``ingest``, ``db upgrade|current``, ``query``, ``export``, ``timeline``.

Every command takes ``--db URL`` (else ``KEHOACH_DB``, else
``data/processed/kehoach.db``); messages go to stderr, data to stdout, and
a user mistake is one ``kehoach: …`` line with a documented exit code.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated, Literal

import typer
from kehoach.pipeline import limit_options
from kehoach.pipeline.cli_output import LOGGER, RowFormat, note, quiet, write_rows
from kehoach.pipeline.errors import (
    EXIT_FAILED_DOCUMENTS,
    EXIT_MISSING_PATH,
    EXIT_NO_DOCUMENTS,
    EXIT_OK,
    EXIT_USAGE,
    SKIPPED_ERRORS,
)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL or SQLite file (default: $KEHOACH_DB, else data/processed/kehoach.db)."),
]

db_app = typer.Typer(help="Create or inspect the database schema.", no_args_is_help=True)


def _fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    typer.echo(f"kehoach: {message}", err=True)
    return typer.Exit(code)


def _database_failure(what: str, exc: Exception) -> typer.Exit:
    """One line for a database that cannot be reached or refuses the statement (the driver's own words)."""
    reason = getattr(exc, "orig", None) or exc
    first = str(reason).splitlines()[0] if str(reason) else type(reason).__name__
    return _fail(f"{what} failed: {first}", 1)


def _engine(db: str | None, *, read_only: bool = False):  # noqa: ANN202 - sqlalchemy Engine
    from kehoach.pipeline.db import DatabaseError, describe, make_engine, resolve_url

    try:
        url = resolve_url(db)
        LOGGER.info("database %s%s", describe(url), " (read-only)" if read_only else "")
        return make_engine(url, read_only=read_only)
    except DatabaseError as exc:
        raise _fail(str(exc)) from exc


def _stdout():  # noqa: ANN202 - rich Console, imported only by the commands that draw tables
    from rich.console import Console

    return Console(soft_wrap=False, width=None if sys.stdout.isatty() else 200)


def ingest(
    paths: Annotated[list[str], typer.Argument(help="Files or folders (walked recursively); URLs with --scheduler.")],
    db: DbOption = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help="Extraction processes (default: up to the CPU count, one per 16 new documents; 1 = in-process).",
        ),
    ] = None,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Progress bar on stderr.")] = True,
    max_pages: limit_options.MaxPages = limit_options.DEFAULT_PAGES,
    max_chars: limit_options.MaxChars = limit_options.DEFAULT_CHARS,
    max_seconds: limit_options.MaxSeconds = limit_options.DEFAULT_SECONDS,
    max_memory: limit_options.MaxMemory = limit_options.DEFAULT_MEMORY,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            envvar="KEHOACH_SCHEDULER",
            help="Extract on Dask: tcp://HOST:8786 (a running scheduler) or local:N (N worker processes here).",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Extract every given file again, even if stored by this kehoach.")
    ] = False,
) -> None:
    """Read plans and store them in the database (skips unchanged files, replaces changed ones).

    Files stored by an older kehoach are extracted again (analysts' corrections are kept).

    Example: kehoach ingest data/raw --db postgresql://kehoach@localhost/kehoach --workers 2
    """
    from kehoach.pipeline.dask_pool import scheduler_problem
    from kehoach.pipeline.db import describe
    from kehoach.pipeline.discover import discover_all
    from kehoach.pipeline.run import EXIT_INTERRUPTED, BatchInterrupted, ingest_files
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
    from rich.table import Table

    found = discover_all(paths)
    files, missing = [*found.files, *found.urls], found.missing
    if problem := scheduler_problem(scheduler, found.urls):
        raise _fail(problem)
    for path in missing:
        typer.echo(f"kehoach: {path}: no such file or folder", err=True)
    if not files and found.unreadable:
        for folder, reason in found.unreadable:
            typer.echo(f"kehoach: {folder}: {reason}", err=True)
        raise typer.Exit(EXIT_FAILED_DOCUMENTS)
    if not files:
        if not missing:
            typer.echo("kehoach: no documents found in " + ", ".join(map(str, paths)), err=True)
        raise typer.Exit(EXIT_MISSING_PATH if missing else EXIT_NO_DOCUMENTS)
    engine = _engine(db)
    stderr = Console(stderr=True)
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=stderr, disable=not progress or quiet(), transient=False) as bar:
        task = bar.add_task("ingest", total=len(files), rate="")

        def on_progress(done: int, total: int) -> None:
            elapsed = bar.tasks[task].elapsed or 0.0
            bar.update(task, completed=done, total=total, rate=f"{done / elapsed:.1f} files/s" if elapsed else "")

        try:
            summary = ingest_files(
                engine,
                files,
                workers=workers,
                args={"paths": [str(p) for p in paths]},
                on_progress=on_progress,
                unreadable=found.unreadable,
                limits=limit_options.limits_from(max_pages, max_chars, max_seconds, max_memory),
                scheduler=scheduler,
                force=force,
            )
        except BatchInterrupted as stopped:  # Ctrl-C: the run row says interrupted; nothing is half-written
            summary = stopped.summary
        except KeyboardInterrupt as exc:  # Ctrl-C while the schema was checked: no run started
            raise _fail("interrupted before the batch started", EXIT_INTERRUPTED) from exc
        except Exception as exc:  # noqa: BLE001 - a database that cannot be reached is one line, not a traceback
            raise _fail(f"{describe(str(engine.url))}: {type(exc).__name__}: {str(exc).splitlines()[0]}", 1) from exc
    skipped = [failure for failure in summary.failures if failure.error_class in SKIPPED_ERRORS]
    for failure in summary.failures:
        if failure in skipped:
            typer.echo(f"kehoach: warning: {failure.path}: skipped: {failure.message}", err=True)
        else:
            typer.echo(f"kehoach: {failure.path}: {failure.message} ({failure.error_class})", err=True)
    failed = summary.failed - len(skipped)
    table = Table(title=f"ingest run {summary.run_id} into {describe(str(engine.url))}")
    for name in ("files", "ingested", "unchanged", "replaced", "re-extracted", "skipped", "failed", "seconds"):
        table.add_column(name, justify="right")
    counts = (summary.files, summary.ingested, summary.unchanged, summary.replaced, summary.reextracted)
    table.add_row(*(str(v) for v in (*counts, len(skipped), failed)), f"{summary.seconds:.1f}")
    _stdout().print(table)
    if summary.interrupted:
        typer.echo(f"kehoach: interrupted: run {summary.run_id} recorded as interrupted", err=True)
        raise typer.Exit(EXIT_INTERRUPTED)
    if skipped:
        typer.echo(
            f"kehoach: warning: {len(skipped)} file(s) skipped for a missing system tool (see above for the package);"
            " install it and run ingest again to read them",
            err=True,
        )
    if failed:
        raise typer.Exit(EXIT_FAILED_DOCUMENTS)
    raise typer.Exit(EXIT_MISSING_PATH if missing else EXIT_OK)


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Create the schema or bring it to the newest revision (ingest does this by itself).

    Example: kehoach db upgrade --db postgresql://kehoach@localhost/kehoach
    """
    from kehoach.pipeline.db import current_revision, describe, upgrade

    engine = _engine(db)
    try:
        upgrade(engine)
    except Exception as exc:  # noqa: BLE001
        raise _fail(f"{describe(str(engine.url))}: {type(exc).__name__}: {str(exc).splitlines()[0]}", 1) from exc
    typer.echo(f"{describe(str(engine.url))}: schema at revision {current_revision(engine)}")


@db_app.command("current")
def db_current(db: DbOption = None) -> None:
    """Print the schema revision of the database (and the newest this kehoach knows).

    Opens the database read-only: asking about a file that is not there must not create it.
    """
    from kehoach.pipeline.db import DatabaseError, current_revision, describe, head_revision, make_engine, resolve_url

    url = resolve_url(db)
    try:
        engine = make_engine(url, read_only=True)
    except DatabaseError as exc:
        raise _fail(f"{exc} (nothing was created)", 1) from exc
    try:
        revision = current_revision(engine)
    except Exception as exc:  # noqa: BLE001
        raise _fail(f"{describe(url)}: {type(exc).__name__}: {str(exc).splitlines()[0]}", 1) from exc
    head = head_revision()
    state = "up to date" if revision == head else f"behind (newest {head}: run kehoach db upgrade)"
    typer.echo(f"{describe(url)}: revision {revision or 'none'}, {state}")


def query(
    sql: Annotated[str, typer.Argument(help='One SELECT (or WITH … SELECT) statement, e.g. "SELECT * FROM v_tasks".')],
    db: DbOption = None,
    fmt: Annotated[RowFormat, typer.Option("--format", help="Output format (jsonl, tsv: one row a line).")] = "table",
    timeout: Annotated[float, typer.Option("--timeout", min=0.1, help="Stop the query after this many seconds.")] = 30,
) -> None:
    """Run a read-only SQL query on a session that cannot write (see the README's Security section).

    On PostgreSQL, connect as a reader role (kehoach db create-reader-role), never as a superuser.

    Example: kehoach query "SELECT lead, count(*) FROM v_tasks GROUP BY lead ORDER BY 2 DESC" --format csv
    """
    from kehoach.pipeline.query import QueryFailed, QueryRejected, check_read_only
    from kehoach.pipeline.readonly import execute_read_only
    from sqlalchemy.exc import SQLAlchemyError

    try:
        engine = _engine(db, read_only=True)
        # printed straight from the rows in every format: pandas alone would cost 0.2-0.3 s to import
        began = time.perf_counter()
        columns, rows = execute_read_only(engine, check_read_only(sql, engine.dialect.name), timeout_s=timeout)
        LOGGER.info("%d rows in %.3f s", len(rows), time.perf_counter() - began)
    except QueryRejected as exc:
        raise _fail(f"query rejected: {exc}") from exc
    except QueryFailed as exc:
        raise _fail(f"query failed: {exc}", 1) from exc
    except SQLAlchemyError as exc:
        raise _database_failure("query", exc) from exc
    write_rows([str(column) for column in columns], rows, fmt)


@db_app.command("create-reader-role")
def db_create_reader_role(
    role: Annotated[str, typer.Argument(help="Name of the login role to create (or refresh).")] = "kehoach_reader",
    db: DbOption = None,
    password: Annotated[
        str | None,
        typer.Option("--password", envvar="KEHOACH_READER_PASSWORD", help="Its password (else none is set)."),
    ] = None,
    print_sql: Annotated[bool, typer.Option("--print-sql", help="Print the SQL instead of running it.")] = False,
) -> None:
    """Create a PostgreSQL role for analysts that can read the kehoach tables and nothing else.

    Run it with an administrator's URL (a role that may create roles and grant on the tables); then give
    analysts postgresql://ROLE@host/db. The role logs in read-only, with a statement timeout, and is
    granted SELECT on the tables and views (also those created later by the schema owner).

    Example: kehoach db create-reader-role kehoach_reader --db postgresql://postgres@db/kehoach
    """
    from kehoach.pipeline.db import describe
    from kehoach.pipeline.readonly import QueryRejected, create_reader_role, reader_role_sql

    if print_sql:
        database = "kehoach" if db is None else db.rsplit("/", 1)[-1].split("?")[0]
        typer.echo(";\n".join(reader_role_sql(role, database, "OWNER_OF_THE_KEHOACH_TABLES", password)) + ";")
        return
    engine = _engine(db)
    try:
        create_reader_role(engine, role, password)
    except QueryRejected as exc:
        raise _fail(str(exc)) from exc
    except Exception as exc:  # noqa: BLE001 - one line, not a traceback
        raise _fail(f"{describe(str(engine.url))}: {type(exc).__name__}: {str(exc).splitlines()[0]}", 1) from exc
    typer.echo(f"{describe(str(engine.url))}: role {role} can now read the kehoach tables, and only read them")


def export(
    out: Annotated[Path, typer.Option("--out", help="Folder for the exported files.")],
    fmt: Annotated[Literal["csv", "parquet", "xlsx"], typer.Option("--format", help="File format.")] = "csv",
    excel: Annotated[
        bool, typer.Option("--excel", help="csv only: UTF-8 with a byte-order mark, so Excel shows Vietnamese.")
    ] = False,
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Export this view or table only (repeat for more).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Export every view and table, typed: one file each (csv, parquet) or one workbook with a sheet each (xlsx).

    Example: kehoach export --format xlsx --out exports/
    Example: kehoach export --format parquet --only v_timeline --only v_targets --out exports/
    """
    from kehoach.pipeline.exports import EXCEL_CELL_LIMIT, present_relations
    from kehoach.pipeline.exports import export as export_relations
    from sqlalchemy.exc import SQLAlchemyError

    if excel and fmt != "csv":
        raise _fail("--excel applies to --format csv only (xlsx is Excel's own format)")
    try:
        engine = _engine(db, read_only=True)
        relations = None
        if only:
            known = present_relations(engine)
            if unknown := [name for name in only if name not in known]:
                raise _fail(f"no view or table {', '.join(unknown)} to export: choose from {', '.join(known)}")
            relations = list(dict.fromkeys(only))
        written, cut = export_relations(engine, out, fmt, excel=excel, relations=relations)
    except SQLAlchemyError as exc:
        raise _database_failure("export", exc) from exc
    except OSError as exc:
        raise _fail(f"export failed: {out}: {exc.strerror or exc}", 1) from exc
    for item in written:
        typer.echo(f"{item.path}\t{item.relation}\t{item.rows} rows")
    if cut:
        note(f"kehoach: {cut} cells longer than {EXCEL_CELL_LIMIT} characters cut for Excel")


def timeline(
    agency: Annotated[
        str | None, typer.Option("--agency", help="Agency name (any case/diacritics); follows 2025 successors.")
    ] = None,
    date_from: Annotated[
        str | None, typer.Option("--from", help="Due on or after: YYYY, YYYY-MM or YYYY-MM-DD.")
    ] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Due on or before: YYYY, YYYY-MM or YYYY-MM-DD.")] = None,
    role: Annotated[
        Literal["any", "lead", "coordinating"], typer.Option("--role", help="Role of the agency in the task.")
    ] = "any",
    plot: Annotated[
        Path | None,
        typer.Option("--plot", help="Also draw a Gantt chart: FILE.png (or .svg/.pdf), or FILE.html (interactive)."),
    ] = None,
    fmt: Annotated[RowFormat, typer.Option("--format", help="Output format.")] = "table",
    db: DbOption = None,
) -> None:
    """Tasks across plans ordered by due date, optionally for one agency and period, with a Gantt chart.

    Example: kehoach timeline --agency "Sở Tài chính" --from 2022-01 --to 2025-12 --plot timeline.html
    """
    from kehoach.pipeline.timeline import TABLE_COLUMNS, TIMELINE_COLUMNS, TimelineError, parse_period, terminal_rows
    from kehoach.pipeline.timeline import timeline_rows as build_timeline
    from sqlalchemy.exc import SQLAlchemyError

    try:
        start = parse_period(date_from) if date_from else None
        end = parse_period(date_to) if date_to else None
        columns, rows, match = build_timeline(
            _engine(db, read_only=True), agency=agency, date_from=start, date_to=end, role=role
        )
    except TimelineError as exc:
        raise _fail(str(exc)) from exc
    except SQLAlchemyError as exc:
        raise _database_failure("timeline", exc) from exc
    if match is not None:
        if not match.ids:
            raise _fail(f"no agency matches {agency!r} in the database", 1)
        linked = f"; with predecessors/successors {', '.join(match.linked)}" if match.linked else ""
        note(f"agency: {', '.join(match.direct)}{linked}")
    if fmt == "table":
        write_rows(TABLE_COLUMNS, terminal_rows(rows), fmt)
    else:
        write_rows(TIMELINE_COLUMNS, [[row[c] for c in TIMELINE_COLUMNS] for row in rows], fmt)
    if plot is not None:
        title = f"Tasks of {' / '.join(match.direct + match.linked)}" if match else "Tasks by due date"
        from kehoach.pipeline.timeline import to_frame
        from kehoach.pipeline.timeline_plot import PlotError, plot_timeline

        try:
            drawn = plot_timeline(to_frame(columns, rows), plot, title=title)
        except PlotError as exc:
            raise _fail(str(exc), 1) from exc
        note(f"{plot}: {drawn} dated tasks drawn")


def _short(value: object, limit: int) -> object:
    if not isinstance(value, str) or len(value) <= limit:
        return value
    return value[: limit - 1] + "…"


def search(
    words: Annotated[str, typer.Argument(help='Words to find ("…" for a phrase, word* for a prefix).')],
    db: DbOption = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many tasks, best first.")] = 20,
    fmt: Annotated[RowFormat, typer.Option("--format", help="Output format.")] = "table",
) -> None:
    """Find tasks by their text, without regard to diacritics or case ("ke hoach" finds "kế hoạch").

    Example: kehoach search "chuyen doi so" --limit 5
    """
    from kehoach.pipeline.search import SearchError, excerpt
    from kehoach.pipeline.search import search as search_tasks
    from sqlalchemy.exc import SQLAlchemyError

    try:
        columns, rows = search_tasks(_engine(db, read_only=True), words, limit=limit)
    except SearchError as exc:
        raise _fail(str(exc), 1) from exc
    except SQLAlchemyError as exc:
        raise _database_failure("search", exc) from exc
    if fmt == "table":  # one line per task, around the words that matched
        rows = [(row[0], _short(row[1], 40), *row[2:-1], excerpt(str(row[-1]), words)) for row in rows]
    write_rows(columns, rows, fmt)


def serve(
    db: DbOption = None,
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 8001,
    host: Annotated[str, typer.Option("--host", help="Address to listen on (0.0.0.0: every interface).")] = "127.0.0.1",
) -> None:
    """Browse the database in Datasette: search, facets, the analyst questions (SQLite only; kehoach[serve]).

    Example: kehoach serve --port 8001   (then open http://127.0.0.1:8001)
    """
    from kehoach.pipeline.serve import ServeError
    from kehoach.pipeline.serve import serve as run_datasette

    try:
        code = run_datasette(db, port=port, host=host)
    except ServeError as exc:
        raise _fail(str(exc)) from exc
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    """Attach the database commands to the main app."""
    app.command("ingest")(ingest)
    app.add_typer(db_app, name="db")
    app.command("query")(query)
    app.command("export")(export)
    app.command("timeline")(timeline)
    app.command("search")(search)
    app.command("serve")(serve)
    from kehoach.pipeline.corrections_cli import corrections  # helper P's module

    app.command("corrections")(corrections)
