"""Which database kehoach talks to, and how its schema is brought up to date.

One resolution rule for every command: ``--db URL`` beats ``KEHOACH_DB``
beats the SQLite file ``data/processed/kehoach.db`` (relative to the working
directory).  A bare path is taken as a SQLite file; ``postgresql://`` URLs
are rewritten to the psycopg 3 driver, the one kehoach installs.  SQLite
writers use WAL with ``synchronous=NORMAL`` unless
``KEHOACH_SQLITE_SYNCHRONOUS=FULL`` asks for an fsync at every commit.

The Alembic configuration is built in code from the installed package, so
``kehoach db upgrade`` works from any directory without an ``alembic.ini``.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

if TYPE_CHECKING:  # the ORM costs ~45 ms to import: the read-only commands (query, search) never open a Session
    from sqlalchemy.orm import Session

ENV_VAR = "KEHOACH_DB"
DEFAULT_DB_PATH = Path("data") / "processed" / "kehoach.db"
MIGRATIONS = Path(__file__).resolve().parent.parent / "models" / "migrations"
_ADVISORY_LOCK_KEY = 0x6B65686F  # "keho": serialises schema upgrades of concurrent runs on PostgreSQL


class DatabaseError(Exception):
    """A database URL or state the user must fix (printed as one line)."""


def resolve_url(db: str | None) -> str:
    """The SQLAlchemy URL for ``--db`` (or ``KEHOACH_DB``, or the default SQLite file)."""
    raw = db or os.environ.get(ENV_VAR) or str(DEFAULT_DB_PATH)
    if "://" not in raw:
        return f"sqlite:///{Path(raw).expanduser().resolve()}"
    for prefix in ("postgresql://", "postgres://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix) :]
    if raw.startswith("postgresql+") and not raw.startswith("postgresql+psycopg://"):
        raise DatabaseError(f"unsupported PostgreSQL driver in {raw.split('://')[0]!r}: use postgresql+psycopg://")
    return raw


def describe(url: str) -> str:
    """The URL without its password, fit for messages."""
    return make_url(url).render_as_string(hide_password=True)


def _sqlite_path(url: URL) -> Path | None:
    return Path(url.database) if url.database and url.database != ":memory:" else None


WRITER_BUSY_TIMEOUT_S = 60
"""How long an SQLite writer waits for another writer (one document's transaction takes well under a second)."""
SYNCHRONOUS_ENV_VAR = "KEHOACH_SQLITE_SYNCHRONOUS"
SYNCHRONOUS_MODES = ("NORMAL", "FULL", "EXTRA")
"""What a writer may ask for.  NORMAL (the default) in WAL mode fsyncs at checkpoints, not at every
commit: a committed document survives a crash of kehoach, and a power cut can lose at most the last
transactions, never corrupt the file (https://sqlite.org/wal.html#performance_considerations); an ingest
re-run stores whatever was lost.  FULL fsyncs the WAL at every commit, for a database that must not lose a
committed document even to a power cut.  OFF is not offered: it can corrupt the file."""
READER_BUSY_TIMEOUT_S = 30
"""How long an SQLite reader waits for a lock.  In WAL mode readers never wait for writers or for each
other; only a checkpoint or a crash recovery can hold them up, for milliseconds."""


def sqlite_synchronous(requested: str | None = None) -> str:
    """The ``PRAGMA synchronous`` for SQLite writers: ``requested``, else ``$KEHOACH_SQLITE_SYNCHRONOUS``, else NORMAL.

    NORMAL takes about a quarter off a document's write time (one fsync per checkpoint instead of one
    per commit); see :data:`SYNCHRONOUS_MODES` for what each mode keeps safe.
    """
    mode = (requested or os.environ.get(SYNCHRONOUS_ENV_VAR) or "NORMAL").strip().upper()
    if mode not in SYNCHRONOUS_MODES:
        raise DatabaseError(f"{SYNCHRONOUS_ENV_VAR}={mode!r}: use one of {', '.join(SYNCHRONOUS_MODES)}")
    return mode


def _json_text(value: object) -> str:
    """JSON columns store Vietnamese as written ("Bộ Xây dựng"), not ``\\u`` escapes, for whoever reads them raw."""
    return json.dumps(value, ensure_ascii=False)


def make_engine(url: str, *, read_only: bool = False, synchronous: str | None = None) -> Engine:
    """An engine for ``url``; ``read_only`` opens sessions that cannot write, whatever SQL they are sent.

    ``synchronous`` sets SQLite's ``PRAGMA synchronous`` for writers (see :func:`sqlite_synchronous`).

    SQLite: ``mode=ro`` and ``PRAGMA query_only=ON``.  PostgreSQL:
    ``default_transaction_read_only=on`` set at connection level, so every
    transaction of the session starts read-only, and no pooling, so a session
    whose settings a query changed is never handed out again.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, read_only=read_only, synchronous=sqlite_synchronous(synchronous))
    if not read_only:
        return create_engine(parsed, pool_pre_ping=True, json_serializer=_json_text)
    options = "-c default_transaction_read_only=on"
    return create_engine(parsed, poolclass=NullPool, connect_args={"options": options})


def _sqlite_engine(url: URL, *, read_only: bool, synchronous: str = "NORMAL") -> Engine:
    path = _sqlite_path(url)
    if read_only:
        if path is None or not path.exists():
            raise DatabaseError(f"no database at {path}: run kehoach ingest first")
        return create_engine("sqlite://", creator=lambda: _sqlite_reader(path), poolclass=NullPool)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": WRITER_BUSY_TIMEOUT_S}, json_serializer=_json_text)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001 - DB-API connection
        # The driver's own transaction handling issues no BEGIN before DDL, so a schema creation
        # interrupted half-way stayed half-created: SQLAlchemy emits every BEGIN instead (below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")  # ON DELETE CASCADE needs it on every connection
        if path is not None:
            cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer, nor it for them
        cursor.execute(f"PRAGMA synchronous={synchronous}")  # one of SYNCHRONOUS_MODES, checked above
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:  # noqa: ANN001 - SQLAlchemy Connection
        # IMMEDIATE takes the write lock up front: two first runs cannot both create the schema, and a
        # writer waits (busy timeout) instead of failing when its read turns into a write.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _sqlite_reader(path: Path) -> sqlite3.Connection:
    uri = f"{path.resolve().as_uri()}?mode=ro"
    connection = sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=READER_BUSY_TIMEOUT_S)
    connection.execute("PRAGMA query_only=ON")
    return connection


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back if it raises."""
    from sqlalchemy.orm import sessionmaker

    factory = sessionmaker(engine, expire_on_commit=False)
    with factory() as session, session.begin():
        yield session


def alembic_config(connection=None):  # noqa: ANN001, ANN201 - alembic types are imported lazily
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` in one transaction; safe to call from concurrent runs on one database.

    On SQLite the whole upgrade, version stamp included, is one ``BEGIN IMMEDIATE`` transaction (see
    :func:`_sqlite_engine`), so an interrupted first run leaves either no schema or all of it.
    """
    if schema_is_current(engine, revision):
        return  # the usual case: one read, without loading Alembic's migration machinery
    from alembic import command

    with engine.connect() as connection:
        postgres = connection.dialect.name == "postgresql"
        if postgres:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _ADVISORY_LOCK_KEY})
            connection.commit()
        try:
            _clear_half_created_schema(connection)
            command.upgrade(alembic_config(connection), revision)
            connection.commit()
        finally:
            if postgres:
                connection.rollback()
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _ADVISORY_LOCK_KEY})
                connection.commit()


def schema_is_current(engine: Engine, revision: str = "head") -> bool:
    """Whether the database already stands at ``revision`` (``head``: the newest this kehoach knows).

    Checked once per run before any document (``ingest_files``): a read of ``alembic_version``, about
    3 ms, where running the Alembic upgrade command on an up-to-date schema costs ~0.1 s of imports and
    environment set-up.  Anything unexpected (no table yet, a database that cannot be read) answers False
    and leaves the decision to the full upgrade.
    """
    target = head_revision() if revision == "head" else revision
    try:
        return current_revision(engine) == target
    except Exception:  # noqa: BLE001 - the full upgrade reports the real problem
        return False


def _clear_half_created_schema(connection) -> None:  # noqa: ANN001 - SQLAlchemy Connection
    """Drop what an interrupted schema creation of an older kehoach left, or refuse if it holds data.

    Before schema creation was one transaction on SQLite, a run killed in its first half-second left
    some tables and no ``alembic_version`` row, and every later run failed on "table agencies already
    exists".  Empty kehoach tables without a revision can only come from that, so they are dropped
    (in the upgrade's own transaction); tables with rows might be someone's data and are never touched.
    """
    from alembic.migration import MigrationContext
    from kehoach.models.schema import TABLES, VIEWS, Base

    if MigrationContext.configure(connection).get_current_revision() is not None:
        return
    inspector = inspect(connection)
    tables = [name for name in inspector.get_table_names() if name in TABLES]
    views = [name for name in inspector.get_view_names() if name in VIEWS]
    if not tables and not views:
        return
    filled = [name for name in tables if connection.execute(text(f'SELECT 1 FROM "{name}" LIMIT 1')).first()]
    where = describe(str(connection.engine.url))
    if filled:
        raise DatabaseError(
            f"{where} has kehoach tables but no schema revision, and {', '.join(sorted(filled))} hold rows: "
            "it is not a database kehoach created. Point --db at a new file or database, or move this one away"
        )
    for name in views:
        connection.execute(text(f'DROP VIEW "{name}"'))
    for table in reversed(Base.metadata.sorted_tables):
        if table.name in tables:
            connection.execute(text(f'DROP TABLE "{table.name}"'))
    sys.stderr.write(
        f"kehoach: {where}: removed {len(tables)} empty tables and {len(views)} views left by an "
        "interrupted schema creation; creating the schema again\n"
    )


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for a database kehoach never touched)."""
    from alembic.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head
