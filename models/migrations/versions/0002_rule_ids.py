"""Why each fact is there: rule ids on tasks, roles, due dates, mentions and targets; unregistered agencies.

Extraction now says which rule made a text a task, gave an agency its role,
chose a due date or recognised a target (``task.table_row``,
``role.heading_scope``, ``due.table_cell`` …), and recognises bodies by the
grammar of their names, so an agency may be one the registry does not know.
Existing rows keep NULL rule ids (they were extracted before the rules had
ids) and count as registered until re-extracted.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 10:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RULE = sa.String(length=60)


_COLUMNS: list[tuple[str, sa.Column]] = [
    ("tasks", sa.Column("rule", _RULE, nullable=True)),
    ("tasks", sa.Column("due_rule", _RULE, nullable=True)),
    ("tasks", sa.Column("due_span_start", sa.Integer(), nullable=True)),
    ("tasks", sa.Column("due_span_end", sa.Integer(), nullable=True)),
    ("task_agencies", sa.Column("rule", _RULE, nullable=True)),
    ("agency_mentions", sa.Column("rule", _RULE, nullable=True)),
    ("targets", sa.Column("rule", _RULE, nullable=True)),
    ("agencies", sa.Column("registered", sa.Boolean(), nullable=False, server_default=sa.true())),
]
"""Plain ADD COLUMN on both dialects: SQLite's batch mode would rebuild the tables under the analyst views."""


def upgrade() -> None:
    for table, column in _COLUMNS:
        op.add_column(table, column)


def downgrade() -> None:
    # SQLite (3.35+) and PostgreSQL both drop a column no view reads in place
    for table, column in reversed(_COLUMNS):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column.name}")
