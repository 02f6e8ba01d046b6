"""The database keeps why each fact is there: rule ids of tasks, roles, mentions, targets; unregistered bodies."""

from __future__ import annotations

from pathlib import Path

from kehoach.extractors.extract import extract
from kehoach.models import schema
from kehoach.pipeline import store
from kehoach.pipeline.db import session_scope
from kehoach.pipeline.ingest import read_document
from sqlalchemy import select

DEV = Path(__file__).parent.parent / "corpus" / "dev"


def test_rule_ids_of_a_real_notice_are_stored(engine) -> None:
    extraction = extract(read_document(DEV / "lamdong-tb-ubnd-2026-ket-luan-hoi-nghi-cchc.txt"))
    with session_scope(engine) as session:
        store.store_extraction(session, extraction)
    with session_scope(engine) as session:
        tasks = session.scalars(select(schema.Task).order_by(schema.Task.ordinal)).all()
        assert [t.rule for t in tasks] == [t.rule for t in extraction.tasks]
        assert all(t.rule and t.rule.startswith("task.") for t in tasks)
        links = session.scalars(select(schema.TaskAgency)).all()
        assert links and {link.rule for link in links} == {m.rule for t in extraction.tasks for m in t.roles if m.role}
        reviewed = next(t for t in tasks if "Tổ chức rà soát toàn bộ hệ thống" in t.text)
        assert {(link.agency.name, link.role, link.rule) for link in reviewed.agencies} >= {
            ("Sở Tư pháp", "lead", "role.lead_in")
        }
        dated = [t for t in tasks if t.due_text]
        assert all(t.due_rule for t in dated) or not any(t.due_rule for t in extraction.tasks)


def test_a_body_the_registry_does_not_know_is_stored_as_unregistered(engine, make_extraction) -> None:
    extraction = make_extraction()
    mention = (
        extraction.tasks[0]
        .roles[0]
        .model_copy(
            update={"name": "Trung tâm Phát triển quỹ đất tỉnh", "registered": False, "rule": "agency.head_noun"}
        )
    )
    task = extraction.tasks[0].model_copy(update={"roles": [*extraction.tasks[0].roles, mention]})
    extraction = extraction.model_copy(update={"tasks": [task], "agencies": [*extraction.agencies, mention]})
    with session_scope(engine) as session:
        store.store_extraction(session, extraction)
    with session_scope(engine) as session:
        rows = {a.name: a.registered for a in session.scalars(select(schema.Agency))}
    assert rows["Trung tâm Phát triển quỹ đất tỉnh"] is False
    assert rows[extraction.tasks[0].roles[0].name] is True
