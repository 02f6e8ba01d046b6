"""Which database kehoach talks to, and how its schema is brought up to date.

One resolution rule for every command: ``--db URL`` beats ``KEHOACH_DB``
beats the SQLite file ``data/processed/kehoach.db`` (relative to the working
directory).  A bare path is taken as a SQLite file; ``postgresql://`` URLs
are rewritten to the psycopg 3 driver, the one kehoach installs.

The Alembic configuration is built in code from the installed package, so
``kehoach db upgrade`` works from any directory without an ``alembic.ini``.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

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


def make_engine(url: str, *, read_only: bool = False) -> Engine:
    """An engine for ``url``; ``read_only`` opens SQLite with ``mode=ro`` and PostgreSQL read-only sessions."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, read_only=read_only)
    connect_args = {"options": "-c default_transaction_read_only=on"} if read_only else {}
    return create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)


def _sqlite_engine(url: URL, *, read_only: bool) -> Engine:
    path = _sqlite_path(url)
    if read_only:
        if path is None or not path.exists():
            raise DatabaseError(f"no database at {path}: run kehoach ingest first")
        uri = f"{path.resolve().as_uri()}?mode=ro"
        engine = create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False))
    else:
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001 - DB-API connection
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")  # ON DELETE CASCADE needs it on every connection
        cursor.close()

    return engine


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back if it raises."""
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
    """Bring the schema to ``revision``; safe to call from concurrent runs on one database."""
    from alembic import command

    with engine.connect() as connection:
        postgres = connection.dialect.name == "postgresql"
        if postgres:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _ADVISORY_LOCK_KEY})
            connection.commit()
        try:
            command.upgrade(alembic_config(connection), revision)
            connection.commit()
        finally:
            if postgres:
                connection.rollback()
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _ADVISORY_LOCK_KEY})
                connection.commit()


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
