"""From a submitted form to corrections: only what the analyst changed becomes a correction row.

Each form carries, beside every field, the value it was drawn with
(``due_was``…); a field equal to it is left alone, so saving a task whose
lead alone was changed records one correction, not four.  Values are
checked by :mod:`kehoach.pipeline.corrections` (dates as written, known
tasks); a problem found here or there is a ``ValueError`` with a one-line
message, and the caller's transaction writes nothing.
"""

from __future__ import annotations

import re

from kehoach.pipeline.corrections import add_correction, get_correction, undo_correction
from sqlalchemy import text
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

AGENCY_ROLES = ("lead", "coordinating")
DATE_FIELDS = ("start", "due")
TARGET_FIELDS = ("indicator", "min_value", "max_value", "unit", "year", "qualifier")
_BLANKS = re.compile(r"\s+")


def _value(form: FormData, name: str) -> str:
    return str(form.get(name) or "").strip()


def _names(form: FormData, name: str) -> list[str]:
    return [_BLANKS.sub(" ", str(v)).strip() for v in form.getlist(name) if str(v).strip()]


def _was_names(form: FormData, name: str) -> list[str]:
    return [n for n in _value(form, f"{name}_was").split("; ") if n]


def correct_task(session: Session, document_id: int, task_id: int, form: FormData, *, author: str | None) -> int:
    """Record the changed fields of one task's form; returns how many corrections were made."""
    made = 0
    if _value(form, "not_task") == "1":
        add_correction(
            session, document_id=document_id, field="not_task", new_value=True, task_id=task_id, author=author
        )
        return 1
    for role in AGENCY_ROLES:
        names = list(dict.fromkeys(_names(form, role)))
        if names != _was_names(form, role):
            add_correction(
                session, document_id=document_id, field=role, new_value=names, task_id=task_id, author=author
            )
            made += 1
    for name in DATE_FIELDS:
        written = _value(form, name)
        if written != _value(form, f"{name}_was"):
            add_correction(
                session, document_id=document_id, field=name, new_value=written or None, task_id=task_id, author=author
            )
            made += 1
    return made


def add_task(session: Session, document_id: int, form: FormData, *, author: str | None) -> int:
    """Add the task the analyst selected in the text; returns the new task's id.

    The browser sends the offsets it computed and the text it saw selected; the
    two must agree with the stored content (blanks aside), so a page whose text
    drifted from the database can never add a task over the wrong words.
    """
    try:
        start, end = int(_value(form, "span_start")), int(_value(form, "span_end"))
    except ValueError:
        raise ValueError("select the text of the missed task first") from None
    content = session.execute(text("SELECT content FROM documents WHERE id = :d"), {"d": document_id}).scalar()
    if content is None:
        raise ValueError(f"no document {document_id}")
    if not 0 <= start < end <= len(content):
        raise ValueError("the selection is outside the document text")
    selected = _BLANKS.sub(" ", _value(form, "selected"))
    if selected and _BLANKS.sub(" ", content[start:end]).strip() != selected:
        raise ValueError("the selection does not match the stored text: reload the page and select again")
    correction = add_correction(
        session,
        document_id=document_id,
        field="new_task",
        new_value={"span_start": start, "span_end": end},
        author=author,
    )
    task_id = get_correction(session, correction).task_id
    assert task_id is not None  # the data layer gives every new_task correction its task row
    return task_id


def _number(raw: str, name: str) -> float | int | None:
    """A number as an analyst types it in Vietnamese ("1.234,5" or "30,5") or plainly ("30.5")."""
    if not raw:
        return None
    cleaned = raw.replace(" ", "")
    if "," in cleaned:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    try:
        number = float(cleaned)
    except ValueError:
        raise ValueError(f"{name}: {raw!r} is not a number") from None
    return int(number) if name == "year" else number


def correct_target(session: Session, document_id: int, target_id: int, form: FormData, *, author: str | None) -> int:
    """Record the changed fields of one target; returns 1 when something changed, else 0."""
    changes: dict[str, object] = {}
    for name in TARGET_FIELDS:
        raw = _value(form, name)
        if raw == _value(form, f"{name}_was"):
            continue
        if name in ("min_value", "max_value", "year"):
            changes[name] = _number(raw, name)
        elif name == "indicator" and not raw:
            raise ValueError("a target needs an indicator")
        else:
            changes[name] = raw or None
    if not changes:
        return 0
    add_correction(
        session, document_id=document_id, field="target", new_value=changes, target_id=target_id, author=author
    )
    return 1


def mark_reviewed(session: Session, document_id: int, form: FormData, *, author: str | None) -> None:
    """The analyst checked the whole plan (``reviewed=1``) or takes that back (``reviewed=0``).

    A plan found right as extracted has no correction, yet it is exactly the gold an extractor should be
    scored on: the mark is what lets ``export-gold`` include it.
    """
    value = _value(form, "reviewed")
    if value not in ("0", "1"):
        raise ValueError("reviewed must be 1 (checked) or 0")
    add_correction(session, document_id=document_id, field="reviewed", new_value=value == "1", author=author)


def undo(session: Session, document_id: int, correction_id: int) -> str:
    """Undo one correction of this document; returns the page anchor to go back to."""
    correction = get_correction(session, correction_id)
    if correction.document_id != document_id:
        raise ValueError(f"correction {correction_id} is not one of this document's")
    undo_correction(session, correction_id)
    if correction.field == "new_task":
        return "corrections"
    if correction.task_id is not None:
        return f"task-{correction.task_id}"
    return f"target-{correction.target_id}" if correction.target_id else "corrections"
