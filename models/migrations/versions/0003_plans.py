"""Plan identity: renderings of one plan share a ``plans`` row; drafts, amendments and revisions are linked.

Adds ``plans``, ``documents.plan_id`` / ``rendering_rank`` / ``text_signature`` / ``shingle_count``,
and the run bookkeeping that re-extraction and Ctrl-C need (``ingest_runs.reextracted``, ``status``).
Documents stored before this revision are given their plans here, in id order, by the same code that
assigns a plan at ingest (``kehoach.pipeline.plans.assign_all``), so the views that 0004 redefines show
every plan once straight after the upgrade.  The analyst views themselves are redefined in 0004
(with the corrections they apply).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 12:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DOCUMENT_COLUMNS = ("plan_id", "rendering_rank", "text_signature", "shingle_count")
_RUN_COLUMNS = ("reextracted", "status")


def upgrade() -> None:
    op.create_table(
        "plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Text(), nullable=True),
        sa.Column("number_key", sa.String(length=120), nullable=True),
        sa.Column("issuer", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("doc_type", sa.Text(), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("primary_document_id", sa.Integer(), nullable=True),
        sa.Column("renderings", sa.Integer(), nullable=False),
        sa.Column("version_of_id", sa.Integer(), nullable=True),
        sa.Column("version_kind", sa.String(length=12), nullable=True),
        sa.Column("superseded", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.CheckConstraint(
            "version_kind IS NULL OR version_kind IN ('signed', 'amendment', 'revision')",
            name=op.f("ck_plans_version_kind_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["primary_document_id"],
            ["documents.id"],
            name=op.f("fk_plans_primary_document_id_documents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["version_of_id"], ["plans.id"], name=op.f("fk_plans_version_of_id_plans"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plans")),
    )
    op.create_index(op.f("ix_plans_number_key"), "plans", ["number_key"], unique=False)
    op.create_index(op.f("ix_plans_primary_document_id"), "plans", ["primary_document_id"], unique=False)
    op.create_index(op.f("ix_plans_version_of_id"), "plans", ["version_of_id"], unique=False)
    # plain ADD COLUMN on both dialects, and no foreign key on plan_id: SQLite can drop such a column in
    # place on downgrade, where a rebuilt documents table would cascade-delete every task
    # (kehoach.pipeline.plans keeps plan_id valid in each document's transaction)
    op.add_column("documents", sa.Column("plan_id", sa.Integer(), nullable=True))
    op.add_column("documents", sa.Column("rendering_rank", sa.Integer(), nullable=True))
    op.add_column("documents", sa.Column("text_signature", sa.JSON(), nullable=True))
    op.add_column("documents", sa.Column("shingle_count", sa.Integer(), nullable=True))
    op.create_index(op.f("ix_documents_plan_id"), "documents", ["plan_id"], unique=False)
    op.add_column("ingest_runs", sa.Column("reextracted", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("ingest_runs", sa.Column("status", sa.String(length=12), nullable=False, server_default="finished"))

    from kehoach.pipeline.plans import assign_all
    from sqlalchemy.orm import Session

    assign_all(Session(bind=op.get_bind()))


def downgrade() -> None:
    op.drop_index(op.f("ix_documents_plan_id"), table_name="documents")
    for column in _RUN_COLUMNS:
        op.execute(f"ALTER TABLE ingest_runs DROP COLUMN {column}")
    for column in _DOCUMENT_COLUMNS:
        op.execute(f"ALTER TABLE documents DROP COLUMN {column}")
    op.drop_table("plans")
