"""Alembic environment for kehoach, configured in code (no alembic.ini needed).

``pipeline.db.upgrade`` hands over an open connection through
``config.attributes["connection"]`` so the caller controls locking (an
advisory lock on PostgreSQL keeps two ``kehoach ingest`` runs from creating
the schema twice).  Without one (the ``alembic`` command line during
development) the URL comes from ``sqlalchemy.url`` or ``KEHOACH_DB``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from models.schema import Base

config = context.config
target_metadata = Base.metadata


def _run(connection) -> None:  # noqa: ANN001 - alembic hands over a Connection
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
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
    from pipeline.db import resolve_url

    engine = create_engine(config.get_main_option("sqlalchemy.url") or resolve_url(None))
    with engine.begin() as conn:
        _run(conn)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
