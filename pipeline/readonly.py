"""Sessions that cannot write whatever SQL they are sent: the guard behind ``kehoach query``.

Safety comes from the database, never from reading the SQL.  A home-made
tokenizer missed PostgreSQL's dollar quotes and ``E''`` strings, so one
"SELECT" ran ``COMMIT; BEGIN READ WRITE; DELETE …``.  Each backend has its own
guard here:

PostgreSQL
    The session starts read-only (``default_transaction_read_only=on`` is
    set at connection level by :func:`pipeline.db.make_engine`).  The
    statement goes through the extended protocol as a prepared statement,
    which the server refuses to parse if it holds more than one command.  A
    ``statement_timeout`` applies.  Roles that can read server files or run
    programs whatever the transaction mode are refused: superusers and
    members of ``pg_read_server_files``, ``pg_write_server_files`` and
    ``pg_execute_server_program``.  When a reader role exists (see
    :func:`reader_role_sql`) and the login may use it, the session switches
    to it.  After the statement, the session settings are compared with
    those before it, so a statement that left the read-only transaction or
    changed role is refused even though it wrote nothing.
SQLite
    ``mode=ro`` with ``PRAGMA query_only=ON`` (:func:`pipeline.db.make_engine`).
    An authorizer callback allows reads only: no ``ATTACH`` (which creates
    files, and is how ``VACUUM INTO`` starts), no pragma that sets a value,
    no ``load_extension``.  A progress handler enforces the time limit and
    ``hard_heap_limit`` caps SQLite's memory.  Python's driver refuses a
    second statement.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine

QUERY_TIMEOUT_S = 30.0
"""Default limit on one ``kehoach query`` statement, on both backends."""
HEAP_LIMIT_BYTES = 1 << 30
"""SQLite's ``hard_heap_limit`` while a query runs: a runaway ``randomblob``/``zeroblob`` fails, not the machine."""
HEAP_LIMIT_MESSAGE = (
    f"stopped: the query needed more than {HEAP_LIMIT_BYTES >> 20} MB, SQLite's memory limit for a query "
    "(hard_heap_limit)"
)
_SQLITE_LIMITS = {
    "out of memory": HEAP_LIMIT_MESSAGE,
    "string or blob too big": "stopped: a value would be larger than SQLite's largest string or blob (1,000,000,000 "
    "bytes, SQLITE_MAX_LENGTH)",
}
"""SQLite's terse messages for the limits it enforces, said in full: which limit the query hit."""
PROGRESS_STEPS = 10_000
"""SQLite virtual-machine steps between two looks at the clock (about a millisecond)."""
READER_ROLE_ENV = "KEHOACH_READER_ROLE"
DEFAULT_READER_ROLE = "kehoach_reader"
"""The role ``kehoach db create-reader-role`` creates, and the one ``query`` switches to when it may."""
DANGEROUS_ROLES = ("pg_read_server_files", "pg_write_server_files", "pg_execute_server_program")
"""Built-in roles whose members read or write server files, or run programs, even in read-only transactions."""

Rows = tuple[list[str], list[tuple[Any, ...]]]


class QueryRejected(Exception):
    """A statement ``kehoach query`` will not run or whose effect it refuses (exit 2)."""


class QueryFailed(Exception):
    """The database refused or could not run the statement (exit 1)."""


def execute_read_only(engine: Engine, sql: str, *, timeout_s: float = QUERY_TIMEOUT_S) -> Rows:
    """Run one statement on a read-only session of ``engine``; (column names, rows).

    ``engine`` must come from ``make_engine(url, read_only=True)``.  Nothing
    here looks at the text of ``sql``: the session is what keeps it read-only.
    """
    with engine.connect() as connection:
        raw = connection.connection.driver_connection
        backend = connection.dialect.name
        if backend == "sqlite":
            return _sqlite_execute(raw, sql, timeout_s)
        if backend == "postgresql":
            return _postgres_execute(raw, sql, timeout_s)
    raise QueryRejected(f"kehoach query supports SQLite and PostgreSQL, not {backend}")


# --------------------------------------------------------------------------- SQLite

_AUTH_ACTIONS = {
    getattr(sqlite3, f"SQLITE_{name}"): name
    for name in [
        "CREATE_INDEX",
        "CREATE_TABLE",
        "CREATE_TEMP_INDEX",
        "CREATE_TEMP_TABLE",
        "CREATE_TEMP_TRIGGER",
        "CREATE_TEMP_VIEW",
        "CREATE_TRIGGER",
        "CREATE_VIEW",
        "DELETE",
        "DROP_INDEX",
        "DROP_TABLE",
        "DROP_TEMP_INDEX",
        "DROP_TEMP_TABLE",
        "DROP_TEMP_TRIGGER",
        "DROP_TEMP_VIEW",
        "DROP_TRIGGER",
        "DROP_VIEW",
        "INSERT",
        "PRAGMA",
        "READ",
        "SELECT",
        "TRANSACTION",
        "UPDATE",
        "ATTACH",
        "DETACH",
        "ALTER_TABLE",
        "REINDEX",
        "ANALYZE",
        "CREATE_VTABLE",
        "DROP_VTABLE",
        "FUNCTION",
        "SAVEPOINT",
        "RECURSIVE",
    ]
}
_READ_ACTIONS = frozenset({sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_RECURSIVE})
_DENIED_FUNCTIONS = frozenset({"load_extension", "fts3_tokenizer", "readfile", "writefile", "edit"})
"""Functions that load code or touch files (the last three exist only in the sqlite3 shell, denied anyway)."""
_PRAGMAS_ON_OBJECTS = frozenset(
    {"table_info", "table_xinfo", "table_list", "index_info", "index_xinfo", "index_list", "foreign_key_list",
     "foreign_key_check", "integrity_check", "quick_check"}
)  # fmt: skip
"""Pragmas whose argument names a table or index (``pragma_table_info('tasks')``): reads with an argument."""
_READ_PRAGMAS = _PRAGMAS_ON_OBJECTS | {
    "collation_list", "compile_options", "database_list", "data_version", "encoding", "freelist_count",
    "function_list", "module_list", "page_count", "page_size", "pragma_list", "schema_version", "user_version",
    "application_id", "foreign_keys", "query_only", "journal_mode",
}  # fmt: skip
"""Pragmas that only report, when given no value."""


def _sqlite_authorizer(denied: list[str]):  # noqa: ANN202 - sqlite3 authorizer callback
    """An authorizer that allows reads only, recording what it denied for the message."""

    def authorize(action: int, arg1: str | None, arg2: str | None, _db: str | None, _source: str | None) -> int:
        name = _AUTH_ACTIONS.get(action, str(action))
        if action in _READ_ACTIONS:
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_FUNCTION:
            if (arg2 or "").lower() not in _DENIED_FUNCTIONS:
                return sqlite3.SQLITE_OK
            denied.append(f"the function {arg2}()")
            return sqlite3.SQLITE_DENY
        if action == sqlite3.SQLITE_PRAGMA:
            pragma = (arg1 or "").lower()
            if pragma in _READ_PRAGMAS and (arg2 is None or pragma in _PRAGMAS_ON_OBJECTS):
                return sqlite3.SQLITE_OK
            denied.append(f"PRAGMA {arg1}" + (f" = {arg2}" if arg2 is not None else ""))
            return sqlite3.SQLITE_DENY
        target = f" {arg1}" if arg1 and name not in ("TRANSACTION", "SAVEPOINT") else ""
        denied.append(f"{name.replace('_', ' ')}{target}")
        return sqlite3.SQLITE_DENY

    return authorize


def _connect_virtual_tables(connection: sqlite3.Connection) -> None:
    """Open every virtual table (the FTS5 ``task_search``) before the authorizer is set.

    SQLite finishes parsing a virtual table's schema on its first use in a connection with an
    internal ``UPDATE sqlite_master``, which the authorizer would refuse as a write; that first use
    happens here, under ``mode=ro`` and ``query_only``, so nothing can be written either way.
    """
    virtual = "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'"
    for (name,) in connection.execute(virtual).fetchall():
        connection.execute(f'SELECT 1 FROM "{name}" LIMIT 0').fetchall()  # names from the schema itself


def _sqlite_execute(connection: sqlite3.Connection, sql: str, timeout_s: float) -> Rows:
    denied: list[str] = []
    deadline = time.monotonic() + timeout_s
    timed_out = False

    def progress() -> int:
        nonlocal timed_out
        timed_out = time.monotonic() > deadline
        return int(timed_out)

    connection.execute("PRAGMA query_only=ON")
    previous_heap_limit = connection.execute("PRAGMA hard_heap_limit").fetchone()[0]
    connection.execute(f"PRAGMA hard_heap_limit={HEAP_LIMIT_BYTES}")  # process-wide: restored below
    _connect_virtual_tables(connection)
    connection.set_authorizer(_sqlite_authorizer(denied))
    connection.set_progress_handler(progress, PROGRESS_STEPS)
    try:
        cursor = connection.execute(sql)
        rows = cursor.fetchall()
        columns = [column[0] for column in cursor.description or ()]
        if cursor.description is None:
            raise QueryRejected("the statement returned no rows: kehoach query runs one SELECT (or WITH … SELECT)")
        return columns, rows
    except MemoryError as exc:  # what SQLite's "out of memory" becomes once hard_heap_limit is reached
        raise QueryFailed(HEAP_LIMIT_MESSAGE) from exc
    except (sqlite3.Error, sqlite3.Warning) as exc:
        if denied:
            raise QueryRejected(f"{denied[0]} is not allowed: kehoach query only reads") from exc
        if timed_out:
            raise QueryFailed(f"stopped after {timeout_s:g} s, the query time limit (--timeout)") from exc
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise QueryFailed(_SQLITE_LIMITS.get(message, message)) from exc
    finally:
        connection.set_authorizer(None)
        connection.set_progress_handler(None, 0)
        connection.rollback()
        connection.execute(f"PRAGMA hard_heap_limit={int(previous_heap_limit)}")


def limit_statements(engine: Engine, timeout_s: float = QUERY_TIMEOUT_S) -> Engine:
    """Give every statement run through ``engine`` the query time limit; ``engine`` back.

    For engines that run kehoach's own queries on every request (the review server): no statement
    there is meant to run for long, so one that does (a huge database, a bad plan) is stopped with
    the same limit as ``kehoach query``'s instead of holding a worker and a connection.  PostgreSQL:
    ``statement_timeout`` on every new connection; SQLite: a progress handler that aborts a statement
    past its deadline (set at each execute, so fetching the rows counts too).
    """
    from sqlalchemy import event

    if engine.dialect.name == "postgresql":

        @event.listens_for(engine, "connect")
        def _timeout(dbapi_connection, _record) -> None:  # noqa: ANN001 - DB-API connection
            with dbapi_connection.cursor() as cursor:
                cursor.execute(f"SET statement_timeout = {int(timeout_s * 1000)}")
            dbapi_connection.commit()

        return engine

    deadlines: dict[int, float] = {}

    @event.listens_for(engine, "connect")
    def _progress(dbapi_connection, _record) -> None:  # noqa: ANN001 - DB-API connection
        key = id(dbapi_connection)
        dbapi_connection.set_progress_handler(lambda: int(time.monotonic() > deadlines.get(key, float("inf"))),
                                              PROGRESS_STEPS)  # fmt: skip

    @event.listens_for(engine, "before_cursor_execute")
    def _start(connection, _cursor, _statement, _parameters, _context, _many) -> None:  # noqa: ANN001, PLR0913
        deadlines[id(connection.connection.driver_connection)] = time.monotonic() + timeout_s

    return engine


# --------------------------------------------------------------------------- PostgreSQL

_SESSION_STATE = (
    "SELECT current_user, session_user, current_setting('transaction_read_only'),"
    " current_setting('default_transaction_read_only'), current_setting('statement_timeout')"
)


def reader_role() -> str:
    return os.environ.get(READER_ROLE_ENV) or DEFAULT_READER_ROLE


def _refuse_powerful_roles(cursor: Any) -> None:
    """Refuse a session whose login or current role could act on the server outside SQL's read-only mode."""
    checks = ", ".join(f"pg_has_role(r.oid, '{name}', 'MEMBER')" for name in DANGEROUS_ROLES)
    cursor.execute(
        f"SELECT r.rolname, r.rolsuper, {checks} FROM pg_roles r WHERE r.rolname IN (session_user, current_user)"
    )
    for name, superuser, *memberships in cursor.fetchall():
        if superuser:
            raise QueryRejected(
                f"the role {name} is a superuser: kehoach query refuses superuser connections, because a superuser "
                "can read server files and run programs even in a read-only transaction. Connect as a reader role "
                "(kehoach db create-reader-role)"
            )
        for role, member in zip(DANGEROUS_ROLES, memberships, strict=True):
            if member:
                raise QueryRejected(
                    f"the role {name} is a member of {role}: kehoach query refuses it. Connect as a reader role "
                    "(kehoach db create-reader-role)"
                )


def _switch_to_reader(cursor: Any) -> None:
    """``SET ROLE`` to the reader role when it exists and the login may use it (least privilege)."""
    from psycopg import sql as pgsql

    role = reader_role()
    cursor.execute(
        "SELECT to_regrole(%(r)s) IS NOT NULL AND current_user <> %(r)s AND pg_has_role(session_user, %(r)s, 'MEMBER')",
        {"r": role},
    )
    if cursor.fetchone()[0]:
        cursor.execute(pgsql.SQL("SET ROLE {}").format(pgsql.Identifier(role)))


def _postgres_execute(connection: Any, sql: str, timeout_s: float) -> Rows:
    import psycopg

    try:
        with connection.cursor() as cursor:
            _refuse_powerful_roles(cursor)
            _switch_to_reader(cursor)
            cursor.execute("SELECT set_config('statement_timeout', %s, false)", (f"{int(timeout_s * 1000)}ms",))
            cursor.execute("SET TRANSACTION READ ONLY")  # already so by the connection option; never relaxed
            cursor.execute(_SESSION_STATE)
            before = cursor.fetchone()
            if before[2:4] != ("on", "on"):
                raise QueryRejected("the session is not read-only: open it with make_engine(url, read_only=True)")
            cursor.execute(sql, prepare=True)  # extended protocol: the server parses exactly one statement
            described = cursor.description is not None
            columns = [column.name for column in cursor.description or ()]
            rows = cursor.fetchall() if described else []
            cursor.execute(_SESSION_STATE)
            after = cursor.fetchone()
        if after != before:
            changed = _describe_change(before, after)
            raise QueryRejected(f"the statement changed the session ({changed}): kehoach query only reads")
        if not described:
            raise QueryRejected("the statement returned no rows: kehoach query runs one SELECT (or WITH … SELECT)")
        return columns, [tuple(row) for row in rows]
    except psycopg.errors.QueryCanceled as exc:
        raise QueryFailed(f"stopped after {timeout_s:g} s, the query time limit (--timeout)") from exc
    except psycopg.Error as exc:
        message = (getattr(exc.diag, "message_primary", None) or str(exc)).splitlines()[0]
        if "multiple commands" in message:
            message += " (one statement at a time)"
        raise QueryFailed(message) from exc
    finally:
        if not connection.closed:
            connection.rollback()


def _describe_change(before: Sequence[str], after: Sequence[str]) -> str:
    labels = ("current role", "session role", "transaction_read_only", "default_transaction_read_only",
              "statement_timeout")  # fmt: skip
    return ", ".join(
        f"{label} {old} → {new}" for label, old, new in zip(labels, before, after, strict=True) if old != new
    )


# --------------------------------------------------------------------------- the reader role


def reader_role_sql(role: str, database: str, owner: str, password: str | None = None) -> list[str]:
    """The statements that create (or refresh) a login role that can read the kehoach tables and nothing else.

    The settings are stored on the role, so they hold for every client
    (psql, pandas, notebooks), not only for ``kehoach query``.
    """
    from psycopg import sql as pgsql

    ident, db, own = pgsql.Identifier(role), pgsql.Identifier(database), pgsql.Identifier(owner)
    login = pgsql.SQL(" PASSWORD {}").format(pgsql.Literal(password)) if password else pgsql.SQL("")
    attributes = pgsql.SQL("LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT")
    statements = [
        pgsql.SQL(
            "DO $kehoach$ BEGIN IF to_regrole({name}) IS NULL THEN CREATE ROLE {ident}; END IF; END $kehoach$"
        ).format(name=pgsql.Literal(role), ident=ident),
        pgsql.SQL("ALTER ROLE {} {}{}").format(ident, attributes, login),
        pgsql.SQL("ALTER ROLE {} SET default_transaction_read_only = on").format(ident),
        pgsql.SQL("ALTER ROLE {} SET statement_timeout = {}").format(ident, pgsql.Literal(f"{int(QUERY_TIMEOUT_S)}s")),
        pgsql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(db, ident),
        pgsql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(ident),
        pgsql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {}").format(ident),
        pgsql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public GRANT SELECT ON TABLES TO {}").format(
            own, ident
        ),
        # lets ``kehoach query`` run as the owner switch down to the reader (SET ROLE); the reader gains nothing
        pgsql.SQL("GRANT {} TO {}").format(ident, own),
    ]
    return [statement.as_string(None) for statement in statements]


def create_reader_role(engine: Engine, role: str, password: str | None = None) -> list[str]:
    """Create or refresh ``role`` on the database behind ``engine`` (an administrator's URL); the SQL run."""
    from sqlalchemy import text

    with engine.connect() as connection:
        if connection.dialect.name != "postgresql":
            raise QueryRejected("reader roles are a PostgreSQL feature: an SQLite file is read-only for query already")
        database, owner = connection.execute(
            text(
                "SELECT current_database(), coalesce((SELECT tableowner FROM pg_tables WHERE schemaname = 'public'"
                " AND tablename = 'documents'), (SELECT pg_get_userbyid(datdba) FROM pg_database"
                " WHERE datname = current_database()))"
            )
        ).one()
        statements = reader_role_sql(role, database, owner, password)
        raw = connection.connection.driver_connection
        for statement in statements:
            raw.execute(statement)  # no parameters: the text goes as written (a "%" in a password stays one)
        raw.commit()
    return statements
