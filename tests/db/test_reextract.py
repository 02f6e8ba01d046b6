"""Re-extraction: an upgrade reaches stored documents, ``--force`` re-reads everything, corrections survive."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from kehoach.extractors.extract import pipeline_version
from kehoach.pipeline import corrections
from kehoach.pipeline.cli import app
from kehoach.pipeline.db import session_scope
from kehoach.pipeline.run import ingest_files, is_older
from sqlalchemy import text
from typer.testing import CliRunner

RAW = Path(__file__).resolve().parents[2] / "data" / "raw"
PLAN = RAW / "002_bd6398dc606c56db.txt"
SECOND = RAW / "003_3286ee62c434ea9b.txt"


def _rows(engine, sql: str, **params) -> list:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql), params)]


def _scalar(engine, sql: str, **params):
    with engine.connect() as connection:
        return connection.execute(text(sql), params).scalar_one()


def _add(engine, **kwargs) -> int:
    with session_scope(engine) as session:
        return corrections.add_correction(session, **kwargs)


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A private copy of the plan (tests change its bytes)."""
    target = tmp_path / "inputs" / PLAN.name
    target.parent.mkdir()
    shutil.copy(PLAN, target)
    return target


def test_version_order() -> None:
    assert is_older("0.0.9", "0.1.0") and is_older("0+unknown", "0.1.0") and is_older("", "0.1.0")
    assert not is_older("0.1.0", "0.1.0") and not is_older("0.2.0", "0.1.0")
    assert is_older("not a version", "0.1.0")


def test_a_document_from_an_older_kehoach_is_extracted_again_in_place(engine, copy: Path) -> None:
    assert ingest_files(engine, [copy], workers=1).ingested == 1
    (document_id,) = _rows(engine, "SELECT id FROM documents")[0]
    tasks = _scalar(engine, "SELECT count(*) FROM tasks")
    with engine.begin() as connection:  # as an older kehoach left it: another version, another reading
        connection.execute(text("UPDATE documents SET pipeline_version = '0.0.1'"))
        connection.execute(text("UPDATE tasks SET text = 'read by 0.0.1' WHERE ordinal = 0"))
    summary = ingest_files(engine, [copy], workers=1)
    assert (summary.reextracted, summary.unchanged, summary.ingested, summary.replaced) == (1, 0, 0, 0)
    assert _rows(engine, "SELECT id, pipeline_version FROM documents") == [(document_id, pipeline_version())]
    assert _scalar(engine, "SELECT count(*) FROM tasks") == tasks
    assert _scalar(engine, "SELECT count(*) FROM tasks WHERE text = 'read by 0.0.1'") == 0
    assert _rows(engine, "SELECT reextracted, status FROM ingest_runs ORDER BY id DESC")[0] == (1, "finished")
    again = ingest_files(engine, [copy], workers=1)
    assert (again.reextracted, again.unchanged) == (0, 1)


def test_force_re_extracts_every_file_keeping_document_and_plan_ids(engine) -> None:
    ingest_files(engine, [PLAN, SECOND], workers=1)
    before = _rows(engine, "SELECT id, plan_id, sha256 FROM documents ORDER BY id")
    counts = _rows(engine, "SELECT (SELECT count(*) FROM v_tasks), (SELECT count(*) FROM v_targets)")
    summary = ingest_files(engine, [PLAN, SECOND], workers=1, force=True)
    assert (summary.reextracted, summary.unchanged) == (2, 0)
    assert _rows(engine, "SELECT id, plan_id, sha256 FROM documents ORDER BY id") == before
    assert _rows(engine, "SELECT (SELECT count(*) FROM v_tasks), (SELECT count(*) FROM v_targets)") == counts


def test_cli_force_says_re_extracted(db_url: str) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["ingest", "--no-progress", "--workers", "1", str(PLAN), "--db", db_url])
    assert first.exit_code == 0, first.output
    result = runner.invoke(app, ["ingest", "--no-progress", "--workers", "1", "--force", str(PLAN), "--db", db_url])
    assert result.exit_code == 0, result.output
    header, values = [line for line in result.stdout.splitlines() if "│" in line or "┃" in line][:2]
    columns = [cell.strip() for cell in header.strip("┃").split("┃")]
    cells = [cell.strip() for cell in values.strip("│").split("│")]
    assert dict(zip(columns, cells, strict=True))["re-extracted"] == "1"


def _corrected(engine) -> list[tuple]:
    return _rows(
        engine,
        "SELECT text, lead, coordinating, start_text, due_text, due_last_day FROM v_tasks"
        " WHERE corrected = 1 ORDER BY span_start",
    )


def test_corrections_survive_forced_re_extraction(engine) -> None:
    ingest_files(engine, [PLAN], workers=1)
    (document_id,) = _rows(engine, "SELECT id FROM documents")[0]
    tasks = _rows(engine, "SELECT task_id, span_start FROM v_tasks ORDER BY ordinal")
    target = _scalar(engine, "SELECT min(target_id) FROM v_targets")
    content = _scalar(engine, "SELECT content FROM documents")
    gap = next(i for i in range(len(content) - 40) if content[i : i + 40].strip() and i > tasks[-1][1])
    made = [
        _add(engine, document_id=document_id, task_id=tasks[0][0], field="lead", new_value=["Sở Xây dựng"]),
        _add(engine, document_id=document_id, task_id=tasks[1][0], field="due", new_value="Quý III/2026"),
        _add(engine, document_id=document_id, task_id=tasks[2][0], field="not_task", new_value=True),
        _add(engine, document_id=document_id, field="new_task", new_value={"span_start": gap, "span_end": gap + 40}),
        _add(engine, document_id=document_id, target_id=target, field="target", new_value={"min_value": 7}),
    ]
    shown = (_corrected(engine), _scalar(engine, "SELECT count(*) FROM v_tasks"))
    assert len(shown[0]) == 3
    ingest_files(engine, [PLAN], workers=1, force=True)
    assert (_corrected(engine), _scalar(engine, "SELECT count(*) FROM v_tasks")) == shown
    assert _scalar(engine, "SELECT min_value FROM v_targets WHERE corrected = 1") == 7
    with session_scope(engine) as session:
        assert {c.id: c.status for c in corrections.list_corrections(session)} == dict.fromkeys(made, "matched")
        assert all(c.task_id or c.target_id for c in corrections.list_corrections(session))


def test_a_changed_file_keeps_corrections_by_text_and_lists_the_lost_ones(engine, tmp_path: Path) -> None:
    copy = tmp_path / "plan.txt"
    shutil.copy(RAW / "000_8544ea3e62a3c3aa.txt", copy)  # its tasks are written one per line
    ingest_files(engine, [copy], workers=1)
    (document_id,) = _rows(engine, "SELECT id FROM documents")[0]
    tasks = _rows(engine, "SELECT task_id, text, span_start FROM v_tasks ORDER BY ordinal")
    raw = copy.read_text(encoding="utf-8")
    lost = next(task for task in tasks[1:] if raw.count(task[1]) == 1)  # a task written on one line
    kept = tasks[tasks.index(lost) + 3]
    lost_id = _add(engine, document_id=document_id, task_id=lost[0], field="lead", new_value=["Sở Y tế"])
    kept_id = _add(engine, document_id=document_id, task_id=kept[0], field="lead", new_value=["Sở Nội vụ"])
    copy.write_text(raw.replace(lost[1], ""), encoding="utf-8")  # a new version: one task gone, later ones moved
    assert ingest_files(engine, [copy], workers=1).replaced == 1
    assert _rows(engine, "SELECT id FROM documents") == [(document_id,)]
    with session_scope(engine) as session:
        by_id = {c.id: c for c in corrections.list_corrections(session)}
        assert [c.id for c in corrections.list_corrections(session, status="unmatched")] == [lost_id]
    assert (by_id[lost_id].status, by_id[lost_id].task_id) == ("unmatched", None)
    assert by_id[kept_id].status == "matched" and by_id[kept_id].span_start < kept[2]  # found by its text
    assert _rows(engine, "SELECT text, lead FROM v_tasks WHERE corrected = 1") == [(kept[1], "Sở Nội vụ")]
    listing = CliRunner().invoke(app, ["corrections", "--unmatched", "--db", engine.url.render_as_string(False)])
    assert listing.exit_code == 0, listing.output
    assert "1 correction(s)" in listing.stdout and "unmatched" in listing.stdout and "Sở Y tế" in listing.stdout


def test_matching_prefers_span_then_text_then_a_similar_text_never_a_mere_neighbour() -> None:
    task = "Sở Xây dựng chủ trì rà soát quy hoạch chung đô thị, hoàn thành trong quý III năm 2026."
    neighbour = "Sở Tài chính bố trí kinh phí thực hiện kế hoạch từ nguồn ngân sách tỉnh theo phân cấp."
    rows = [(1, 0, len(neighbour), neighbour), (2, 500, 500 + len(task), task)]
    assert corrections.match_span(rows, 500, 500 + len(task), task)[0] == 2  # same span
    assert corrections.match_span(rows, 0, len(task), task)[0] == 2  # same text, moved
    fixed = [(3, 0, len(task), task.replace("rà soát", "rà  soát lại"))]
    assert corrections.match_span(fixed, 0, len(task), task)[0] == 3  # a typo fixed in the new version
    assert corrections.match_span(rows[:1], 0, len(task), task) is None  # its place taken by another task


def test_corrections_follow_the_plan_to_a_better_rendering_and_back(engine) -> None:
    from kehoach.pipeline import store

    export, original = RAW / "003_3286ee62c434ea9b.txt", RAW / "003_3286ee62c434ea9b.docx"
    ingest_files(engine, [export], workers=1)
    (txt_id,) = _rows(engine, "SELECT id FROM documents")[0]
    task_id, task_text = _rows(engine, "SELECT task_id, text FROM v_tasks ORDER BY ordinal")[3]
    content = _scalar(engine, "SELECT content FROM documents")
    start = content.index(task_text[:50])  # an analyst adds the task's first words as a task of their own
    _add(engine, document_id=txt_id, task_id=task_id, field="lead", new_value=["Sở Nội vụ"])
    _add(engine, document_id=txt_id, field="new_task", new_value={"span_start": start, "span_end": start + 50})
    shown = _rows(engine, "SELECT text, lead FROM v_tasks WHERE corrected = 1 ORDER BY text")
    assert [lead for _, lead in shown] == ["Sở Nội vụ", None] or [lead for _, lead in shown] == [None, "Sở Nội vụ"]
    ingest_files(engine, [original], workers=1)  # the DOCX outranks its text export
    docx_id = _scalar(engine, "SELECT id FROM documents WHERE format = 'docx'")
    assert _scalar(engine, "SELECT DISTINCT document_id FROM v_tasks") == docx_id
    assert _rows(engine, "SELECT text, lead FROM v_tasks WHERE corrected = 1 ORDER BY text") == shown
    with session_scope(engine) as session:
        moved = corrections.list_corrections(session)
        assert {(c.document_id, c.status) for c in moved} == {(docx_id, "matched")}
        store.delete_document(session, docx_id)  # and back to the text export
    assert _rows(engine, "SELECT text, lead FROM v_tasks WHERE corrected = 1 ORDER BY text") == shown
    assert _scalar(engine, "SELECT count(*) FROM corrections WHERE document_id = :d", d=txt_id) == 2
