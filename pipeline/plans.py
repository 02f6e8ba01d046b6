"""Plan identity: which stored files are renderings of one plan, which plans are versions of another.

The same plan reaches kehoach as a DOCX, the PDF printed from it, a text export and a scan; counted
once per file, every task appeared two to four times in the analyst views.  Each document therefore
belongs to a ``plans`` row, assigned inside the document's write transaction (:func:`assign_plan`) and
recomputed when a document is replaced or removed (:func:`forget_document`).

Two documents are **renderings of one plan** when

1. they carry the same number (``number_key``), their issuers agree (or one is unknown) and so do their
   issue years: a number is given once per issuer and year, and OCR may garble the text but rarely the
   number and the issuer both; or
2. their texts are near-identical: the Jaccard similarity of the folded texts' word 3-shingles is at
   least :data:`RENDERING_JACCARD` (0.8), or one text is a part of the other (containment at least
   :data:`PARTIAL_CONTAINMENT`, 0.9: a scan of the first pages).  Renderings of one plan in ``data/raw``
   score 0.98–1.0 (DOCX, PDF and TXT) and distinct plans at most 0.2, even two plans of one province
   on the same subject four years apart, so 0.8 leaves room for a reader's noise on either side.
   Two documents whose numbers are both known and differ are never renderings of one plan.

Similarity is estimated from a 128-hash MinHash of each text (``documents.text_signature``), stored
once per document, so a new file is compared with its candidates (same number, issuer or title, or a
document it cites) without reading their texts again; the estimate's standard error at 0.8 is 0.035.

Two plans are **versions** when they are similar (Jaccard at least :data:`VERSION_JACCARD`, 0.5) and
have the same issuer without being renderings, or when one's title amends (``sửa đổi``, ``bổ sung``)
a plan it cites.  The later one points to the earlier with ``version_of_id`` and a ``version_kind``:
``signed`` (the earlier one has no number: its draft, which is then ``superseded`` and left out of the
views), ``amendment`` or ``revision`` (both stay in the views: an amendment changes some items of a
plan that stays in force).

The **primary rendering** (``plans.primary_document_id``, ``documents.rendering_rank`` 1) is the
best-read file: read from a text layer over read by OCR; a complete text over a part of it (fewer than
90 % of the longest rendering's shingles); one whose number was read over one without (the signed copy
of a text identical to its draft); then the original over an export (DOCX, DOC, PDF, then plain text: a
DOCX carries its tables and numbering, a text export has lost them); then the first stored.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Literal

from kehoach.models import schema
from kehoach.models.text_forms import fold_diacritics
from sqlalchemy import delete, exists, insert, or_, select, text, update
from sqlalchemy.orm import Session

RENDERING_JACCARD = 0.8
PARTIAL_CONTAINMENT = 0.9
PARTIAL_MIN_SHINGLES = 100
"""A text must have this many shingles before being a part of another counts: a letterhead is no rendering."""
VERSION_JACCARD = 0.5
COMPLETE_SHARE = 0.9
SIGNATURE_SIZE = 128
SHINGLE_WORDS = 3
FORMAT_RANK = {"docx": 0, "doc": 1, "pdf": 2, "text": 3, "pdf-ocr": 4}
_AMENDS = re.compile(r"\b(sua doi|bo sung)\b")
_WORD = re.compile(r"\w+")
_PRIME = (1 << 61) - 1

Relation = Literal["rendering", "version"]


# --------------------------------------------------------------------------- text signatures


@cache
def _permutations():  # noqa: ANN202 - two numpy arrays; numpy is imported here, not by every command
    """The hash family of datasketch's MinHash: (a·x + b) mod 2^61−1 over the full range of a and b.

    Multipliers below 2^31 kept a·x under a few multiples of the prime, so every "permutation" ordered
    the shingles almost alike and the estimates were off by up to 0.18.
    """
    import numpy as np

    generator = np.random.default_rng(20261201)  # fixed: stored signatures must stay comparable
    a = generator.integers(1, _PRIME, SIGNATURE_SIZE, dtype=np.uint64)
    b = generator.integers(0, _PRIME, SIGNATURE_SIZE, dtype=np.uint64)
    return a, b


def shingles(content: str) -> set[str]:
    """Word 3-shingles of the folded text: diacritics, case, punctuation and line breaks do not count."""
    words = _WORD.findall(fold_diacritics(content).lower())
    return {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(max(0, len(words) - SHINGLE_WORDS + 1))}


def signature(content: str) -> tuple[list[int] | None, int]:
    """(MinHash of the text's shingles, number of shingles); no signature for a text without three words."""
    import numpy as np

    found = shingles(content)
    if not found:
        return None, 0
    hashes = np.fromiter((zlib.crc32(s.encode()) for s in found), dtype=np.uint64, count=len(found))
    a, b = _permutations()
    with np.errstate(over="ignore"):  # uint64 arithmetic wraps, as in datasketch
        values = ((np.outer(a, hashes) + b[:, None]) % np.uint64(_PRIME)) & np.uint64(0xFFFFFFFF)
    return [int(v) for v in values.min(axis=1)], len(found)


def jaccard(first: list[int] | None, second: list[int] | None) -> float:
    """Estimated Jaccard similarity of two texts from their signatures (0 when either has none)."""
    if not first or not second or len(first) != len(second):
        return 0.0
    return sum(a == b for a, b in zip(first, second, strict=True)) / len(first)


def containment(similarity: float, first: int, second: int) -> float:
    """Share of the smaller text's shingles found in the larger one, from the Jaccard similarity and sizes."""
    if not first or not second:
        return 0.0
    return min(1.0, similarity * (first + second) / ((1 + similarity) * min(first, second)))


# --------------------------------------------------------------------------- relations


@dataclass(frozen=True)
class _Doc:
    id: int
    plan_id: int | None
    number_key: str | None
    number: str | None
    issuer: str | None
    title: str | None
    doc_type: str | None
    issued_on: date | None
    format: str
    warnings: list[str]
    signature: list[int] | None
    shingles: int

    @property
    def ocr(self) -> bool:
        return self.format == "pdf-ocr" or any("OCR" in w for w in self.warnings or [])


_DOC_COLUMNS = (
    schema.Document.id,
    schema.Document.plan_id,
    schema.Document.number_key,
    schema.Document.number,
    schema.Document.issuer,
    schema.Document.title,
    schema.Document.doc_type,
    schema.Document.issued_on,
    schema.Document.format,
    schema.Document.warnings,
    schema.Document.text_signature,
    schema.Document.shingle_count,
)
"""Explicit columns (never the whole mapped row), so the 0003 migration's back-fill runs on its own schema."""


def _docs(session: Session, *conditions) -> list[_Doc]:  # noqa: ANN002 - SQL expressions
    rows = session.execute(select(*_DOC_COLUMNS).where(*conditions).order_by(schema.Document.id))
    return [_Doc(*row[:11], row[11] or 0) for row in rows]


def _same(first: str | None, second: str | None) -> bool:
    """Equal after folding, or unknown on one side."""
    return first is None or second is None or schema.fold(first) == schema.fold(second)


def relation(new: _Doc, old: _Doc, *, cites: bool = False) -> Relation | None:
    """How ``new`` stands to ``old``: another rendering of its plan, a version of it, or unrelated."""
    same_issuer = _same(new.issuer, old.issuer)
    numbers_differ = bool(new.number_key and old.number_key and new.number_key != old.number_key)
    if new.number_key and new.number_key == old.number_key and same_issuer:
        years = {d.issued_on.year for d in (new, old) if d.issued_on is not None}
        if len(years) <= 1:
            return "rendering"
    similarity = jaccard(new.signature, old.signature)
    near = similarity >= RENDERING_JACCARD or (
        min(new.shingles, old.shingles) >= PARTIAL_MIN_SHINGLES
        and containment(similarity, new.shingles, old.shingles) >= PARTIAL_CONTAINMENT
    )
    if near and not numbers_differ:
        return "rendering"
    if same_issuer and (near or similarity >= VERSION_JACCARD):
        return "version"
    if cites and same_issuer and _AMENDS.search(schema.fold(new.title or "") or ""):
        return "version"
    return None


def _rank_key(doc: _Doc, longest: int) -> tuple[int, int, int, int, int]:
    partial = int(longest > 0 and doc.shingles < COMPLETE_SHARE * longest)
    unnumbered = int(doc.number_key is None)
    return (int(doc.ocr), partial, unnumbered, FORMAT_RANK.get(doc.format, len(FORMAT_RANK)), doc.id)


# --------------------------------------------------------------------------- assignment


def plan_lock_keys(number: str | None, issuer: str | None, title: str | None) -> list[int]:
    """The advisory-lock keys of a document's plan candidates: its number, its issuer (or "no issuer"), its title.

    Two documents that can be related share at least one of them (:func:`_candidates` looks only there,
    cited documents aside), so writers that hold the keys of their documents see each other, while
    documents of other issuers, numbers and titles are written in parallel.
    """
    import hashlib

    parts = [f"n:{number_key}" for number_key in [schema.number_key(number)] if number_key]
    parts.append(f"i:{schema.fold(issuer)}" if issuer else "i:")
    parts.extend([f"t:{schema.fold(title)}"] if title else [])
    keys = {int.from_bytes(hashlib.blake2b(p.encode(), digest_size=8).digest(), "big", signed=True) for p in parts}
    return sorted(keys)  # one order for every writer: two writers never wait for each other crosswise


def lock_plans(session: Session, keys: list[int]) -> None:
    """Serialise, on PostgreSQL, the writes of documents that may belong to one plan (``pg_advisory_xact_lock``
    on each of :func:`plan_lock_keys`, held to the commit), so two renderings stored by concurrent runs at
    the same moment see each other, and re-ranking one plan's files does not deadlock.

    SQLite needs nothing: its writers already take turns (``BEGIN IMMEDIATE``).  Writes of unrelated
    documents (another issuer, number and title) do not wait for each other.
    """
    if session.get_bind().dialect.name == "postgresql":
        for key in sorted(set(keys)):
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def store_signature(session: Session, document_id: int, content: str) -> None:
    """Compute and store a document's text signature (before :func:`assign_plan`)."""
    sig, count = signature(content)
    session.execute(
        update(schema.Document).where(schema.Document.id == document_id).values(text_signature=sig, shingle_count=count)
    )


def _candidates(session: Session, doc: _Doc) -> tuple[list[_Doc], set[int]]:
    cited = set(
        session.scalars(
            select(schema.LegalReference.cited_document_id).where(
                schema.LegalReference.document_id == doc.id, schema.LegalReference.cited_document_id.is_not(None)
            )
        )
    )
    matches = [schema.Document.id.in_(cited)] if cited else []
    if doc.number_key:
        matches.append(schema.Document.number_key == doc.number_key)
    if doc.issuer:
        matches.append(schema.Document.issuer == doc.issuer)
    if doc.title:
        matches.append(schema.Document.title == doc.title)
    if not doc.issuer:
        matches.append(schema.Document.issuer.is_(None))
    return _docs(session, schema.Document.id != doc.id, or_(*matches)), cited


def assign_plan(session: Session, document_id: int, *, carry_corrections: bool = True) -> int:
    """Give a stored document its plan (joining, or merging, the plans of its other renderings); the plan id.

    Runs in the document's write transaction after its rows and references are in.
    """
    (doc,) = _docs(session, schema.Document.id == document_id)
    candidates, cited = _candidates(session, doc)
    related = [(other, relation(doc, other, cites=other.id in cited)) for other in candidates]
    plan_ids = sorted({other.plan_id for other, kind in related if kind == "rendering" and other.plan_id})
    if doc.plan_id in plan_ids:  # a re-extracted file keeps its plan id: links and bookmarks stay valid
        plan_ids.remove(doc.plan_id)
        plan_ids.insert(0, doc.plan_id)
    elif not plan_ids and doc.plan_id is not None and not _others_in(session, doc):
        plan_ids = [doc.plan_id]
    merged_primaries: list[int] = []
    if plan_ids:
        plan_id = plan_ids[0]
        for merged in plan_ids[1:]:  # this file bridges two plans: they were one all along
            merged_primaries.extend(
                p for p in session.scalars(select(schema.Plan.primary_document_id).where(schema.Plan.id == merged)) if p
            )
            session.execute(update(schema.Document).where(schema.Document.plan_id == merged).values(plan_id=plan_id))
            session.execute(
                update(schema.Plan).where(schema.Plan.version_of_id == merged).values(version_of_id=plan_id)
            )
            session.execute(delete(schema.Plan).where(schema.Plan.id == merged))
    else:
        plan_id = session.execute(insert(schema.Plan).values(renderings=1).returning(schema.Plan.id)).scalar_one()
    previous = doc.plan_id
    session.execute(update(schema.Document).where(schema.Document.id == doc.id).values(plan_id=plan_id))
    refresh_plan(session, plan_id, carry_corrections=carry_corrections)
    if previous is not None and previous != plan_id:
        refresh_plan(session, previous, carry_corrections=carry_corrections)
    if carry_corrections and merged_primaries:  # the merged plans' corrections join the surviving primary
        primary = session.scalar(select(schema.Plan.primary_document_id).where(schema.Plan.id == plan_id))
        for source in merged_primaries:
            if primary is not None and source != primary:
                _carry_corrections(session, source, primary)
    for other, kind in related:
        if kind == "version" and other.plan_id and other.plan_id != plan_id:
            _link_versions(session, doc, other, plan_id)
    return plan_id


def _others_in(session: Session, doc: _Doc) -> bool:
    other = select(schema.Document.id).where(schema.Document.plan_id == doc.plan_id, schema.Document.id != doc.id)
    return session.scalar(select(exists(other))) or False


def _link_versions(session: Session, doc: _Doc, other: _Doc, plan_id: int) -> None:
    """Point the later of two related plans at the earlier one (a draft: the one without a number)."""
    if bool(doc.number_key) != bool(other.number_key):
        kind = "signed"
        later, earlier = (plan_id, other.plan_id) if doc.number_key else (other.plan_id, plan_id)
    else:
        mine = (doc.issued_on or date.min, doc.id)
        theirs = (other.issued_on or date.min, other.id)
        later, earlier = (plan_id, other.plan_id) if mine >= theirs else (other.plan_id, plan_id)
        later_title = doc.title if later == plan_id else other.title
        kind = "amendment" if _AMENDS.search(schema.fold(later_title or "") or "") else "revision"
    session.execute(
        update(schema.Plan)
        .where(schema.Plan.id == later, schema.Plan.version_of_id.is_(None))
        .values(version_of_id=earlier, version_kind=kind)
    )
    _refresh_superseded(session, [earlier])


def _refresh_superseded(session: Session, plan_ids: Iterable[int | None]) -> None:
    """A draft is superseded while a plan that is its signed version is stored."""
    later = schema.Plan.__table__.alias("later")
    for plan_id in {p for p in plan_ids if p is not None}:
        superseded = session.scalar(
            select(exists().where(later.c.version_of_id == plan_id, later.c.version_kind == "signed"))
        )
        session.execute(update(schema.Plan).where(schema.Plan.id == plan_id).values(superseded=bool(superseded)))


def refresh_plan(session: Session, plan_id: int, *, carry_corrections: bool = True) -> None:
    """Rank a plan's renderings, set its primary document and its metadata; delete it when no file is left.

    When another file becomes the primary rendering (a better-read one arrived, or the primary one is
    deleted), the analysts' corrections follow it: they are moved to the new primary file and re-attached
    to its tasks by their anchors (``kehoach.pipeline.corrections.reattach``), so the views keep showing
    them.  ``carry_corrections`` is off for the 0003 back-fill, which runs before corrections exist.
    """
    previous = session.scalar(select(schema.Plan.primary_document_id).where(schema.Plan.id == plan_id))
    docs = _docs(session, schema.Document.plan_id == plan_id)
    if not docs:
        session.execute(
            update(schema.Plan)
            .where(schema.Plan.version_of_id == plan_id)
            .values(version_of_id=None, version_kind=None)
        )
        session.execute(delete(schema.Plan).where(schema.Plan.id == plan_id))
        return
    longest = max(d.shingles for d in docs)
    ranked = sorted(docs, key=lambda d: _rank_key(d, longest))
    for rank, doc in enumerate(ranked, start=1):
        session.execute(update(schema.Document).where(schema.Document.id == doc.id).values(rendering_rank=rank))
    primary = ranked[0]
    session.execute(
        update(schema.Plan)
        .where(schema.Plan.id == plan_id)
        .values(
            primary_document_id=primary.id,
            renderings=len(docs),
            number=primary.number or next((d.number for d in ranked if d.number), None),
            number_key=primary.number_key or next((d.number_key for d in ranked if d.number_key), None),
            issuer=primary.issuer or next((d.issuer for d in ranked if d.issuer), None),
            title=primary.title or next((d.title for d in ranked if d.title), None),
            doc_type=primary.doc_type,
            issued_on=primary.issued_on or next((d.issued_on for d in ranked if d.issued_on), None),
        )
    )
    if carry_corrections and previous is not None and previous != primary.id:
        _carry_corrections(session, previous, primary.id)


def _carry_corrections(session: Session, source: int, target: int) -> None:
    from kehoach.pipeline.corrections import reattach

    moved = session.execute(
        update(schema.Correction)
        .where(schema.Correction.document_id == source, schema.Correction.undone_at.is_(None))
        .values(document_id=target, task_id=None, target_id=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved:
        session.execute(
            delete(schema.Task).where(
                schema.Task.document_id == source, schema.Task.rule == "correction.new_task"
            )  # an added task moves with its correction: the views show it on the new primary file
        )
        reattach(session, target)


def forget_document(session: Session, document_id: int) -> None:
    """Detach a document about to be deleted from its plan and re-rank (or remove) that plan."""
    plan_id = session.scalar(select(schema.Document.plan_id).where(schema.Document.id == document_id))
    session.execute(
        update(schema.Document).where(schema.Document.id == document_id).values(plan_id=None, rendering_rank=None)
    )
    if plan_id is not None:
        versions = list(session.scalars(select(schema.Plan.version_of_id).where(schema.Plan.id == plan_id)))
        refresh_plan(session, plan_id)
        _refresh_superseded(session, versions)


def assign_all(session: Session) -> int:
    """Signatures and plans for every stored document, in id order (the 0003 back-fill); documents done."""
    ids = list(session.scalars(select(schema.Document.id).order_by(schema.Document.id)))
    for document_id in ids:
        content = session.scalar(select(schema.Document.content).where(schema.Document.id == document_id)) or ""
        store_signature(session, document_id, content)
    for document_id in ids:
        assign_plan(session, document_id, carry_corrections=False)
    session.flush()
    return len(ids)
