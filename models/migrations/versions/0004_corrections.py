"""Analysts' corrections, and analyst views that show each plan once with its corrections applied.

``corrections`` holds one row per fix an analyst made (``kehoach.pipeline.corrections``).  The views
are redefined (dropped and created, both dialects):

- ``v_tasks_all`` / ``v_targets_all``: every rendering of every plan (``plan_id``, ``rendering_rank``),
  with the latest active correction of each field applied and a ``corrected`` column (1/0); a task
  marked "not a task" is absent, a task an analyst added is present (it is a ``tasks`` row with
  ``rule = 'correction.new_task'``);
- ``v_tasks`` / ``v_targets``: the same, for the primary rendering of each plan only, drafts whose
  signed version is stored left out (a document without a plan, if any, is shown as it is);
- ``v_timeline``: ``v_tasks`` for the timeline, as before, plus ``plan_id``, ``corrected`` and ``due_year``;
- ``v_documents``: one row per stored file with its plan, rendering rank and version link.

The columns the views had keep their names and order; new ones come after them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 12:20:00
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_initial = importlib.import_module("kehoach.models.migrations.versions.0001_initial")

VIEWS = ("v_timeline", "v_tasks", "v_targets", "v_tasks_all", "v_targets_all", "v_documents")
"""In drop order: a view before the views it reads."""

_ACTIVE = """(SELECT c.* FROM corrections c JOIN (
        SELECT MAX(id) AS id FROM corrections WHERE undone_at IS NULL AND status = 'matched'
        GROUP BY document_id, task_id, target_id, field
    ) latest ON latest.id = c.id)"""
"""The correction in force per (task or target, field): the newest one not undone and still matched."""


def _json(column: str, key: str, sql_type: str, postgres: bool) -> str:
    if postgres:
        types = {"REAL": "DOUBLE PRECISION"}
        return f"CAST({column} ->> '{key}' AS {types.get(sql_type, sql_type)})"
    return f"CAST(json_extract({column}, '$.{key}') AS {sql_type})"


def _pick(correction: str, corrected: str, original: str) -> str:
    return f"CASE WHEN {correction}.id IS NULL THEN {original} ELSE {corrected} END"


def _primary_only(view: str) -> str:
    """``view`` as the rows of ``view``_all from each plan's primary rendering, superseded drafts left out."""
    return f"""
        CREATE VIEW {view} AS
        SELECT v.* FROM {view}_all v
        JOIN documents d ON d.id = v.document_id
        LEFT JOIN plans p ON p.id = d.plan_id
        WHERE d.plan_id IS NULL OR (d.rendering_rank = 1 AND NOT p.superseded)
    """


def view_sql(postgres: bool) -> dict[str, str]:
    lead = _initial._names("lead", "name", "lead", postgres)
    coordinating = _initial._names("coordinating", "name", "coord", postgres)
    successors = _initial._names("lead", "successor", "succ", postgres)
    target_value = {
        "indicator": _pick("cg", _json("cg.new_value", "indicator", "TEXT", postgres), "g.indicator"),
        "indicator_folded": _pick("cg", "cg.value_text", "g.indicator_folded"),
        "year": _pick("cg", _json("cg.new_value", "year", "INTEGER", postgres), "g.year"),
        "min_value": _pick("cg", _json("cg.new_value", "min_value", "REAL", postgres), "g.min_value"),
        "max_value": _pick("cg", _json("cg.new_value", "max_value", "REAL", postgres), "g.max_value"),
        "unit": _pick("cg", _json("cg.new_value", "unit", "TEXT", postgres), "g.unit"),
        "qualifier": _pick("cg", _json("cg.new_value", "qualifier", "TEXT", postgres), "g.qualifier"),
    }
    # the year a task is due, as an integer (Datasette's year facet)
    due_year = "CAST(EXTRACT(YEAR FROM due_on) AS INTEGER)" if postgres else "CAST(strftime('%Y', due_on) AS INTEGER)"
    return {
        "v_tasks_all": f"""
            CREATE VIEW v_tasks_all AS
            SELECT t.id AS task_id, t.document_id, d.number AS document_number, d.title AS document_title,
                   d.issuer AS document_issuer, d.issued_on AS document_issued_on,
                   t.ordinal, t.section, t.page, t.text, t.span_start, t.span_end,
                   {_pick("cs", "cs.value_on", "t.start_on")} AS start_on,
                   {_pick("cs", "cs.value_precision", "t.start_precision")} AS start_precision,
                   {_pick("cs", "cs.value_iso", "t.start_text")} AS start_text,
                   {_pick("cd", "cd.value_on", "t.due_on")} AS due_on,
                   {_pick("cd", "cd.value_precision", "t.due_precision")} AS due_precision,
                   {_pick("cd", "cd.value_iso", "t.due_text")} AS due_text,
                   {_pick("cd", "cd.value_last_day", "t.due_last_day")} AS due_last_day,
                   t.recurrence, t.flags,
                   {_pick("cl", "cl.value_text", "lead.names")} AS lead,
                   {_pick("cc", "cc.value_text", "coord.names")} AS coordinating,
                   {_pick("cl", "cl.value_extra", "succ.names")} AS lead_successors,
                   CASE WHEN cl.id IS NOT NULL OR cc.id IS NOT NULL OR cs.id IS NOT NULL OR cd.id IS NOT NULL
                             OR t.rule = 'correction.new_task' THEN 1 ELSE 0 END AS corrected,
                   d.plan_id, d.rendering_rank, t.rule
            FROM tasks t
            JOIN documents d ON d.id = t.document_id
            LEFT JOIN {lead} ON lead.task_id = t.id
            LEFT JOIN {coordinating} ON coord.task_id = t.id
            LEFT JOIN {successors} ON succ.task_id = t.id
            LEFT JOIN {_ACTIVE} cl ON cl.task_id = t.id AND cl.field = 'lead'
            LEFT JOIN {_ACTIVE} cc ON cc.task_id = t.id AND cc.field = 'coordinating'
            LEFT JOIN {_ACTIVE} cs ON cs.task_id = t.id AND cs.field = 'start'
            LEFT JOIN {_ACTIVE} cd ON cd.task_id = t.id AND cd.field = 'due'
            LEFT JOIN {_ACTIVE} cn ON cn.task_id = t.id AND cn.field = 'not_task'
            WHERE cn.id IS NULL OR cn.value_text <> 'true'
        """,
        "v_tasks": _primary_only("v_tasks"),
        "v_targets_all": f"""
            CREATE VIEW v_targets_all AS
            SELECT g.id AS target_id, g.document_id, d.number AS document_number, d.title AS document_title,
                   d.issuer AS document_issuer, d.issued_on AS document_issued_on,
                   {target_value["indicator"]} AS indicator, {target_value["indicator_folded"]} AS indicator_folded,
                   {target_value["year"]} AS year, {target_value["min_value"]} AS min_value,
                   {target_value["max_value"]} AS max_value, {target_value["unit"]} AS unit,
                   {target_value["qualifier"]} AS qualifier,
                   g.text, g.span_start, g.span_end, g.task_id, t.section AS task_section,
                   CASE WHEN cg.id IS NULL THEN 0 ELSE 1 END AS corrected, d.plan_id, d.rendering_rank
            FROM targets g
            JOIN documents d ON d.id = g.document_id
            LEFT JOIN tasks t ON t.id = g.task_id
            LEFT JOIN {_ACTIVE} cg ON cg.target_id = g.id AND cg.field = 'target'
        """,
        "v_targets": _primary_only("v_targets"),
        "v_timeline": f"""
            CREATE VIEW v_timeline AS
            SELECT task_id, document_id,
                   COALESCE(document_number, document_title, 'document ' || CAST(document_id AS VARCHAR(20))) AS plan,
                   document_number AS plan_number, document_title AS plan_title,
                   document_issued_on AS plan_issued_on,
                   section, text, start_on, start_text, due_on, due_precision, due_text, due_last_day,
                   recurrence, lead, coordinating, lead_successors, flags, plan_id, corrected,
                   {due_year} AS due_year
            FROM v_tasks
        """,
        "v_documents": """
            CREATE VIEW v_documents AS
            SELECT d.id AS document_id, d.plan_id, d.rendering_rank,
                   CASE WHEN d.rendering_rank = 1 THEN 1 ELSE 0 END AS is_primary,
                   d.source_path, d.format, d.pages, d.doc_type, d.number, d.issuer, d.issued_on, d.title,
                   d.pipeline_version, d.ingested_at,
                   p.renderings AS plan_renderings, p.version_of_id AS plan_version_of_id,
                   p.version_kind AS plan_version_kind, p.superseded AS plan_superseded,
                   (SELECT count(*) FROM tasks t WHERE t.document_id = d.id) AS tasks
            FROM documents d
            LEFT JOIN plans p ON p.id = d.plan_id
        """,
    }


def create_views() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for sql in view_sql(postgres).values():
        op.execute(sql)


def drop_views() -> None:
    for name in VIEWS:
        op.execute(f"DROP VIEW IF EXISTS {name}")


def upgrade() -> None:
    op.create_table(
        "corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("field", sa.String(length=20), nullable=False),
        sa.Column("old_value", sa.JSON(), nullable=True),
        sa.Column("new_value", sa.JSON(), nullable=True),
        sa.Column("span_start", sa.Integer(), nullable=True),
        sa.Column("span_end", sa.Integer(), nullable=True),
        sa.Column("anchor_text", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author", sa.Text(), nullable=True),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("value_text", sa.Text(), nullable=True),
        sa.Column("value_extra", sa.Text(), nullable=True),
        sa.Column("value_on", sa.Date(), nullable=True),
        sa.Column("value_precision", sa.String(length=5), nullable=True),
        sa.Column("value_iso", sa.String(length=10), nullable=True),
        sa.Column("value_last_day", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "field IN ('lead', 'coordinating', 'start', 'due', 'not_task', 'new_task', 'target', 'reviewed')",
            name=op.f("ck_corrections_field_valid"),
        ),
        sa.CheckConstraint("status IN ('matched', 'unmatched')", name=op.f("ck_corrections_status_valid")),
        sa.CheckConstraint(
            "value_precision IS NULL OR value_precision IN ('year', 'month', 'day')",
            name=op.f("ck_corrections_value_precision_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_corrections_document_id_documents"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_corrections_task_id_tasks"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["target_id"], ["targets.id"], name=op.f("fk_corrections_target_id_targets"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corrections")),
    )
    for column in ("document_id", "task_id", "target_id"):
        op.create_index(op.f(f"ix_corrections_{column}"), "corrections", [column], unique=False)
    _initial.drop_views()
    create_views()


def downgrade() -> None:
    drop_views()
    _initial.create_views()
    op.drop_table("corrections")
