"""Analysts' corrections on a real plan: recorded with old and new values, applied by the views, undoable."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from kehoach.pipeline import corrections
from kehoach.pipeline.db import session_scope
from kehoach.pipeline.run import ingest_files
from sqlalchemy import text

PLAN = Path(__file__).resolve().parents[2] / "data" / "raw" / "002_bd6398dc606c56db.txt"
"""Kế hoạch 122/KH-UBND of Lạng Sơn: 43 tasks, 24 targets."""


@pytest.fixture
def plan(engine) -> tuple:
    """(engine, document id, the first two tasks of the plan as v_tasks rows)."""
    summary = ingest_files(engine, [PLAN], workers=1)
    assert summary.ingested == 1
    with engine.connect() as connection:
        document_id = connection.execute(text("SELECT id FROM documents")).scalar_one()
        tasks = connection.execute(text("SELECT * FROM v_tasks ORDER BY ordinal LIMIT 2")).mappings().all()
    return engine, document_id, tasks


def _task(engine, task_id: int):
    with engine.connect() as connection:
        return connection.execute(text("SELECT * FROM v_tasks WHERE task_id = :t"), {"t": task_id}).mappings().first()


def _day(value) -> str | None:
    """A view's date as ISO text: SQLite returns the text, PostgreSQL a date."""
    return None if value is None else str(value)[:10]


def _count(engine, sql: str, **params) -> int:
    with engine.connect() as connection:
        return connection.execute(text(sql), params).scalar_one()


def _add(engine, **kwargs) -> int:
    with session_scope(engine) as session:
        return corrections.add_correction(session, **kwargs)


def _undo(engine, correction_id: int) -> None:
    with session_scope(engine) as session:
        corrections.undo_correction(session, correction_id)


def test_lead_correction_shows_in_the_views_and_undo_restores_the_extraction(plan) -> None:
    engine, document_id, (first, _) = plan
    extracted = first["lead"]
    correction = _add(
        engine, document_id=document_id, task_id=first["task_id"], field="lead", new_value=["Sở KH&ĐT"], author="an"
    )
    row = _task(engine, first["task_id"])
    assert (row["lead"], row["corrected"]) == ("Sở Kế hoạch và Đầu tư", 1)  # the registry's name for what was typed
    assert row["lead_successors"] == "Sở Tài chính"  # the 2025 merger, as for an extracted lead
    timeline = _count(engine, "SELECT count(*) FROM v_timeline WHERE task_id = :t AND corrected = 1", t=row["task_id"])
    assert timeline == 1
    with session_scope(engine) as session:
        (view,) = corrections.list_corrections(session, document_id=document_id)
        assert view.old_value == (extracted.split("; ") if extracted else [])
        assert (view.new_value, view.author, view.status, view.anchor_text) == (
            ["Sở Kế hoạch và Đầu tư"],
            "an",
            "matched",
            first["text"],
        )
        assert corrections.count_corrections(session) == {document_id: 1}
    _undo(engine, correction)
    row = _task(engine, first["task_id"])
    assert (row["lead"], row["corrected"]) == (extracted, 0)
    with pytest.raises(ValueError, match="already undone"):
        _undo(engine, correction)


def test_stacked_corrections_fall_back_one_at_a_time(plan) -> None:
    engine, document_id, (first, _) = plan
    ids = [
        _add(engine, document_id=document_id, task_id=first["task_id"], field="coordinating", new_value=names)
        for names in (["Sở Tài chính"], ["Sở Xây dựng", "Công an tỉnh"])
    ]
    assert _task(engine, first["task_id"])["coordinating"] == "Sở Xây dựng; Công an tỉnh"
    _undo(engine, ids[1])
    assert _task(engine, first["task_id"])["coordinating"] == "Sở Tài chính"
    with session_scope(engine) as session:
        assert corrections.get_correction(session, ids[1]).old_value == ["Sở Tài chính"]
        assert [c.id for c in corrections.list_corrections(session, include_undone=True)] == ids[::-1]


@pytest.mark.parametrize(
    ("field", "written", "on", "precision", "iso", "last"),
    [
        ("due", "Quý III/2026", date(2026, 9, 1), "month", "2026-09", date(2026, 9, 30)),
        ("start", "Quý III/2026", date(2026, 7, 1), "month", "2026-07", None),
        ("due", "trước ngày 15/3/2027", date(2027, 3, 15), "day", "2027-03-15", date(2027, 3, 15)),
        ("due", "năm 2030", date(2030, 1, 1), "year", "2030", date(2030, 12, 31)),
        ("due", "2026-02", date(2026, 2, 1), "month", "2026-02", date(2026, 2, 28)),
    ],
)
def test_dates_as_written_are_normalised_like_extracted_ones(plan, field, written, on, precision, iso, last) -> None:
    engine, document_id, (first, _) = plan
    _add(engine, document_id=document_id, task_id=first["task_id"], field=field, new_value=written)
    row = _task(engine, first["task_id"])
    assert (_day(row[f"{field}_on"]), row[f"{field}_precision"], row[f"{field}_text"]) == (str(on), precision, iso)
    if field == "due":
        assert _day(row["due_last_day"]) == str(last)
        assert _count(engine, "SELECT due_year FROM v_timeline WHERE task_id = :t", t=row["task_id"]) == on.year
    assert row["corrected"] == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"field": "due", "new_value": "2026-02-30"}, "not a valid date"),
        ({"field": "due", "new_value": "sớm nhất có thể"}, "not a date kehoach can read"),
        ({"field": "colour", "new_value": "red"}, "unknown field"),
        ({"field": "lead", "new_value": 42}, "list of names"),
        ({"field": "not_task", "new_value": "yes"}, "true"),
        ({"field": "lead", "new_value": ["Sở Y tế"], "task_id": 10**6}, "no task"),
        ({"field": "new_task", "new_value": {"span_start": 5, "span_end": 10**7}, "task_id": None}, "not inside"),
        ({"field": "target", "new_value": {"colour": 1}, "task_id": None, "target_id": 1}, "unknown target field"),
    ],
)
def test_bad_corrections_are_one_line_errors_and_write_nothing(plan, kwargs, message) -> None:
    engine, document_id, (first, _) = plan
    kwargs = {"task_id": first["task_id"], **kwargs}
    with pytest.raises(ValueError, match=message):
        _add(engine, document_id=document_id, **kwargs)
    assert _count(engine, "SELECT count(*) FROM corrections") == 0
    assert _count(engine, "SELECT count(*) FROM tasks") == 43


def test_a_task_from_another_document_is_refused(plan) -> None:
    engine, document_id, (first, _) = plan
    with pytest.raises(ValueError, match="no document"):
        _add(engine, document_id=document_id + 1, task_id=first["task_id"], field="not_task", new_value=True)


def test_not_a_task_leaves_every_view_and_comes_back_on_undo(plan) -> None:
    engine, document_id, (first, second) = plan
    correction = _add(engine, document_id=document_id, task_id=second["task_id"], field="not_task", new_value=True)
    for view in ("v_tasks", "v_tasks_all", "v_timeline"):
        assert _count(engine, f"SELECT count(*) FROM {view} WHERE task_id = :t", t=second["task_id"]) == 0
    assert _count(engine, "SELECT count(*) FROM v_tasks") == 42
    _undo(engine, correction)
    assert _count(engine, "SELECT count(*) FROM v_tasks") == 43


def test_a_missed_task_is_added_from_the_selected_text(plan) -> None:
    engine, document_id, _ = plan
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT content FROM documents")).scalar_one()
    sentence = next(line for line in stored.splitlines() if len(line) > 60)
    start = stored.index(sentence)
    correction = _add(
        engine, document_id=document_id, field="new_task", new_value={"span_start": start - 1, "span_end": start + 60}
    )
    with session_scope(engine) as session:
        added = corrections.get_correction(session, correction)
    row = _task(engine, added.task_id)
    assert row["text"] == stored[start : start + 60].strip()  # the surrounding line break is not part of it
    assert (row["corrected"], row["rule"]) == (1, corrections.NEW_TASK_RULE)
    assert _count(engine, "SELECT count(*) FROM v_tasks") == 44
    # the added task takes corrections like any other
    _add(engine, document_id=document_id, task_id=added.task_id, field="lead", new_value=["Sở Xây dựng"])
    assert _task(engine, added.task_id)["lead"] == "Sở Xây dựng"
    _undo(engine, correction)
    assert _count(engine, "SELECT count(*) FROM v_tasks") == 43
    assert _count(engine, "SELECT count(*) FROM corrections WHERE undone_at IS NULL") == 0


def test_target_correction_shows_in_v_targets(plan) -> None:
    engine, document_id, _ = plan
    with engine.connect() as connection:
        target = connection.execute(text("SELECT * FROM v_targets ORDER BY target_id LIMIT 1")).mappings().one()
    _add(
        engine,
        document_id=document_id,
        target_id=target["target_id"],
        field="target",
        new_value={"min_value": "12,5", "unit": "km", "indicator": "Chiều dài đường đô thị"},
    )
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT * FROM v_targets WHERE target_id = :g"), {"g": target["target_id"]}
        ).mappings().one()  # fmt: skip
    assert (row["min_value"], row["unit"], row["indicator"], row["corrected"]) == (
        12.5,
        "km",
        "Chiều dài đường đô thị",
        1,
    )
    assert (row["indicator_folded"], row["year"], row["max_value"]) == (
        "chieu dai duong do thi",
        target["year"],
        target["max_value"],
    )
    assert _count(engine, "SELECT count(*) FROM v_targets WHERE corrected = 1") == 1


def test_a_document_marked_reviewed_without_changes(plan) -> None:
    engine, document_id, (first, _) = plan
    with pytest.raises(ValueError, match="whole document"):
        _add(engine, document_id=document_id, task_id=first["task_id"], field="reviewed", new_value=True)
    mark = _add(engine, document_id=document_id, field="reviewed", new_value=True, author="an")
    with session_scope(engine) as session:
        assert corrections.reviewed_documents(session) == {document_id}
        assert corrections.count_corrections(session) == {}  # a mark is no correction of a fact
    assert _count(engine, "SELECT count(*) FROM v_tasks WHERE corrected = 1") == 0
    ingest_files(engine, [PLAN], workers=1, force=True)  # the mark stays with the document
    with session_scope(engine) as session:
        assert corrections.get_correction(session, mark).status == "matched"
        assert corrections.reviewed_documents(session) == {document_id}
    _undo(engine, mark)
    with session_scope(engine) as session:
        assert corrections.reviewed_documents(session) == set()
