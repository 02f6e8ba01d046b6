"""Plan identity: renderings of one plan share a plan row, the views show each plan once, versions are linked.

``data/raw`` holds five plans, three of them as several files (TXT, DOCX, PDF, a scan); the file
name's prefix (``003_…``) says which plan a file renders, which the product never looks at.
"""

from __future__ import annotations

import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from kehoach.models import schema
from kehoach.models.document import PartialDate
from kehoach.pipeline import corrections, plans, store
from kehoach.pipeline.db import make_engine, session_scope, upgrade
from kehoach.pipeline.run import ingest_files
from sqlalchemy import text

RAW = Path(__file__).resolve().parents[2] / "data" / "raw"


def _rows(engine, sql: str, **params) -> list:
    with engine.connect() as connection:
        return list(connection.execute(text(sql), params))


def _scalar(engine, sql: str, **params):
    with engine.connect() as connection:
        return connection.execute(text(sql), params).scalar_one()


@pytest.fixture
def raw_engine(engine):
    """The engine fixture's database (SQLite, PostgreSQL) with every file of data/raw ingested."""
    summary = ingest_files(engine, sorted(RAW.iterdir()), workers=1)
    assert summary.failed == 0, summary.failures
    return engine


def _plan_of_file(engine) -> dict[str, int]:
    rows = _rows(engine, "SELECT source_path, plan_id FROM documents")
    return {Path(path).name: plan_id for path, plan_id in rows}


def test_data_raw_views_count_each_plans_tasks_once(raw_engine) -> None:
    """Renderings share a plan; task and target counts in the views equal the distinct plans'."""
    by_stem: dict[str, set[int]] = defaultdict(set)
    for name, plan_id in _plan_of_file(raw_engine).items():
        assert plan_id is not None, name
        by_stem[name.split("_")[0]].add(plan_id)
    assert all(len(ids) == 1 for ids in by_stem.values()), by_stem
    assert len({next(iter(ids)) for ids in by_stem.values()}) == len(by_stem) == 5
    assert _scalar(raw_engine, "SELECT count(*) FROM plans") == 5
    per_document = {
        Path(path).name: (tasks, targets)
        for path, tasks, targets in _rows(
            raw_engine,
            "SELECT d.source_path, (SELECT count(*) FROM tasks t WHERE t.document_id = d.id),"
            " (SELECT count(*) FROM targets g WHERE g.document_id = d.id) FROM documents d",
        )
    }
    best: dict[str, tuple[int, int]] = {}
    for suffix in (".txt", ".pdf", ".docx"):  # the original outranks the export; the scan never wins
        for name, counts in per_document.items():
            if name.endswith(suffix) and ".scanned." not in name:
                best[name.split("_")[0]] = counts
    expected_tasks = sum(tasks for tasks, _ in best.values())
    expected_targets = sum(targets for _, targets in best.values())
    assert _scalar(raw_engine, "SELECT count(*) FROM v_tasks") == expected_tasks
    assert _scalar(raw_engine, "SELECT count(*) FROM v_timeline") == expected_tasks
    assert _scalar(raw_engine, "SELECT count(*) FROM v_targets") == expected_targets
    all_tasks = sum(tasks for tasks, _ in per_document.values())
    assert _scalar(raw_engine, "SELECT count(*) FROM v_tasks_all") == all_tasks > expected_tasks
    assert _scalar(raw_engine, "SELECT count(DISTINCT plan_id) FROM v_tasks") == 5


def test_primary_rendering_is_the_original_read_from_its_text_layer_and_a_partial_scan_joins(raw_engine) -> None:
    rows = _rows(
        raw_engine,
        "SELECT source_path, format, rendering_rank, is_primary FROM v_documents"
        " WHERE source_path LIKE '%003_%' ORDER BY rendering_rank",
    )
    formats = [fmt for _, fmt, _, _ in rows]
    assert formats[0] == "docx" and formats[-1] == "pdf-ocr", rows
    assert formats.index("pdf") < formats.index("text")
    assert [rank for _, _, rank, _ in rows] == [1, 2, 3, 4]
    assert [primary for _, _, _, primary in rows] == [1, 0, 0, 0]
    primary = _scalar(
        raw_engine,
        "SELECT p.primary_document_id FROM plans p JOIN documents d ON d.plan_id = p.id"
        " WHERE d.format = 'docx' AND d.number = '20/KH-SXD'",
    )
    assert _scalar(raw_engine, "SELECT DISTINCT document_id FROM v_tasks WHERE document_number = '20/KH-SXD'") == (
        primary
    )
    # the scan holds the first pages only: a part of the plan, found whole in its other renderings
    scan, full = (
        _rows(
            raw_engine,
            "SELECT shingle_count, text_signature FROM documents WHERE format = :f AND number = '20/KH-SXD'",
            f=fmt,
        )[0]
        for fmt in ("pdf-ocr", "docx")
    )
    assert scan[0] < plans.COMPLETE_SHARE * full[0]  # a part of the plan …
    similarity = plans.jaccard(_json(scan[1]), _json(full[1]))
    assert similarity < plans.RENDERING_JACCARD
    assert plans.containment(similarity, scan[0], full[0]) >= plans.PARTIAL_CONTAINMENT  # … found whole in it


def test_deleting_a_rendering_re_ranks_the_plan(raw_engine) -> None:
    number = "20/KH-SXD"
    with session_scope(raw_engine) as session:
        docx = session.scalar(text(f"SELECT id FROM documents WHERE number = '{number}' AND format = 'docx'"))
        store.delete_document(session, docx)
    pdf = _scalar(raw_engine, f"SELECT id FROM documents WHERE number = '{number}' AND format = 'pdf'")
    assert _scalar(raw_engine, "SELECT primary_document_id FROM plans WHERE number = :n", n=number) == pdf
    assert _scalar(raw_engine, "SELECT renderings FROM plans WHERE number = :n", n=number) == 3
    assert _scalar(raw_engine, "SELECT count(DISTINCT document_id) FROM v_tasks WHERE document_number = :n", n=number)
    with session_scope(raw_engine) as session:
        for (document_id,) in session.execute(text(f"SELECT id FROM documents WHERE number = '{number}'")):
            store.delete_document(session, document_id)
    assert _scalar(raw_engine, "SELECT count(*) FROM plans WHERE number = :n", n=number) == 0
    assert _scalar(raw_engine, "SELECT count(*) FROM plans") == 4


def test_migration_gives_documents_stored_before_plans_their_plans(raw_engine) -> None:
    """Down to 0002 (no plans) and up again: the 0003 back-fill assigns the same plans."""
    from alembic import command
    from kehoach.pipeline.db import alembic_config

    before = _scalar(raw_engine, "SELECT count(*) FROM v_tasks")
    with raw_engine.connect() as connection:
        command.downgrade(alembic_config(connection), "0002")
        connection.commit()
    assert _scalar(raw_engine, "SELECT count(*) FROM v_tasks") == _scalar(raw_engine, "SELECT count(*) FROM tasks")
    with raw_engine.connect() as connection:
        command.upgrade(alembic_config(connection), "head")
        connection.commit()
    assert _scalar(raw_engine, "SELECT count(*) FROM plans") == 5
    assert _scalar(raw_engine, "SELECT count(*) FROM v_tasks") == before


# --------------------------------------------------------------------------- similarity and versions

_PARAGRAPHS = [
    "Sở Xây dựng chủ trì rà soát quy hoạch chung đô thị trên địa bàn tỉnh, hoàn thành trong quý III năm 2026.",
    "Sở Tài chính bố trí kinh phí thực hiện kế hoạch từ nguồn ngân sách tỉnh theo phân cấp hiện hành.",
    "Ủy ban nhân dân các huyện tổ chức lấy ý kiến cộng đồng dân cư về đồ án quy hoạch trước tháng 10 năm 2026.",
    "Sở Nông nghiệp và Môi trường cập nhật hiện trạng sử dụng đất phục vụ lập quy hoạch phân khu.",
    "Văn phòng Ủy ban nhân dân tỉnh theo dõi, đôn đốc và tổng hợp kết quả thực hiện định kỳ hằng quý.",
    "Các cơ quan báo chí tuyên truyền rộng rãi nội dung quy hoạch được phê duyệt tới người dân và doanh nghiệp.",
]
_OTHER = [
    "Sở Giáo dục và Đào tạo xây dựng đề án phát triển trường chuẩn quốc gia giai đoạn 2026 - 2030.",
    "Sở Y tế nâng cao chất lượng khám chữa bệnh tuyến cơ sở, hoàn thành trước ngày 31/12/2027.",
]


def _doc(content: str, *, number_key: str | None = None, issuer: str | None = "UBND tỉnh", id: int = 1):
    signature, count = plans.signature(content)
    return plans._Doc(id, None, number_key, number_key, issuer, None, None, None, "text", [], signature, count)


def test_relation_thresholds_on_texts_of_known_similarity() -> None:
    text = " ".join(_PARAGRAPHS)
    reflowed = "\n".join(p.upper() for p in _PARAGRAPHS)  # a different rendering of the same words
    revised = " ".join(_PARAGRAPHS[:4] + _OTHER)
    unrelated = " ".join(_OTHER * 3)
    exact = len(plans.shingles(text) & plans.shingles(revised)) / len(plans.shingles(text) | plans.shingles(revised))
    assert plans.VERSION_JACCARD <= exact < plans.RENDERING_JACCARD  # the fixture is a revision, not a rendering
    assert abs(plans.jaccard(_doc(text).signature, _doc(revised).signature) - exact) < 0.1
    assert plans.relation(_doc(reflowed), _doc(text)) == "rendering"
    assert plans.relation(_doc(revised), _doc(text)) == "version"
    assert plans.relation(_doc(revised, issuer="Sở Xây dựng"), _doc(text)) is None
    assert plans.relation(_doc(unrelated), _doc(text)) is None
    # two plans with their own numbers are never one plan, however alike
    assert plans.relation(_doc(text, number_key="12/KH-UBND"), _doc(text, number_key="13/KH-UBND")) == "version"
    # the same number and issuer is one plan even when OCR garbled the text
    assert plans.relation(_doc(unrelated, number_key="12/KH-UBND"), _doc(text, number_key="12/KH-UBND")) == (
        "rendering"
    )


def _json(value):
    import json

    return json.loads(value) if isinstance(value, str) else value


def test_draft_and_signed_version_are_linked_and_the_draft_leaves_the_views(engine, make_extraction) -> None:
    draft_text = "KẾ HOẠCH\n" + "\n".join(_PARAGRAPHS)
    signed_text = "KẾ HOẠCH\n" + "\n".join(_PARAGRAPHS[:4] + _OTHER)
    draft = make_extraction(sha256="d" * 64, path="/plans/draft.txt", number=None, issued=(2026, 3, None))
    signed = make_extraction(sha256="e" * 64, path="/plans/signed.txt", issued=(2026, 4, 2))
    with session_scope(engine) as session:
        for extraction, content in ((draft, draft_text), (signed, signed_text)):
            extraction = extraction.model_copy(update={"content": content, "references": []})
            store.store_extraction(session, extraction)
    rows = _rows(engine, "SELECT id, number, version_of_id, version_kind, superseded FROM plans ORDER BY id")
    assert len(rows) == 2
    (draft_plan, _, _, _, draft_superseded), (signed_plan, number, version_of, kind, superseded) = rows
    assert (number, version_of, kind) == ("122/KH-UBND", draft_plan, "signed")
    assert bool(draft_superseded) and not bool(superseded)
    assert {plan for (plan,) in _rows(engine, "SELECT DISTINCT plan_id FROM v_tasks")} == {signed_plan}
    assert _scalar(engine, "SELECT count(DISTINCT plan_id) FROM v_tasks_all") == 2


def test_an_amendment_citing_its_plan_is_linked_and_both_stay_in_the_views(engine, make_extraction) -> None:
    original = make_extraction(sha256="f" * 64, path="/plans/original.txt", number="06/KH-UBND", references=[])
    amendment = make_extraction(
        sha256="0" * 64, path="/plans/amendment.txt", number="45/KH-UBND", issued=(2024, 2, 1),
        references=[("06/KH-UBND", (2023, 5, 27))],
    )  # fmt: skip
    amendment = amendment.model_copy(
        update={
            "content": "Sửa đổi, bổ sung Kế hoạch số 06/KH-UBND. " + " ".join(_OTHER),
            "document": amendment.document.model_copy(
                update={"title": "Sửa đổi, bổ sung một số nội dung Kế hoạch số 06/KH-UBND"}
            ),
        }
    )
    with session_scope(engine) as session:
        store.store_extraction(session, original)
        store.store_extraction(session, amendment)
    rows = _rows(engine, "SELECT number, version_of_id, version_kind, superseded FROM plans ORDER BY id")
    assert [(n, kind) for n, _, kind, _ in rows] == [("06/KH-UBND", None), ("45/KH-UBND", "amendment")]
    assert rows[1][1] is not None and not any(bool(r[3]) for r in rows)
    assert _scalar(engine, "SELECT count(DISTINCT plan_id) FROM v_tasks") == 2


def test_signature_ignores_case_diacritics_and_line_breaks() -> None:
    assert plans.signature("Kế hoạch\nthực hiện  năm 2026")[0] == plans.signature("KE HOACH thuc hien nam 2026")[0]
    assert plans.signature("hai từ") == (None, 0)
    assert isinstance(schema.Plan.__table__.c.superseded.type.python_type(), bool)
    assert PartialDate(year=2026).iso() == "2026"


def test_concurrent_runs_storing_renderings_of_one_plan_agree_on_it(db_url: str) -> None:
    """One ``kehoach ingest`` process per rendering, all at once: one plan, ranked as if stored one by one."""
    engine = make_engine(db_url)
    upgrade(engine)
    kehoach = Path(sys.executable).with_name("kehoach")
    files = sorted(RAW.glob("003_*"))
    runs = [
        subprocess.Popen(
            [str(kehoach), "ingest", str(path), "--db", db_url, "--workers", "1", "--no-progress"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for path in files
    ]
    for run in runs:
        stdout, stderr = run.communicate(timeout=300)
        assert run.returncode == 0, (stdout, stderr)
    assert _scalar(engine, "SELECT count(*) FROM documents") == len(files)
    assert _scalar(engine, "SELECT count(*) FROM plans") == 1
    assert _scalar(engine, "SELECT renderings FROM plans") == len(files)
    ranks = _rows(engine, "SELECT format, rendering_rank FROM documents ORDER BY rendering_rank")
    assert [fmt for fmt, _ in ranks][0] == "docx" and [rank for _, rank in ranks] == list(range(1, len(files) + 1))
    engine.dispose()


def test_lock_keys_are_shared_exactly_by_documents_that_can_be_related() -> None:
    signed = plans.plan_lock_keys("Số 20/KH-SXD", "Sở Xây dựng tỉnh Lạng Sơn", "Thực hiện nhiệm vụ năm 2022")
    scan = plans.plan_lock_keys("20/KH-SXD", None, "Thuc hien nhiem vu nam 2022")  # OCR lost the issuer
    other = plans.plan_lock_keys("5/KH-UBND", "Ủy ban nhân dân tỉnh Bắc Kạn", "Kế hoạch chuyển đổi số")
    assert set(signed) & set(scan) and not set(signed) & set(other)
    assert signed == sorted(signed) and len(plans.plan_lock_keys(None, None, None)) == 1


def test_a_file_related_to_two_plans_merges_them(engine, make_extraction) -> None:
    """A scan read badly (A) and an unnumbered export (C) look unrelated until the signed file (B) links them."""
    garbled = " ".join(_OTHER * 3)
    plan_text = "\n".join(_PARAGRAPHS)
    a = make_extraction(sha256="1" * 64, path="/plans/a.pdf", number="5/KH-UBND", references=[])
    c = make_extraction(sha256="2" * 64, path="/plans/c.txt", number=None, references=[])
    b = make_extraction(sha256="3" * 64, path="/plans/b.docx", number="5/KH-UBND", references=[])
    with session_scope(engine) as session:
        for extraction, content in ((a, garbled), (c, plan_text), (b, plan_text)):
            store.store_extraction(session, extraction.model_copy(update={"content": content}))
            session.flush()
            if extraction is c:
                assert session.scalar(text("SELECT count(*) FROM plans")) == 2
                task_id, c_id = session.execute(text("SELECT id, document_id FROM tasks ORDER BY id DESC")).first()
                corrections.add_correction(
                    session, document_id=c_id, task_id=task_id, field="lead", new_value=["Sở Nội vụ"]
                )
    assert _rows(engine, "SELECT count(*), max(renderings) FROM plans") == [(1, 3)]
    assert _scalar(engine, "SELECT count(DISTINCT plan_id) FROM documents") == 1
    # the merged plan's correction follows it to the primary file of the plan that remains
    b_id = _scalar(engine, "SELECT id FROM documents WHERE source_path = '/plans/b.docx'")
    assert _scalar(engine, "SELECT primary_document_id FROM plans") == b_id
    assert _rows(engine, "SELECT document_id, status FROM corrections") == [(b_id, "matched")]
    assert _rows(engine, "SELECT lead FROM v_tasks WHERE corrected = 1") == [("Sở Nội vụ",)]
