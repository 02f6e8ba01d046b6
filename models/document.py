"""The typed document model that flows between kehoach's stages.

Ingestors produce a :class:`ParsedDocument`; extractors turn it into an
:class:`Extraction`; storage writes the extraction to the database.  Every
piece of text keeps its provenance: a ``span`` of character offsets into
``ParsedDocument.content`` and, where the source has pages, the ``page``.

``Extraction.to_contract()`` is the only place that builds the JSON described
in ``../shared/eval/CONTRACT.md``.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Span = tuple[int, int]
"""Half-open character offsets ``[start, end)`` into ``ParsedDocument.content``."""

SourceFormat = Literal["text", "docx", "pdf", "pdf-ocr", "doc"]
BlockKind = Literal["heading", "paragraph", "list_item", "table_row"]
Role = Literal["lead", "coordinating"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------- ingestion


class SourceInfo(_Model):
    """Where a document came from, so a stored row can be traced to its bytes."""

    path: str
    sha256: str
    format: SourceFormat
    pages: int | None = None
    encoding: str | None = None
    """Detected text encoding (text inputs) or legacy font encoding converted."""
    warnings: list[str] = Field(default_factory=list)
    """Non-fatal problems met while reading (garbled pages repaired, OCR used, …)."""


class TableCell(_Model):
    text: str
    span: Span
    col: int
    col_span: int = 1


class Block(_Model):
    """One layout unit of the document, in reading order.

    ``content[span[0]:span[1]]`` is exactly the block's text (a tested invariant).
    """

    kind: BlockKind
    span: Span
    page: int | None = None
    marker: str | None = None
    """List or heading marker as printed: ``"II."``, ``"1.2."``, ``"a)"``, ``"-"``."""
    level: int | None = None
    """Outline level when the source says it (DOCX list level, markdown ``#`` depth)."""
    bold: bool = False
    centered: bool = False
    table: int | None = None
    """Index of the table (0-based, in document order) a ``table_row`` belongs to."""
    header: bool = False
    """True for a table's header row."""
    cells: list[TableCell] = Field(default_factory=list)


class ParsedDocument(_Model):
    source: SourceInfo
    content: str
    blocks: list[Block] = Field(default_factory=list)

    def text_of(self, span: Span) -> str:
        return self.content[span[0] : span[1]]


# --------------------------------------------------------------------------- extraction


_ISO_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?$")


class PartialDate(_Model):
    """A calendar date known only to the precision the text gives.

    "tháng 02 năm 2022" is ``PartialDate(year=2022, month=2)``, not 2022-02-01:
    a fake day would make a month-level deadline look more precise than it is.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    year: int
    month: int | None = None
    day: int | None = None

    @property
    def precision(self) -> Literal["year", "month", "day"]:
        if self.day is not None:
            return "day"
        return "month" if self.month is not None else "year"

    def iso(self) -> str:
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    def sort_key(self) -> tuple[int, int, int]:
        return (self.year, self.month or 0, self.day or 0)

    @classmethod
    def from_iso(cls, text: str) -> PartialDate | None:
        """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (None for any other shape).

        The calendar decides, so ``2026-02-30`` raises ValueError instead of becoming 28 February: the
        timeline's ``--from`` and an analyst's corrected due date read ISO text the same way.
        """
        match = _ISO_PARTIAL.match(text.strip())
        if not match:
            return None
        year, month, day = (int(g) if g else None for g in match.groups())
        try:
            _dt.date(year, 1 if month is None else month, 1 if day is None else day)  # type: ignore[arg-type]
        except ValueError as exc:
            raise ValueError(f"{text.strip()!r} is not a valid date ({exc})") from None
        return cls(year=year, month=month, day=day)  # type: ignore[arg-type]

    def __str__(self) -> str:
        return self.iso()


class TimeExpression(_Model):
    """A Vietnamese time expression as written, with its normalised interval."""

    text: str
    span: Span
    start: PartialDate | None = None
    end: PartialDate | None = None
    recurrence: str | None = None
    """The recurrence as written ("hàng tháng", "02 lần/tháng", "trước ngày 15 tháng 12 hàng năm")."""
    deadline: bool = False
    """True for "trước ngày …" / "chậm nhất …": ``end`` is a deadline, not a window end."""
    kind: str = "task"
    """task | name (part of a plan's name: "thời kỳ 2021-2030") | citation | dateline | baseline."""
    part: str | None = None
    """Part of the month or period: "early", "middle", "late", "week 4"."""


class AgencyMention(_Model):
    """An agency (or group of agencies) named in the text, resolved to the registry."""

    text: str
    """The mention as written."""
    span: Span
    name: str
    """Canonical name ("Sở Kế hoạch và Đầu tư")."""
    kind: str = "agency"
    """agency | group | consultant | person | unknown."""
    role: Role | None = None
    registered: bool = True
    """False for a body recognised by the grammar of names but absent from the registry (kept as written)."""
    rule: str | None = None
    """Stable id of the rule that recognised the mention or, on a task, gave it its role (``role.heading_scope``)."""


class Milestone(_Model):
    text: str
    span: Span
    start: PartialDate | None = None
    due: PartialDate | None = None


class Task(_Model):
    text: str
    span: Span
    page: int | None = None
    section: str | None = None
    """Section path, e.g. ``"II.3.a"`` or ``"Phụ lục/Giai đoạn 1"``."""
    roles: list[AgencyMention] = Field(default_factory=list)
    start: PartialDate | None = None
    due: PartialDate | None = None
    recurrence: str | None = None
    milestones: list[Milestone] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list)
    """Anomalies: ``due_before_issue``, ``milestones_out_of_order``."""
    rule: str | None = None
    """Stable id of the segmentation rule that made this a task (``task.list_item``, ``task.table_row``)."""
    due_rule: str | None = None
    """Stable id of the rule that chose the start/due (``due.own_text``, ``due.table_cell``, ``due.lead_in``)."""
    due_span: Span | None = None
    """Where the chosen time expression is written (it may lie outside the task: a cell, a lead-in)."""

    def names(self, role: Role) -> list[str]:
        seen: list[str] = []
        for mention in self.roles:
            if mention.role == role and mention.name not in seen:
                seen.append(mention.name)
        return seen


class Target(_Model):
    text: str
    span: Span
    indicator: str
    year: int | None = None
    min: float | None = None
    max: float | None = None
    unit: str | None = None
    qualifier: str | None = None
    task: int | None = None
    """Index into ``Extraction.tasks`` of the task this target belongs to."""
    rule: str | None = None
    """Stable id of the rule that recognised the target (``target.rate``, ``target.count``)."""


class Reference(_Model):
    """A legal document cited by this one."""

    text: str
    span: Span
    doc_type: str | None = None
    number: str | None = None
    date: PartialDate | None = None
    issuer: str | None = None


class Section(_Model):
    path: str
    marker: str
    title: str
    span: Span
    level: int
    page: int | None = None


class DocumentMeta(_Model):
    doc_type: str | None = None
    number: str | None = None
    """Số/ký hiệu as printed ("122/KH-UBND"); None where the number is left blank."""
    symbol: str | None = None
    """Ký hiệu alone ("KH-UBND", "KH/BCĐ"), kept even when the number is blank."""
    issuer: str | None = None
    issuer_parent: str | None = None
    province: str | None = None
    place: str | None = None
    issued_date: PartialDate | None = None
    title: str | None = None
    signer: str | None = None
    signer_title: list[str] = Field(default_factory=list)
    """The lines above the name: "TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"."""
    recipients: list[str] = Field(default_factory=list)


class Extraction(_Model):
    source: SourceInfo
    content: str
    blocks: list[Block] = Field(default_factory=list)
    document: DocumentMeta = Field(default_factory=DocumentMeta)
    references: list[Reference] = Field(default_factory=list)
    sections: list[Section] = Field(default_factory=list)
    tasks: list[Task] = Field(default_factory=list)
    targets: list[Target] = Field(default_factory=list)
    agencies: list[AgencyMention] = Field(default_factory=list)
    """Every agency mention found in the document (for views and displaCy)."""
    dates: list[TimeExpression] = Field(default_factory=list)
    """Every time expression found in the document."""
    pipeline_version: str = ""

    def to_contract(self) -> dict[str, Any]:
        """The JSON object of CONTRACT.md (plus provenance fields it allows)."""
        meta = self.document
        return {
            "content": self.content,
            "source": self.source.model_dump(mode="json"),
            "pipeline_version": self.pipeline_version,
            "document": {
                "doc_type": meta.doc_type,
                "number": meta.number,
                "symbol": meta.symbol,
                "issuer": meta.issuer,
                "issuer_parent": meta.issuer_parent,
                "province": meta.province,
                "place": meta.place,
                "issued_date": meta.issued_date.iso() if meta.issued_date else None,
                "title": meta.title,
                "signer": meta.signer,
                "signer_title": meta.signer_title,
                "recipients": meta.recipients,
            },
            "references": [
                {
                    "number": ref.number,
                    "doc_type": ref.doc_type,
                    "date": ref.date.iso() if ref.date else None,
                    "issuer": ref.issuer,
                    "text": ref.text,
                    "span": list(ref.span),
                }
                for ref in self.references
            ],
            "sections": [section.model_dump(mode="json") for section in self.sections],
            "tasks": [
                {
                    "text": task.text,
                    "span": list(task.span),
                    "page": task.page,
                    "section": task.section,
                    "lead": task.names("lead"),
                    "coordinating": task.names("coordinating"),
                    "mentions": [m.model_dump(mode="json") for m in task.roles],
                    "start": task.start.iso() if task.start else None,
                    "due": task.due.iso() if task.due else None,
                    "recurrence": task.recurrence,
                    "milestones": [
                        {
                            "text": ms.text,
                            "span": list(ms.span),
                            "start": ms.start.iso() if ms.start else None,
                            "due": ms.due.iso() if ms.due else None,
                        }
                        for ms in task.milestones
                    ],
                    "flags": task.flags,
                    "rule": task.rule,
                    "due_rule": task.due_rule,
                    "due_span": list(task.due_span) if task.due_span else None,
                }
                for task in self.tasks
            ],
            "targets": [
                {
                    "text": t.text,
                    "span": list(t.span),
                    "indicator": t.indicator,
                    "year": t.year,
                    "min": t.min,
                    "max": t.max,
                    "unit": t.unit,
                    "qualifier": t.qualifier,
                    "task": t.task,
                    "rule": t.rule,
                }
                for t in self.targets
            ],
            "blocks": [block.model_dump(mode="json", exclude_defaults=True) for block in self.blocks],
        }
