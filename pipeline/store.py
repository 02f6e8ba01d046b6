"""Write one :class:`~models.document.Extraction` to the database, idempotently.

``store_extraction`` runs inside the caller's transaction (one per
document) and decides between four outcomes:

- *unchanged*: a document with the same sha256 is stored: nothing is written;
- *reextracted*: the same bytes are stored but were extracted by an older
  kehoach (or ``--force``): the document keeps its row and id, its extracted
  rows are deleted and written again;
- *replaced*: another version of the same source path is stored: its row is
  rewritten in place the same way (so its id, its plan and the analysts'
  corrections stay with the path);
- *ingested*: a new document.

Every write then gives the document its plan (``kehoach.pipeline.plans``) and,
for a rewritten document, re-attaches its corrections to the new tasks
(``kehoach.pipeline.corrections.reattach``), all in the same transaction.

Agencies are shared by every document, so they are upserted with ``INSERT
… ON CONFLICT DO NOTHING`` in name order (a fixed lock order keeps two
concurrent runs from deadlocking); a duplicate document from a concurrent
run surfaces as an ``IntegrityError`` on ``documents.sha256`` that the
batch turns into *unchanged*.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal

from kehoach.models import schema
from kehoach.models.document import AgencyMention, Extraction, PartialDate
from kehoach.pipeline import agency_links, plans
from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

Outcome = Literal["ingested", "unchanged", "replaced", "reextracted"]


@dataclass(frozen=True)
class StoreResult:
    outcome: Outcome
    document_id: int


def canonical_path(path: str | Path) -> str:
    """The form a source path is stored in: absolute, so runs from different folders agree."""
    return str(Path(path).expanduser().resolve())


def date_columns(value: PartialDate | None) -> tuple[date | None, str | None, str | None]:
    """(first day of the period, precision, ISO partial text) of a partial date."""
    if value is None:
        return None, None, None
    try:
        first = date(value.year, value.month or 1, 1)
        if value.day is not None:
            last_day = calendar.monthrange(value.year, value.month or 1)[1]
            first = first.replace(day=min(value.day, last_day))
    except ValueError:  # year 0 or month 13 from a bad parse: keep the text, drop the date
        return None, value.precision, value.iso()
    return first, value.precision, value.iso()


def last_day(value: PartialDate | None) -> date | None:
    """The last day of the period a partial date names (2022-03 → 2022-03-31, 2025 → 2025-12-31)."""
    first, precision, _ = date_columns(value)
    if first is None:
        return None
    if precision == "year":
        return date(first.year, 12, 31)
    if precision == "month":
        return first.replace(day=calendar.monthrange(first.year, first.month)[1])
    return first


def find_document(session: Session, sha256: str) -> int | None:
    return session.scalar(select(schema.Document.id).where(schema.Document.sha256 == sha256))


def store_extraction(
    session: Session,
    extraction: Extraction,
    *,
    source_path: str | None = None,
    reextract: bool = False,
    signature: tuple[list[int] | None, int] | None = None,
) -> StoreResult:
    """Insert ``extraction`` (or recognise it as already stored) inside the open transaction.

    ``reextract``: the same bytes are stored already and this is a newer extraction of them: rewrite them.
    ``signature``: ``plans.signature(extraction.content)`` when the caller computed it before the
    transaction (``run.store`` does, so the write lock is not held while the text is hashed).
    """
    sha256 = extraction.source.sha256
    existing = find_document(session, sha256)
    if existing is not None and not reextract:
        return StoreResult("unchanged", existing)
    plans.lock_plans(session, _lock_keys(session, extraction, source_path))
    if existing is None and (existing := find_document(session, sha256)) is not None and not reextract:
        return StoreResult("unchanged", existing)  # a concurrent run stored the same bytes while we waited
    if existing is not None:
        stored_path = session.scalar(select(schema.Document.source_path).where(schema.Document.id == existing))
        path = stored_path or source_path or canonical_path(extraction.source.path)
        _rewrite(session, existing, extraction, path, signature)
        return StoreResult("reextracted", existing)
    path = source_path or canonical_path(extraction.source.path)
    previous = session.scalars(
        select(schema.Document.id).where(schema.Document.source_path == path).order_by(schema.Document.id)
    ).all()
    if previous:
        for extra in previous[1:]:
            delete_document(session, extra)
        _rewrite(session, previous[0], extraction, path, signature)
        return StoreResult("replaced", previous[0])
    agency_ids = upsert_agencies(session, _mentions(extraction))
    document = schema.Document(**_document_values(extraction, path, signature))
    session.add(document)
    session.flush()  # the document id, and the sha256 uniqueness check, before the children
    _add_children(session, document, extraction, agency_ids)
    session.flush()
    resolve_references(session, document)
    plans.assign_plan(session, document.id)
    return StoreResult("ingested", document.id)


def _lock_keys(session: Session, extraction: Extraction, source_path: str | None) -> list[int]:
    """Plan lock keys of the new metadata and of any stored row this write rewrites (its old plan-mates)."""
    meta = extraction.document
    keys = plans.plan_lock_keys(meta.number, meta.issuer, meta.title)
    path = source_path or canonical_path(extraction.source.path)
    stored = session.execute(
        select(schema.Document.number, schema.Document.issuer, schema.Document.title).where(
            (schema.Document.sha256 == extraction.source.sha256) | (schema.Document.source_path == path)
        )
    )
    for number, issuer, title in stored:
        keys.extend(plans.plan_lock_keys(number, issuer, title))
    return keys


_EXTRACTED = (
    schema.Target,
    schema.Task,
    schema.Section,
    schema.LegalReference,
    schema.AgencyMentionRow,
    schema.TimeExpressionRow,
)
"""The rows extraction made for a document (milestones and task agencies go with their tasks)."""


def _rewrite(
    session: Session,
    document_id: int,
    extraction: Extraction,
    path: str,
    signature: tuple[list[int] | None, int] | None,
) -> None:
    """Replace a stored document's extracted rows and columns by ``extraction``, keeping its id.

    Corrections stay (their task and target links fall to NULL with the old rows) and are re-attached
    to the new rows by :func:`kehoach.pipeline.corrections.reattach`.
    """
    from kehoach.pipeline.corrections import reattach

    for model in _EXTRACTED:
        session.execute(delete(model).where(model.document_id == document_id))
    session.execute(
        update(schema.Document)
        .where(schema.Document.id == document_id)
        .values(**_document_values(extraction, path, signature))
    )
    session.flush()
    agency_ids = upsert_agencies(session, _mentions(extraction))
    document = session.get(schema.Document, document_id, populate_existing=True)
    assert document is not None
    _add_children(session, document, extraction, agency_ids)
    session.flush()
    resolve_references(session, document)
    plans.assign_plan(session, document_id)
    reattach(session, document_id)


def delete_document(session: Session, document_id: int) -> None:
    """Delete a stored document and everything extracted from it, re-ranking (or removing) its plan."""
    plans.forget_document(session, document_id)
    session.execute(delete(schema.Document).where(schema.Document.id == document_id))


# --------------------------------------------------------------------------- agencies


def _mentions(extraction: Extraction) -> list[AgencyMention]:
    return [m for task in extraction.tasks for m in task.roles] + list(extraction.agencies)


def _insert_ignoring_conflicts(session: Session, table, rows: list[dict], conflict: list[str]) -> None:  # noqa: ANN001
    """Insert ``rows`` in one executemany, skipping those that already exist (one statement, compiled once).

    The parent process writes every document of a batch; building and compiling one INSERT per agency row was
    the largest part of its work, which capped what a second worker could add.
    """
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        statement = postgresql.insert(table).on_conflict_do_nothing(index_elements=conflict)
    elif dialect == "sqlite":
        statement = sqlite.insert(table).on_conflict_do_nothing(index_elements=conflict)
    else:  # pragma: no cover - kehoach supports SQLite and PostgreSQL
        raise NotImplementedError(dialect)
    session.execute(statement, rows)


def upsert_agencies(session: Session, mentions: Iterable[AgencyMention]) -> dict[str, int]:
    """Ids of every agency named in ``mentions`` (and of their registry successors), creating missing rows."""
    kinds: dict[str, str] = {}
    registered: dict[str, bool] = {}
    for mention in mentions:
        if mention.name.strip():
            kinds.setdefault(mention.name, mention.kind)
            registered[mention.name] = registered.get(mention.name, False) or mention.registered
    successor_of = {name: agency_links.successors(name) for name in kinds}
    for names in successor_of.values():
        for successor in names:
            kinds.setdefault(successor, "agency")
    table = schema.Agency.__table__
    profiles = {name: agency_links.profile(name) for name in kinds}
    agency_rows = [
        {
            "name": name,
            "name_folded": schema.fold(name),
            "kind": profiles[name].kind or kinds[name],
            "level": profiles[name].level,
            "province": profiles[name].province,
            "registered": registered.get(name, True),
        }
        for name in sorted(kinds)  # one lock order for every concurrent run
    ]
    _insert_ignoring_conflicts(session, table, agency_rows, ["name"])
    rows = session.execute(select(schema.Agency.name, schema.Agency.id).where(schema.Agency.name.in_(list(kinds))))
    ids = {name: agency_id for name, agency_id in rows}
    alias_rows = [
        {"agency_id": ids[name], "alias": alias, "alias_folded": schema.fold(alias)}
        for name in sorted(kinds)
        for alias in profiles[name].aliases
    ]
    _insert_ignoring_conflicts(session, schema.AgencyAlias.__table__, alias_rows, ["agency_id", "alias"])
    for name in sorted(kinds):
        if successor_of.get(name):
            session.execute(
                update(schema.Agency)
                .where(schema.Agency.id == ids[name], schema.Agency.successor_id.is_(None))
                .values(successor_id=ids[successor_of[name][0]])
            )
    return ids


# --------------------------------------------------------------------------- rows


def _document_values(
    extraction: Extraction, path: str, signature: tuple[list[int] | None, int] | None = None
) -> dict[str, object]:
    """The ``documents`` columns of an extraction (for an insert, or for a rewrite in place)."""
    text_signature, shingle_count = signature or plans.signature(extraction.content)
    meta = extraction.document
    issued_on, issued_precision, issued_text = date_columns(meta.issued_date)
    return {
        "sha256": extraction.source.sha256,
        "source_path": path,
        "format": extraction.source.format,
        "pages": extraction.source.pages,
        "encoding": extraction.source.encoding,
        "warnings": list(extraction.source.warnings),
        "doc_type": meta.doc_type,
        "number": meta.number,
        "number_key": schema.number_key(meta.number),
        "symbol": meta.symbol,
        "issuer": meta.issuer,
        "issuer_parent": meta.issuer_parent,
        "province": meta.province,
        "place": meta.place,
        "issued_on": issued_on,
        "issued_precision": issued_precision,
        "issued_text": issued_text,
        "title": meta.title,
        "signer": meta.signer,
        "signer_title": " / ".join(meta.signer_title) or None,
        "recipients": list(meta.recipients),
        "pipeline_version": extraction.pipeline_version or "",
        "ingested_at": datetime.now(UTC),
        "content": extraction.content,
        "text_signature": text_signature,
        "shingle_count": shingle_count,
    }


def _add_children(
    session: Session, document: schema.Document, extraction: Extraction, agency_ids: dict[str, int]
) -> None:
    # leaf rows go in one executemany per table: the parent writes every document of a batch, and the ORM's
    # unit of work per row was most of its time
    _bulk(
        session,
        schema.Section,
        [
            {
                "document_id": document.id,
                "ordinal": ordinal,
                "path": section.path,
                "marker": section.marker,
                "title": section.title,
                "level": section.level,
                "span_start": section.span[0],
                "span_end": section.span[1],
                "page": section.page,
            }
            for ordinal, section in enumerate(extraction.sections)
        ],
    )
    tasks = [_task_row(document.id, ordinal, task, agency_ids) for ordinal, task in enumerate(extraction.tasks)]
    session.add_all(tasks)
    session.flush()  # task ids for the targets
    for target in extraction.targets:
        task_id = tasks[target.task].id if target.task is not None and 0 <= target.task < len(tasks) else None
        session.add(
            schema.Target(
                document_id=document.id,
                task_id=task_id,
                indicator=target.indicator,
                indicator_folded=schema.fold(target.indicator) or "",
                min_value=target.min,
                max_value=target.max,
                unit=target.unit,
                qualifier=target.qualifier,
                year=target.year,
                text=target.text,
                span_start=target.span[0],
                span_end=target.span[1],
                rule=target.rule,
            )
        )
    for reference in extraction.references:
        date_on, date_precision, date_text = date_columns(reference.date)
        session.add(
            schema.LegalReference(
                document_id=document.id,
                doc_type=reference.doc_type,
                number=reference.number,
                number_key=schema.number_key(reference.number),
                date_on=date_on,
                date_precision=date_precision,
                date_text=date_text,
                issuer=reference.issuer,
                text=reference.text,
                span_start=reference.span[0],
                span_end=reference.span[1],
            )
        )
    _bulk(
        session,
        schema.AgencyMentionRow,
        [
            {
                "document_id": document.id,
                "agency_id": agency_ids[mention.name],
                "text": mention.text,
                "kind": mention.kind,
                "role": mention.role,
                "span_start": mention.span[0],
                "span_end": mention.span[1],
                "rule": mention.rule,
            }
            for mention in extraction.agencies
            if mention.name in agency_ids
        ],
    )
    _bulk(
        session,
        schema.TimeExpressionRow,
        [
            {
                "document_id": document.id,
                "text": expression.text,
                "span_start": expression.span[0],
                "span_end": expression.span[1],
                "start_text": expression.start.iso() if expression.start else None,
                "end_text": expression.end.iso() if expression.end else None,
                "recurrence": expression.recurrence,
                "deadline": expression.deadline,
            }
            for expression in extraction.dates
        ],
    )


def _bulk(session: Session, model, rows: list[dict]) -> None:  # noqa: ANN001 - a mapped class
    if rows:
        session.execute(insert(model.__table__), rows)


def _task_row(document_id: int, ordinal: int, task, agency_ids: dict[str, int]) -> schema.Task:  # noqa: ANN001
    start_on, start_precision, start_text = date_columns(task.start)
    due_on, due_precision, due_text = date_columns(task.due)
    row = schema.Task(
        document_id=document_id,
        ordinal=ordinal,
        text=task.text,
        span_start=task.span[0],
        span_end=task.span[1],
        page=task.page,
        section=task.section,
        start_on=start_on,
        start_precision=start_precision,
        start_text=start_text,
        due_on=due_on,
        due_precision=due_precision,
        due_text=due_text,
        due_last_day=last_day(task.due),
        recurrence=task.recurrence,
        flags=",".join(task.flags) or None,
        rule=task.rule,
        due_rule=task.due_rule,
        due_span_start=task.due_span[0] if task.due_span else None,
        due_span_end=task.due_span[1] if task.due_span else None,
    )
    row.agencies = [
        schema.TaskAgency(
            agency_id=agency_ids[mention.name],
            role=mention.role,
            mention=mention.text,
            span_start=mention.span[0],
            span_end=mention.span[1],
            rule=mention.rule,
        )
        for mention in task.roles
        if mention.role is not None and mention.name in agency_ids
    ]
    row.milestones = []
    for index, milestone in enumerate(task.milestones):
        ms_start = date_columns(milestone.start)
        ms_due = date_columns(milestone.due)
        row.milestones.append(
            schema.Milestone(
                ordinal=index,
                text=milestone.text,
                span_start=milestone.span[0],
                span_end=milestone.span[1],
                start_on=ms_start[0],
                start_precision=ms_start[1],
                start_text=ms_start[2],
                due_on=ms_due[0],
                due_precision=ms_due[1],
                due_text=ms_due[2],
            )
        )
    return row


# --------------------------------------------------------------------------- citations


def _unique_match(reference: schema.LegalReference, documents: list[schema.Document]) -> int | None:
    year = reference.date_on.year if reference.date_on else None
    matches = [
        d.id
        for d in documents
        if d.id != reference.document_id and (year is None or d.issued_on is None or d.issued_on.year == year)
    ]
    return matches[0] if len(matches) == 1 else None


def resolve_references(session: Session, document: schema.Document) -> None:
    """Link citations both ways: this document's references, and earlier references to it.

    Numbers like "01/KH-UBND" recur every year in every province, so a match
    needs the same number key, a compatible year when both sides have one,
    and exactly one candidate document.
    """
    outgoing = session.scalars(
        select(schema.LegalReference).where(
            schema.LegalReference.document_id == document.id, schema.LegalReference.number_key.is_not(None)
        )
    ).all()
    keys = {ref.number_key for ref in outgoing}
    if document.number_key is not None:
        keys.add(document.number_key)
    by_key: dict[str, list[schema.Document]] = {}
    if keys:
        for candidate in session.scalars(select(schema.Document).where(schema.Document.number_key.in_(keys))):
            by_key.setdefault(candidate.number_key or "", []).append(candidate)
    for ref in outgoing:
        ref.cited_document_id = _unique_match(ref, by_key.get(ref.number_key or "", []))
    if document.number_key is None:
        return
    incoming = session.scalars(
        select(schema.LegalReference).where(
            schema.LegalReference.number_key == document.number_key,
            schema.LegalReference.cited_document_id.is_(None),
            schema.LegalReference.document_id != document.id,
        )
    ).all()
    for ref in incoming:
        if _unique_match(ref, by_key[document.number_key]) == document.id:
            ref.cited_document_id = document.id
