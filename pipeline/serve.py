"""``kehoach serve``: browse the database in Datasette, with kehoach's metadata.

Datasette (the optional extra ``kehoach[serve]``) reads SQLite files only, so a
PostgreSQL URL is refused with a one-line reason.  The metadata shipped in
``pipeline/datasette/metadata.json`` describes the tables and views, shows a task
by its text where another table points at it (label columns), offers facets on
plan, lead and year, configures the full-text search of migration 0005 on the
task views and holds the README's analyst questions as canned queries; a plugin
(``pipeline/datasette/plugins``) gives those queries kehoach's folding as SQL functions.

It is written for a database named ``kehoach``; Datasette names a database after
its file, so the metadata is re-keyed to the file's stem, and facets, column
notes and search settings naming a table or column this database lacks (an older
schema) are dropped, so that every page Datasette draws works.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from importlib.resources import files
from pathlib import Path

from kehoach.pipeline.db import DatabaseError, resolve_url
from sqlalchemy.engine import make_url

DEFAULT_PORT = 8001
EXIT_INTERRUPTED = 130
"""Ctrl-C, as for ``kehoach ingest`` (128 + SIGINT)."""
PLUGINS = Path(__file__).resolve().parent / "datasette" / "plugins"
"""``fold()`` and ``kehoach_match()`` as SQL functions in Datasette's connections (the canned queries use them)."""
EXTRA = 'pip install "kehoach[serve]"'


class ServeError(Exception):
    """Why Datasette cannot be started on this database (one line for the user)."""


def shipped_metadata() -> dict:
    """The metadata as shipped, for a database named ``kehoach``."""
    return json.loads(files("kehoach.pipeline.datasette").joinpath("metadata.json").read_text(encoding="utf-8"))


def sqlite_file(db: str | None) -> Path:
    """The SQLite file ``--db`` names, or :class:`ServeError` (PostgreSQL, no file, bad URL)."""
    try:
        url = make_url(resolve_url(db))
    except DatabaseError as exc:
        raise ServeError(str(exc)) from exc
    if url.get_backend_name() != "sqlite":
        raise ServeError(
            f"Datasette serves SQLite files only, not {url.get_backend_name()}: "
            "use kehoach query/export on PostgreSQL, or serve a SQLite database (kehoach ingest --db plans.db)"
        )
    if not url.database or url.database == ":memory:":
        raise ServeError("give --db a SQLite file to serve")
    path = Path(url.database)
    if not path.is_file():
        raise ServeError(f"no database at {path}: run kehoach ingest first")
    return path


def _schema(path: Path) -> dict[str, set[str]]:
    """Table/view name → column names, read from the file itself (read-only)."""
    with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as connection:
        names = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")]
        return {name: {row[1] for row in connection.execute(f'PRAGMA table_info("{name}")')} for name in names}


def metadata_for(path: Path) -> dict:
    """The shipped metadata, keyed to ``path``'s database name and pruned to what its schema has."""
    shipped = shipped_metadata()
    database = copy.deepcopy(shipped["databases"]["kehoach"])
    schema = _schema(path)
    tables = {}
    for name, table in database.get("tables", {}).items():
        if name not in schema:
            continue
        columns = schema[name]
        if "facets" in table:
            table["facets"] = [f for f in table["facets"] if f in columns]
        if "columns" in table:
            table["columns"] = {c: note for c, note in table["columns"].items() if c in columns}
        if table.get("fts_table") not in (None, *schema) or table.get("fts_pk", "") not in columns | {""}:
            table.pop("fts_table", None)
            table.pop("fts_pk", None)
        if table.get("label_column") not in (None, *columns):
            table.pop("label_column")
        if table.get("sort") not in (None, *columns):
            table.pop("sort")
        tables[name] = table
    database["tables"] = tables
    if "task_search" not in schema:  # a database from before migration 0005
        database["queries"] = {k: q for k, q in database.get("queries", {}).items() if "task_search" not in q["sql"]}
    return {**shipped, "databases": {path.stem: database}}


def datasette_command(path: Path, metadata: Path, *, port: int, host: str, extra: Sequence[str] = ()) -> list[str]:
    return [
        sys.executable,
        "-m",
        "datasette",
        "serve",
        str(path),
        "--metadata",
        str(metadata),
        "--host",
        host,
        "--port",
        str(port),
        "--setting",
        "facet_time_limit_ms",
        "1000",
        "--setting",
        "truncate_cells_html",
        "400",  # a document's content is the whole plan: HTML tables show its start, .json and .csv all of it
        "--plugins-dir",
        str(PLUGINS),
        *extra,
    ]


def _check_port(host: str, port: int) -> None:
    """Refuse a port another program holds in one line, before Datasette starts and fails on it."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise ServeError(f"cannot listen on {host}:{port} ({reason}): choose another with --port") from exc


def serve(db: str | None, *, port: int = DEFAULT_PORT, host: str = "127.0.0.1", extra: Sequence[str] = ()) -> int:
    """Run Datasette on the database until it is stopped (Ctrl-C); return its exit code."""
    if importlib.util.find_spec("datasette") is None:
        raise ServeError(f"Datasette is not installed: {EXTRA}")
    path = sqlite_file(db)
    _check_port(host, port)
    with tempfile.TemporaryDirectory(prefix="kehoach-serve-") as folder:
        metadata = Path(folder) / "metadata.json"
        metadata.write_text(json.dumps(metadata_for(path), ensure_ascii=False, indent=1), encoding="utf-8")
        command = datasette_command(path, metadata, port=port, host=host, extra=extra)
        process = subprocess.Popen(command)
        stopped: list[int] = []

        def stop(signum: int, _frame: object) -> None:  # stopped as a service: stop Datasette, a clean exit
            stopped.append(signum)
            process.terminate()

        previous = signal.signal(signal.SIGTERM, stop)
        try:
            code = process.wait()
        except KeyboardInterrupt:  # Ctrl-C in a terminal reaches Datasette too; a kill -INT of kehoach only us
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
            process.wait()
            return EXIT_INTERRUPTED
        finally:
            signal.signal(signal.SIGTERM, previous)
    if stopped:
        return 0
    return 128 - code if code < 0 else code  # killed by a signal: the shell's 128 + N
