"""Initial schema: documents, their parts, agencies, ingest bookkeeping, and the analyst views.

The views aggregate agency names per task; SQLite spells that
``group_concat(x, sep)`` and PostgreSQL ``string_agg(x, sep ORDER BY ...)``,
so each view is written once with the aggregate filled in per dialect.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 07:17:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agencies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=400), nullable=False),
        sa.Column("name_folded", sa.String(length=400), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("level", sa.String(length=40), nullable=True),
        sa.Column("province", sa.Text(), nullable=True),
        sa.Column("successor_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["successor_id"], ["agencies.id"], name=op.f("fk_agencies_successor_id_agencies"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agencies")),
        sa.UniqueConstraint("name", name=op.f("uq_agencies_name")),
    )
    op.create_index(op.f("ix_agencies_name_folded"), "agencies", ["name_folded"], unique=False)
    op.create_index(op.f("ix_agencies_successor_id"), "agencies", ["successor_id"], unique=False)

    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("source_path", sa.Text(), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("encoding", sa.String(length=40), nullable=True),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("doc_type", sa.Text(), nullable=True),
        sa.Column("number", sa.Text(), nullable=True),
        sa.Column("number_key", sa.String(length=120), nullable=True),
        sa.Column("symbol", sa.Text(), nullable=True),
        sa.Column("issuer", sa.Text(), nullable=True),
        sa.Column("issuer_parent", sa.Text(), nullable=True),
        sa.Column("province", sa.Text(), nullable=True),
        sa.Column("place", sa.Text(), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("issued_precision", sa.String(length=5), nullable=True),
        sa.Column("issued_text", sa.String(length=10), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("signer", sa.Text(), nullable=True),
        sa.Column("signer_title", sa.Text(), nullable=True),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("pipeline_version", sa.String(length=40), nullable=False),
        sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "issued_precision IS NULL OR issued_precision IN ('year', 'month', 'day')",
            name=op.f("ck_documents_issued_precision_valid"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("sha256", name=op.f("uq_documents_sha256")),
    )
    op.create_index(op.f("ix_documents_issued_on"), "documents", ["issued_on"], unique=False)
    op.create_index(op.f("ix_documents_number_key"), "documents", ["number_key"], unique=False)
    op.create_index(op.f("ix_documents_source_path"), "documents", ["source_path"], unique=False)

    op.create_table(
        "ingest_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("pipeline_version", sa.String(length=40), nullable=False),
        sa.Column("files", sa.Integer(), nullable=False),
        sa.Column("ingested", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("replaced", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_runs")),
    )
    op.create_table(
        "agency_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("alias", sa.String(length=400), nullable=False),
        sa.Column("alias_folded", sa.String(length=400), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_agency_aliases_agency_id_agencies"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency_aliases")),
        sa.UniqueConstraint("agency_id", "alias", name="uq_agency_aliases_agency_id_alias"),
    )
    op.create_index(op.f("ix_agency_aliases_agency_id"), "agency_aliases", ["agency_id"], unique=False)
    op.create_index(op.f("ix_agency_aliases_alias_folded"), "agency_aliases", ["alias_folded"], unique=False)

    op.create_table(
        "agency_mentions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=True),
        sa.Column("span_start", sa.Integer(), nullable=False),
        sa.Column("span_end", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_agency_mentions_agency_id_agencies"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_agency_mentions_document_id_documents"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency_mentions")),
    )
    op.create_index(op.f("ix_agency_mentions_agency_id"), "agency_mentions", ["agency_id"], unique=False)
    op.create_index(op.f("ix_agency_mentions_document_id"), "agency_mentions", ["document_id"], unique=False)

    op.create_table(
        "ingest_errors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("error_class", sa.String(length=120), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["ingest_runs.id"], name=op.f("fk_ingest_errors_run_id_ingest_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_errors")),
    )
    op.create_index(op.f("ix_ingest_errors_run_id"), "ingest_errors", ["run_id"], unique=False)

    op.create_table(
        "legal_references",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("doc_type", sa.Text(), nullable=True),
        sa.Column("number", sa.Text(), nullable=True),
        sa.Column("number_key", sa.String(length=120), nullable=True),
        sa.Column("date_on", sa.Date(), nullable=True),
        sa.Column("date_precision", sa.String(length=5), nullable=True),
        sa.Column("date_text", sa.String(length=10), nullable=True),
        sa.Column("issuer", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("span_start", sa.Integer(), nullable=False),
        sa.Column("span_end", sa.Integer(), nullable=False),
        sa.Column("cited_document_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "date_precision IS NULL OR date_precision IN ('year', 'month', 'day')",
            name=op.f("ck_legal_references_date_precision_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["cited_document_id"],
            ["documents.id"],
            name=op.f("fk_legal_references_cited_document_id_documents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_legal_references_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_references")),
    )
    op.create_index(
        op.f("ix_legal_references_cited_document_id"), "legal_references", ["cited_document_id"], unique=False
    )
    op.create_index(op.f("ix_legal_references_document_id"), "legal_references", ["document_id"], unique=False)
    op.create_index(op.f("ix_legal_references_number_key"), "legal_references", ["number_key"], unique=False)

    op.create_table(
        "sections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("marker", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("span_start", sa.Integer(), nullable=False),
        sa.Column("span_end", sa.Integer(), nullable=False),
        sa.Column("page", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_sections_document_id_documents"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sections")),
    )
    op.create_index(op.f("ix_sections_document_id"), "sections", ["document_id"], unique=False)

    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("span_start", sa.Integer(), nullable=False),
        sa.Column("span_end", sa.Integer(), nullable=False),
        sa.Column("page", sa.Integer(), nullable=True),
        sa.Column("section", sa.Text(), nullable=True),
        sa.Column("start_on", sa.Date(), nullable=True),
        sa.Column("start_precision", sa.String(length=5), nullable=True),
        sa.Column("start_text", sa.String(length=10), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("due_precision", sa.String(length=5), nullable=True),
        sa.Column("due_text", sa.String(length=10), nullable=True),
        sa.Column("due_last_day", sa.Date(), nullable=True),
        sa.Column("recurrence", sa.Text(), nullable=True),
        sa.Column("flags", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "due_precision IS NULL OR due_precision IN ('year', 'month', 'day')",
            name=op.f("ck_tasks_due_precision_valid"),
        ),
        sa.CheckConstraint(
            "start_precision IS NULL OR start_precision IN ('year', 'month', 'day')",
            name=op.f("ck_tasks_start_precision_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_tasks_document_id_documents"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
    )
    op.create_index(op.f("ix_tasks_document_id"), "tasks", ["document_id"], unique=False)
    op.create_index(op.f("ix_tasks_due_on"), "tasks", ["due_on"], unique=False)

    op.create_table(
        "time_expressions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("span_start", sa.Integer(), nullable=False),
        sa.Column("span_end", sa.Integer(), nullable=False),
        sa.Column("start_text", sa.String(length=10), nullable=True),
        sa.Column("end_text", sa.String(length=10), nullable=True),
        sa.Column("recurrence", sa.Text(), nullable=True),
        sa.Column("deadline", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_time_expressions_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_time_expressions")),
    )
    op.create_index(op.f("ix_time_expressions_document_id"), "time_expressions", ["document_id"], unique=False)

    op.create_table(
        "milestones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("span_start", sa.Integer(), nullable=False),
        sa.Column("span_end", sa.Integer(), nullable=False),
        sa.Column("start_on", sa.Date(), nullable=True),
        sa.Column("start_precision", sa.String(length=5), nullable=True),
        sa.Column("start_text", sa.String(length=10), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("due_precision", sa.String(length=5), nullable=True),
        sa.Column("due_text", sa.String(length=10), nullable=True),
        sa.CheckConstraint(
            "due_precision IS NULL OR due_precision IN ('year', 'month', 'day')",
            name=op.f("ck_milestones_due_precision_valid"),
        ),
        sa.CheckConstraint(
            "start_precision IS NULL OR start_precision IN ('year', 'month', 'day')",
            name=op.f("ck_milestones_start_precision_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_milestones_task_id_tasks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milestones")),
    )
    op.create_index(op.f("ix_milestones_task_id"), "milestones", ["task_id"], unique=False)

    op.create_table(
        "targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("indicator", sa.Text(), nullable=False),
        sa.Column("indicator_folded", sa.Text(), nullable=False),
        sa.Column("min_value", sa.Float(), nullable=True),
        sa.Column("max_value", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(length=60), nullable=True),
        sa.Column("qualifier", sa.Text(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("span_start", sa.Integer(), nullable=False),
        sa.Column("span_end", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_targets_document_id_documents"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name=op.f("fk_targets_task_id_tasks"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_targets")),
    )
    op.create_index(op.f("ix_targets_document_id"), "targets", ["document_id"], unique=False)
    op.create_index(op.f("ix_targets_task_id"), "targets", ["task_id"], unique=False)
    op.create_index(op.f("ix_targets_year"), "targets", ["year"], unique=False)

    op.create_table(
        "task_agencies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("mention", sa.Text(), nullable=False),
        sa.Column("span_start", sa.Integer(), nullable=False),
        sa.Column("span_end", sa.Integer(), nullable=False),
        sa.CheckConstraint("role IN ('lead', 'coordinating')", name=op.f("ck_task_agencies_role_valid")),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_task_agencies_agency_id_agencies"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_task_agencies_task_id_tasks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_agencies")),
    )
    op.create_index(op.f("ix_task_agencies_agency_id"), "task_agencies", ["agency_id"], unique=False)
    op.create_index("ix_task_agencies_agency_id_role", "task_agencies", ["agency_id", "role"], unique=False)
    op.create_index(op.f("ix_task_agencies_task_id"), "task_agencies", ["task_id"], unique=False)

    create_views()


_ROLE_NAMES = """
    SELECT ta.task_id, ta.role, a.name, s.name AS successor, MIN(ta.id) AS first_id
    FROM task_agencies ta
    JOIN agencies a ON a.id = ta.agency_id
    LEFT JOIN agencies s ON s.id = a.successor_id
    GROUP BY ta.task_id, ta.role, a.name, s.name
"""
"""One row per (task, role, agency), the first mention's id giving the order names are listed in."""


def _names(role: str, column: str, alias: str, postgres: bool) -> str:
    """A derived table ``alias(task_id, names)``: ``column`` of the ``role`` agencies joined with "; "."""
    if postgres:
        aggregate = f"string_agg({column}, '; ' ORDER BY first_id)"
        source = f"({_ROLE_NAMES}) r WHERE role = '{role}' AND {column} IS NOT NULL"
    else:  # SQLite keeps the order of an ordered subquery in group_concat
        aggregate = f"group_concat({column}, '; ')"
        source = (
            f"(SELECT * FROM ({_ROLE_NAMES}) WHERE role = '{role}' AND {column} IS NOT NULL "
            "ORDER BY task_id, first_id) r"
        )
    return f"(SELECT task_id, {aggregate} AS names FROM {source} GROUP BY task_id) {alias}"


def view_sql(postgres: bool) -> dict[str, str]:
    lead = _names("lead", "name", "lead", postgres)
    coordinating = _names("coordinating", "name", "coord", postgres)
    successors = _names("lead", "successor", "succ", postgres)
    return {
        "v_tasks": f"""
            CREATE VIEW v_tasks AS
            SELECT t.id AS task_id, t.document_id, d.number AS document_number, d.title AS document_title,
                   d.issuer AS document_issuer, d.issued_on AS document_issued_on,
                   t.ordinal, t.section, t.page, t.text, t.span_start, t.span_end,
                   t.start_on, t.start_precision, t.start_text,
                   t.due_on, t.due_precision, t.due_text, t.due_last_day,
                   t.recurrence, t.flags,
                   lead.names AS lead, coord.names AS coordinating, succ.names AS lead_successors
            FROM tasks t
            JOIN documents d ON d.id = t.document_id
            LEFT JOIN {lead} ON lead.task_id = t.id
            LEFT JOIN {coordinating} ON coord.task_id = t.id
            LEFT JOIN {successors} ON succ.task_id = t.id
        """,
        "v_targets": """
            CREATE VIEW v_targets AS
            SELECT g.id AS target_id, g.document_id, d.number AS document_number, d.title AS document_title,
                   d.issuer AS document_issuer, d.issued_on AS document_issued_on,
                   g.indicator, g.indicator_folded, g.year, g.min_value, g.max_value, g.unit, g.qualifier,
                   g.text, g.span_start, g.span_end, g.task_id, t.section AS task_section
            FROM targets g
            JOIN documents d ON d.id = g.document_id
            LEFT JOIN tasks t ON t.id = g.task_id
        """,
        "v_timeline": """
            CREATE VIEW v_timeline AS
            SELECT task_id, document_id,
                   COALESCE(document_number, document_title, 'document ' || CAST(document_id AS VARCHAR(20))) AS plan,
                   document_number AS plan_number, document_title AS plan_title,
                   document_issued_on AS plan_issued_on,
                   section, text, start_on, start_text, due_on, due_precision, due_text, due_last_day,
                   recurrence, lead, coordinating, lead_successors, flags
            FROM v_tasks
        """,
    }


def create_views() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for sql in view_sql(postgres).values():
        op.execute(sql)


def drop_views() -> None:
    for name in ("v_timeline", "v_targets", "v_tasks"):
        op.execute(f"DROP VIEW IF EXISTS {name}")


def downgrade() -> None:
    drop_views()
    op.drop_table("task_agencies")
    op.drop_table("targets")
    op.drop_table("milestones")
    op.drop_table("time_expressions")
    op.drop_table("tasks")
    op.drop_table("sections")
    op.drop_table("legal_references")
    op.drop_table("ingest_errors")
    op.drop_table("agency_mentions")
    op.drop_table("agency_aliases")
    op.drop_table("ingest_runs")
    op.drop_table("documents")
    op.drop_table("agencies")
