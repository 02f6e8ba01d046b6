"""Reviewed plans as gold files: every analyst's fix becomes test data for the extractor.

``kehoach review export-gold DIR`` writes, for each document with at least
one active correction or marked as reviewed (or every document with ``every=True``), the file
``DIR/<source file name>.json`` (named as ``kehoach extract --out`` names its output,
a path hash added when two documents share a file name) in the format of ``../shared/eval/GUIDELINES.md``,
which ``score.py --gold DIR --pred …`` reads.  Values are the views'
(``v_tasks_all``, ``v_targets_all``): the extraction with the corrections
applied, so a row marked "not a task" is absent and an added task is there.

Anchors: GUIDELINES.md asks for consecutive words of the task's own text,
distinctive in the document.  The anchor is the shortest prefix of the
task's words (at least :data:`MIN_ANCHOR_WORDS`) that no other task of the
document contains, or the whole text when none is distinctive; a short
anchor keeps matching when a newer extractor draws the task's end slightly
differently.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from kehoach.models.text_forms import fold_diacritics
from kehoach.pipeline.review.data import split_names
from sqlalchemy import text
from sqlalchemy.orm import Session

MIN_ANCHOR_WORDS = 8


def fold_words(value: str) -> str:
    """The form score.py matches anchors in: no case, no diacritics, no punctuation, single spaces."""
    folded = fold_diacritics(value or "").lower().replace("đ", "d")
    return re.sub(r"\s+", " ", re.sub(r"[^\w%²]+|_", " ", folded)).strip()


def anchor_for(task_text: str, others: list[str]) -> str:
    """The shortest distinctive prefix of ``task_text`` (see the module docstring)."""
    words = task_text.split()
    for count in range(min(MIN_ANCHOR_WORDS, len(words)), len(words) + 1):
        anchor = " ".join(words[:count])
        key = fold_words(anchor)
        if key and not any(key in other for other in others):
            return anchor
    return " ".join(words)


def _number(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else float(value)


@dataclass(frozen=True)
class Exported:
    path: Path
    tasks: int
    targets: int
    corrections: int


def document_gold(session: Session, document_id: int) -> dict:
    """The gold dict of one document (its corrected extraction)."""
    doc = (
        session.execute(
            text(
                "SELECT source_path, doc_type, number, issuer, issued_text, title, signer FROM documents WHERE id = :d"
            ),
            {"d": document_id},
        )
        .mappings()
        .one()
    )
    references = [
        number
        for number in session.execute(
            text(
                "SELECT number FROM legal_references WHERE document_id = :d AND number IS NOT NULL ORDER BY span_start"
            ),
            {"d": document_id},
        ).scalars()
    ]
    rows = (
        session.execute(
            text(
                "SELECT text, section, lead, coordinating, start_text, due_text, recurrence FROM v_tasks_all"
                " WHERE document_id = :d ORDER BY span_start, ordinal"
            ),
            {"d": document_id},
        )
        .mappings()
        .all()
    )
    folded = [fold_words(r["text"]) for r in rows]
    tasks = [
        {
            "anchor": anchor_for(r["text"], folded[:i] + folded[i + 1 :]),
            "section": r["section"],
            "lead": split_names(r["lead"]),
            "coordinating": split_names(r["coordinating"]),
            "start": r["start_text"],
            "due": r["due_text"],
            "recurrence": r["recurrence"],
        }
        for i, r in enumerate(rows)
    ]
    targets = [
        {
            "anchor": g["text"],
            "indicator": g["indicator"],
            "year": g["year"],
            "min": _number(g["min_value"]),
            "max": _number(g["max_value"]),
            "unit": g["unit"],
            "qualifier": g["qualifier"],
        }
        for g in session.execute(
            text(
                "SELECT text, indicator, year, min_value, max_value, unit, qualifier FROM v_targets_all"
                " WHERE document_id = :d ORDER BY span_start"
            ),
            {"d": document_id},
        ).mappings()
    ]
    return {
        "file": Path(doc["source_path"]).name,
        "document": {
            "doc_type": doc["doc_type"],
            "number": doc["number"],
            "issuer": doc["issuer"],
            "issued_date": doc["issued_text"],
            "title": doc["title"],
            "signer": doc["signer"],
        },
        "references": list(dict.fromkeys(references)),
        "tasks": tasks,
        "targets": targets,
        "note": "Exported by kehoach review export-gold: the extraction with the analysts' corrections applied.",
    }


def export_gold(session: Session, folder: Path, *, every: bool = False) -> list[Exported]:
    """Write the gold files of the reviewed documents (or of every document) into ``folder``."""
    from kehoach.pipeline.corrections import count_corrections, reviewed_documents

    counts = count_corrections(session)
    if every:
        documents = list(session.execute(text("SELECT id FROM documents ORDER BY id")).scalars())
    else:
        documents = sorted({d for d, count in counts.items() if count} | reviewed_documents(session))
    from kehoach.pipeline.cli import output_names

    folder.mkdir(parents=True, exist_ok=True)
    wanted = set(documents)
    sources = {
        document_id: Path(source)
        for document_id, source in session.execute(text("SELECT id, source_path FROM documents")).tuples()
        if document_id in wanted
    }
    # the names `kehoach extract --out` gives the same files, so score.py pairs gold and prediction
    names = output_names([sources[d] for d in documents], folder)
    written = []
    for document_id in documents:
        gold = document_gold(session, document_id)
        path = names[sources[document_id]]
        path.write_text(json.dumps(gold, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        written.append(Exported(path, len(gold["tasks"]), len(gold["targets"]), counts.get(document_id, 0)))
    return written
