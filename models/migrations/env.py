"""Alembic environment for kehoach, configured in code (no alembic.ini needed).

``pipeline.db.upgrade`` hands over an open connection through
``config.attributes["connection"]`` so the caller controls locking (an
advisory lock on PostgreSQL keeps two ``kehoach ingest`` runs from creating
the schema twice).  Without one (the ``alembic`` command line during
development) the URL comes from ``sqlalchemy.url`` or ``KEHOACH_DB``.

Schema changes are transactional on every backend.  Alembic assumes SQLite
cannot roll back DDL (``transactional_ddl=False``), because Python's sqlite3
driver issues no ``BEGIN`` before ``CREATE``; kehoach's SQLite engine emits
every ``BEGIN`` itself (``pipeline.db``), so SQLite DDL does roll back, and a
migration killed half-way leaves the database as it was before it.
"""

from __future__ import annotations

from alembic import context
from kehoach.models.schema import Base

config = context.config
target_metadata = Base.metadata


def _run(connection) -> None:  # noqa: ANN001 - alembic hands over a Connection
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from kehoach.pipeline.db import make_engine, resolve_url

    engine = make_engine(config.get_main_option("sqlalchemy.url") or resolve_url(None))  # SQLite BEGINs as above
    with engine.begin() as conn:
        _run(conn)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
