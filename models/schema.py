"""The relational form of an :class:`~models.document.Extraction` (SQLAlchemy 2.0 typed ORM).

One row per thing an analyst asks about: documents, their sections, tasks,
milestones, targets and legal references; agencies are shared across
documents (one row per canonical name, with the 2025 reorganisation as a
``successor_id`` link) and tied to tasks through ``task_agencies``.

Dates keep the precision the text gave: every partial date is three columns,
``<name>_on`` (a real DATE, the first day of the period, so ``ORDER BY`` and
range filters work), ``<name>_precision`` ('year' | 'month' | 'day') and
``<name>_text`` (the ISO partial string, "2022-03").  Tasks also store
``due_last_day`` (the last day of the due period) so "overdue as of X" is a
plain comparison.

Names an analyst searches carry a ``*_folded`` twin (no diacritics, lower
case) because SQLite's ``lower()``/``LIKE`` fold ASCII only: fold the search
term with :func:`fold` and compare with the folded column.

The schema is created by the Alembic migration in ``models/migrations``
(``kehoach db upgrade``), never by ``metadata.create_all``, so the views the
migration adds always exist beside the tables.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from kehoach.models.text_forms import fold_diacritics
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Stable constraint names, so migrations can refer to them on both dialects."""

PRECISIONS = ("year", "month", "day")
ROLES = ("lead", "coordinating")

TABLES = (
    "plans",
    "documents",
    "sections",
    "tasks",
    "milestones",
    "agencies",
    "agency_aliases",
    "task_agencies",
    "agency_mentions",
    "time_expressions",
    "targets",
    "legal_references",
    "ingest_runs",
    "ingest_errors",
    "corrections",
)
VIEWS = ("v_tasks", "v_targets", "v_timeline", "v_tasks_all", "v_targets_all", "v_documents")
CORRECTION_FIELDS = ("lead", "coordinating", "start", "due", "not_task", "new_task", "target", "reviewed")
CORRECTION_STATUSES = ("matched", "unmatched")
RUN_STATUSES = ("running", "finished", "interrupted")

_SPACES = re.compile(r"\s+")
_NUMBER_NOISE = re.compile(r"\s+")


def fold(text: str | None) -> str | None:
    """Search key for Vietnamese names: no diacritics, đ→d, lower case, single spaces."""
    if text is None:
        return None
    return _SPACES.sub(" ", fold_diacritics(text)).strip()


def number_key(number: str | None) -> str | None:
    """Matching key for a document number ("148/NQ-CP", "06-NQ/TW", "số 06 - NQ/TW").

    Case, diacritics, spaces and edge punctuation are not significant; leading
    zeros of the serial are ("06-NQ/TW" and "6-NQ/TW" are written both ways), so
    they go too.  Inner dots are kept: "66.2/2025/NQ-CP" is not "662/2025/NQ-CP".
    """
    if not number:
        return None
    key = _NUMBER_NOISE.sub("", fold_diacritics(number)).upper().strip(".,;:")
    key = re.sub(r"^SO", "", key) if re.match(r"^SO\d", key) else key
    key = key.lstrip("0") or key
    return key or None


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _precision_check(column: str) -> CheckConstraint:
    return CheckConstraint(f"{column} IS NULL OR {column} IN ('year', 'month', 'day')", name=f"{column}_valid")


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    source_path: Mapped[str] = mapped_column(Text, index=True)
    """Absolute path of the file when it was ingested: a new version at the same path replaces this row."""
    format: Mapped[str] = mapped_column(String(16))
    pages: Mapped[int | None]
    encoding: Mapped[str | None] = mapped_column(String(40))
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    doc_type: Mapped[str | None] = mapped_column(Text)
    number: Mapped[str | None] = mapped_column(Text)
    number_key: Mapped[str | None] = mapped_column(String(120), index=True)
    symbol: Mapped[str | None] = mapped_column(Text)
    issuer: Mapped[str | None] = mapped_column(Text)
    issuer_parent: Mapped[str | None] = mapped_column(Text)
    province: Mapped[str | None] = mapped_column(Text)
    place: Mapped[str | None] = mapped_column(Text)
    issued_on: Mapped[date | None] = mapped_column(Date, index=True)
    issued_precision: Mapped[str | None] = mapped_column(String(5))
    issued_text: Mapped[str | None] = mapped_column(String(10))
    title: Mapped[str | None] = mapped_column(Text)
    signer: Mapped[str | None] = mapped_column(Text)
    signer_title: Mapped[str | None] = mapped_column(Text)
    """The lines above the signer's name, joined with " / "."""
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    pipeline_version: Mapped[str] = mapped_column(String(40))
    ingested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    content: Mapped[str] = mapped_column(Text)
    plan_id: Mapped[int | None] = mapped_column(Integer, index=True)
    """The plan this file is a rendering of: ``kehoach.pipeline.plans`` assigns it in the write transaction
    and keeps it valid (no foreign key, so SQLite can drop the column in place on downgrade)."""
    rendering_rank: Mapped[int | None] = mapped_column(Integer)
    """1 for the plan's best-read rendering (the one the views show), 2, 3 … for the others."""
    text_signature: Mapped[list[int] | None] = mapped_column(JSON)
    """MinHash of the folded text's word 3-shingles: how near-identical renderings are recognised."""
    shingle_count: Mapped[int | None] = mapped_column(Integer)

    sections: Mapped[list[Section]] = relationship(back_populates="document", passive_deletes=True)
    tasks: Mapped[list[Task]] = relationship(back_populates="document", passive_deletes=True)
    targets: Mapped[list[Target]] = relationship(back_populates="document", passive_deletes=True)
    references: Mapped[list[LegalReference]] = relationship(
        back_populates="document", passive_deletes=True, foreign_keys="LegalReference.document_id"
    )
    agency_mentions: Mapped[list[AgencyMentionRow]] = relationship(back_populates="document", passive_deletes=True)
    time_expressions: Mapped[list[TimeExpressionRow]] = relationship(back_populates="document", passive_deletes=True)

    __table_args__ = (_precision_check("issued_precision"),)


class Plan(Base):
    """One plan, however many files render it (TXT, DOCX, PDF, a scan of the same signed text).

    A draft and its signed version, or an amended version, are separate plans linked by
    ``version_of_id`` (the earlier plan) and ``version_kind``; a draft whose signed version is stored
    is hidden from the analyst views (``superseded``), an amended plan and its amendment both show.
    """

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str | None] = mapped_column(Text)
    number_key: Mapped[str | None] = mapped_column(String(120), index=True)
    issuer: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    doc_type: Mapped[str | None] = mapped_column(Text)
    issued_on: Mapped[date | None] = mapped_column(Date)
    primary_document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id", ondelete="SET NULL", use_alter=True), index=True
    )
    renderings: Mapped[int] = mapped_column(Integer, default=1)
    version_of_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id", ondelete="SET NULL"), index=True)
    """The earlier version of this plan (its draft, or the plan it amends or revises)."""
    version_kind: Mapped[str | None] = mapped_column(String(12))
    """'signed' (``version_of`` is its draft), 'amendment' or 'revision'."""
    superseded: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """A draft whose signed version is stored: the views leave it out."""

    __table_args__ = (
        CheckConstraint(
            "version_kind IS NULL OR version_kind IN ('signed', 'amendment', 'revision')", name="version_kind_valid"
        ),
    )


class Section(Base):
    __tablename__ = "sections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    ordinal: Mapped[int]
    path: Mapped[str] = mapped_column(Text)
    marker: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    level: Mapped[int]
    span_start: Mapped[int]
    span_end: Mapped[int]
    page: Mapped[int | None]

    document: Mapped[Document] = relationship(back_populates="sections")


class Task(Base):
    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    ordinal: Mapped[int]
    """Position of the task in its document (the index targets refer to)."""
    text: Mapped[str] = mapped_column(Text)
    span_start: Mapped[int]
    span_end: Mapped[int]
    page: Mapped[int | None]
    section: Mapped[str | None] = mapped_column(Text)
    start_on: Mapped[date | None] = mapped_column(Date)
    start_precision: Mapped[str | None] = mapped_column(String(5))
    start_text: Mapped[str | None] = mapped_column(String(10))
    due_on: Mapped[date | None] = mapped_column(Date, index=True)
    due_precision: Mapped[str | None] = mapped_column(String(5))
    due_text: Mapped[str | None] = mapped_column(String(10))
    due_last_day: Mapped[date | None] = mapped_column(Date)
    """Last day of the due period ("2022-03" → 2022-03-31): a task is overdue after it."""
    recurrence: Mapped[str | None] = mapped_column(Text)
    flags: Mapped[str | None] = mapped_column(Text)
    """Anomaly flags joined with ",": "due_before_issue,milestones_out_of_order" (LIKE works on both dialects)."""
    rule: Mapped[str | None] = mapped_column(String(60))
    """The segmentation rule that made this text a task ("task.table_row", "task.list_item")."""
    due_rule: Mapped[str | None] = mapped_column(String(60))
    """The rule that chose start/due ("due.table_cell", "due.lead_in")."""
    due_span_start: Mapped[int | None]
    due_span_end: Mapped[int | None]

    document: Mapped[Document] = relationship(back_populates="tasks")
    milestones: Mapped[list[Milestone]] = relationship(back_populates="task", passive_deletes=True)
    agencies: Mapped[list[TaskAgency]] = relationship(back_populates="task", passive_deletes=True)

    __table_args__ = (_precision_check("start_precision"), _precision_check("due_precision"))


class Milestone(Base):
    __tablename__ = "milestones"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    ordinal: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    span_start: Mapped[int]
    span_end: Mapped[int]
    start_on: Mapped[date | None] = mapped_column(Date)
    start_precision: Mapped[str | None] = mapped_column(String(5))
    start_text: Mapped[str | None] = mapped_column(String(10))
    due_on: Mapped[date | None] = mapped_column(Date)
    due_precision: Mapped[str | None] = mapped_column(String(5))
    due_text: Mapped[str | None] = mapped_column(String(10))

    task: Mapped[Task] = relationship(back_populates="milestones")

    __table_args__ = (_precision_check("start_precision"), _precision_check("due_precision"))


class Agency(Base):
    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(400), unique=True)
    """Canonical name from the registry ("Sở Kế hoạch và Đầu tư")."""
    name_folded: Mapped[str] = mapped_column(String(400), index=True)
    kind: Mapped[str] = mapped_column(String(40), default="agency")
    level: Mapped[str | None] = mapped_column(String(40))
    province: Mapped[str | None] = mapped_column(Text)
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id", ondelete="SET NULL"), index=True)
    """The agency that took over this one's duties (the 2025 reorganisation)."""
    registered: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    """False for a body recognised by the grammar of names that the registry does not know (kept as written)."""

    successor: Mapped[Agency | None] = relationship(remote_side="Agency.id")
    aliases: Mapped[list[AgencyAlias]] = relationship(back_populates="agency", passive_deletes=True)


class AgencyAlias(Base):
    __tablename__ = "agency_aliases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"), index=True)
    alias: Mapped[str] = mapped_column(String(400))
    alias_folded: Mapped[str] = mapped_column(String(400), index=True)

    agency: Mapped[Agency] = relationship(back_populates="aliases")

    __table_args__ = (UniqueConstraint("agency_id", "alias", name="uq_agency_aliases_agency_id_alias"),)


class TaskAgency(Base):
    __tablename__ = "task_agencies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="RESTRICT"), index=True)
    role: Mapped[str] = mapped_column(String(12))
    mention: Mapped[str] = mapped_column(Text)
    """The mention as written ("UBND các huyện", "Sở KH&ĐT")."""
    span_start: Mapped[int]
    span_end: Mapped[int]
    rule: Mapped[str | None] = mapped_column(String(60))
    """The rule that gave the agency its role ("role.cue_lead", "role.heading_scope", "role.table_column")."""

    task: Mapped[Task] = relationship(back_populates="agencies")
    agency: Mapped[Agency] = relationship()

    __table_args__ = (CheckConstraint("role IN ('lead', 'coordinating')", name="role_valid"),)


class AgencyMentionRow(Base):
    """Every agency mention of a document (with or without a task), for search and displaCy views."""

    __tablename__ = "agency_mentions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="RESTRICT"), index=True)
    text: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(40))
    role: Mapped[str | None] = mapped_column(String(12))
    span_start: Mapped[int]
    span_end: Mapped[int]
    rule: Mapped[str | None] = mapped_column(String(60))
    """The rule that recognised the body ("agency.registry", "agency.head_noun")."""

    document: Mapped[Document] = relationship(back_populates="agency_mentions")


class TimeExpressionRow(Base):
    """Every time expression of a document, with its normalised interval."""

    __tablename__ = "time_expressions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    span_start: Mapped[int]
    span_end: Mapped[int]
    start_text: Mapped[str | None] = mapped_column(String(10))
    end_text: Mapped[str | None] = mapped_column(String(10))
    recurrence: Mapped[str | None] = mapped_column(Text)
    deadline: Mapped[bool] = mapped_column(Boolean, default=False)

    document: Mapped[Document] = relationship(back_populates="time_expressions")


class Target(Base):
    __tablename__ = "targets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="SET NULL"), index=True)
    indicator: Mapped[str] = mapped_column(Text)
    indicator_folded: Mapped[str] = mapped_column(Text)
    min_value: Mapped[float | None] = mapped_column(Float)
    max_value: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(60))
    qualifier: Mapped[str | None] = mapped_column(Text)
    year: Mapped[int | None] = mapped_column(Integer, index=True)
    text: Mapped[str] = mapped_column(Text)
    span_start: Mapped[int]
    span_end: Mapped[int]
    rule: Mapped[str | None] = mapped_column(String(60))

    document: Mapped[Document] = relationship(back_populates="targets")


class LegalReference(Base):
    __tablename__ = "legal_references"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    doc_type: Mapped[str | None] = mapped_column(Text)
    number: Mapped[str | None] = mapped_column(Text)
    number_key: Mapped[str | None] = mapped_column(String(120), index=True)
    date_on: Mapped[date | None] = mapped_column(Date)
    date_precision: Mapped[str | None] = mapped_column(String(5))
    date_text: Mapped[str | None] = mapped_column(String(10))
    issuer: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    span_start: Mapped[int]
    span_end: Mapped[int]
    cited_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"), index=True)
    """The cited document when it is in the database (resolved on insert, both ways)."""

    document: Mapped[Document] = relationship(back_populates="references", foreign_keys=[document_id])

    __table_args__ = (_precision_check("date_precision"),)


class IngestRun(Base):
    __tablename__ = "ingest_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    args: Mapped[dict] = mapped_column(JSON, default=dict)
    pipeline_version: Mapped[str] = mapped_column(String(40))
    files: Mapped[int] = mapped_column(Integer, default=0)
    ingested: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    replaced: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    reextracted: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Stored documents extracted again (older pipeline version, or ``--force``)."""
    status: Mapped[str] = mapped_column(String(12), default="running", server_default="finished")
    """running | finished | interrupted (Ctrl-C): a run row says how its batch ended."""


class IngestErrorRow(Base):
    __tablename__ = "ingest_errors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_runs.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64))
    error_class: Mapped[str] = mapped_column(String(120))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Correction(Base):
    """An analyst's fix of one extracted fact; the views apply the active ones (``kehoach.pipeline.corrections``).

    The anchor (span and text of the corrected task or target) is what re-attaches the correction to
    the new row when the document is extracted again; one that no longer matches is ``unmatched``.
    ``value_*`` hold ``new_value`` in the form the views read on both dialects (names joined with
    "; ", the date columns tasks use), so no view parses JSON for tasks.
    """

    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="SET NULL"), index=True)
    target_id: Mapped[int | None] = mapped_column(ForeignKey("targets.id", ondelete="SET NULL"), index=True)
    field: Mapped[str] = mapped_column(String(20))
    old_value: Mapped[object | None] = mapped_column(JSON)
    new_value: Mapped[object | None] = mapped_column(JSON)
    span_start: Mapped[int | None]
    span_end: Mapped[int | None]
    anchor_text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    author: Mapped[str | None] = mapped_column(Text)
    undone_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(10), default="matched")
    value_text: Mapped[str | None] = mapped_column(Text)
    value_extra: Mapped[str | None] = mapped_column(Text)
    """For a lead correction: the successors of the corrected agencies, joined like ``lead_successors``."""
    value_on: Mapped[date | None] = mapped_column(Date)
    value_precision: Mapped[str | None] = mapped_column(String(5))
    value_iso: Mapped[str | None] = mapped_column(String(10))
    value_last_day: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (
        CheckConstraint(
            "field IN ('lead', 'coordinating', 'start', 'due', 'not_task', 'new_task', 'target', 'reviewed')",
            name="field_valid",
        ),
        CheckConstraint("status IN ('matched', 'unmatched')", name="status_valid"),
        _precision_check("value_precision"),
    )


Index("ix_task_agencies_agency_id_role", TaskAgency.agency_id, TaskAgency.role)
