"""Extraction → rows: round trip, idempotence, replacement, citations, agencies, atomicity."""

from __future__ import annotations

from datetime import date

import pytest
from kehoach.models import schema
from kehoach.pipeline import agency_links, run, store
from kehoach.pipeline.db import session_scope
from sqlalchemy import func, select, text


def _counts(engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {t: connection.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in schema.TABLES}


def _store(engine, extraction) -> store.StoreResult:
    with session_scope(engine) as session:
        return store.store_extraction(session, extraction)


def test_store_round_trip_keeps_every_field(engine, make_extraction) -> None:
    extraction = make_extraction()
    result = _store(engine, extraction)
    assert result.outcome == "ingested"
    with session_scope(engine) as session:
        document = session.get(schema.Document, result.document_id)
        assert document.number == "122/KH-UBND"
        assert document.issuer == "Ủy ban nhân dân tỉnh Lạng Sơn"
        assert (document.issued_on, document.issued_precision, document.issued_text) == (
            date(2023, 5, 27),
            "day",
            "2023-05-27",
        )
        assert document.signer_title == "TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH / PHÓ CHỦ TỊCH"
        assert document.recipients == ["Bộ Xây dựng", "Sở, ban, ngành tỉnh"]
        assert document.content == extraction.content
        task = session.scalars(select(schema.Task)).one()
        assert extraction.content[task.span_start : task.span_end] == task.text
        assert (task.due_on, task.due_precision, task.due_text, task.due_last_day) == (
            date(2022, 3, 1),
            "month",
            "2022-03",
            date(2022, 3, 31),
        )
        assert task.flags == "due_before_issue"
        assert [m.due_text for m in task.milestones] == ["2022-03"]
        roles = {(link.role, link.agency.name, link.mention) for link in task.agencies}
        assert roles == {
            ("lead", "Sở Xây dựng", "Sở Xây dựng"),
            ("coordinating", "Sở Kế hoạch và Đầu tư", "Sở Kế hoạch và Đầu tư"),
        }
        targets = session.scalars(select(schema.Target).order_by(schema.Target.year)).all()
        assert [(t.year, t.min_value, t.unit, t.task_id) for t in targets] == [
            (2025, 30.0, "%", task.id),
            (2030, 40.0, "%", None),
        ]
        reference = session.scalars(select(schema.LegalReference)).one()
        assert (reference.number, reference.date_text, reference.cited_document_id) == ("06-NQ/TW", "2022-01-24", None)
    counts = _counts(engine)
    with engine.connect() as connection:
        names = set(connection.execute(text("SELECT name FROM agencies")).scalars())
    assert {"Sở Xây dựng", "Sở Kế hoạch và Đầu tư"} <= names
    assert counts["agency_mentions"] == 2
    assert counts["time_expressions"] == 1
    assert counts["sections"] == 1
    with engine.connect() as connection:
        row = connection.execute(text("SELECT lead, coordinating, document_number FROM v_tasks")).one()
        assert tuple(row) == ("Sở Xây dựng", "Sở Kế hoạch và Đầu tư", "122/KH-UBND")
        years = connection.execute(text("SELECT year FROM v_targets ORDER BY year")).scalars().all()
        assert years == [2025, 2030]
        timeline = connection.execute(text("SELECT plan, due_text, lead FROM v_timeline")).one()
        assert tuple(timeline) == ("122/KH-UBND", "2022-03", "Sở Xây dựng")


def test_store_same_bytes_are_unchanged(engine, make_extraction) -> None:
    first = _store(engine, make_extraction())
    before = _counts(engine)
    second = _store(engine, make_extraction(path="/elsewhere/copy.txt"))
    assert (second.outcome, second.document_id) == ("unchanged", first.document_id)
    assert _counts(engine) == before


def test_store_changed_file_replaces_previous_version(engine, make_extraction) -> None:
    _store(engine, make_extraction(sha256="a" * 64, due=(2022, 3, None)))
    result = _store(engine, make_extraction(sha256="b" * 64, due=(2022, 6, 30)))
    assert result.outcome == "replaced"
    counts = _counts(engine)
    assert (counts["documents"], counts["tasks"], counts["targets"], counts["task_agencies"]) == (1, 1, 2, 2)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT sha256 FROM documents")).scalar_one() == "b" * 64
        assert connection.execute(text("SELECT due_text FROM tasks")).scalar_one() == "2022-06-30"


def test_store_resolves_citations_both_ways(engine, make_extraction) -> None:
    # The plan citing 148/NQ-CP arrives before the resolution itself ...
    citing = _store(
        engine, make_extraction(sha256="1" * 64, path="/p/kh.txt", references=[("148/NQ-CP", (2022, 11, 11))])
    )
    cited = _store(
        engine,
        make_extraction(sha256="2" * 64, path="/p/nq.txt", number="148/NQ-CP", issued=(2022, 11, 11), references=[]),
    )
    # ... and a later plan cites it too, written differently.
    later = _store(
        engine,
        make_extraction(sha256="3" * 64, path="/p/kh2.txt", number="5/KH-UBND", references=[("148/nq-cp", None)]),
    )
    with engine.connect() as connection:
        links = dict(connection.execute(text("SELECT document_id, cited_document_id FROM legal_references")).all())
    assert links == {citing.document_id: cited.document_id, later.document_id: cited.document_id}


def test_store_leaves_ambiguous_citation_unresolved(engine, make_extraction) -> None:
    # "01/KH-UBND" is issued every year by every province: two candidates, no year in the citation.
    _store(
        engine, make_extraction(sha256="1" * 64, path="/a.txt", number="01/KH-UBND", issued=(2022, 1, 5), references=[])
    )
    _store(
        engine, make_extraction(sha256="2" * 64, path="/b.txt", number="01/KH-UBND", issued=(2023, 1, 9), references=[])
    )
    _store(
        engine, make_extraction(sha256="3" * 64, path="/c.txt", number="9/KH-UBND", references=[("01/KH-UBND", None)])
    )
    _store(
        engine,
        make_extraction(sha256="4" * 64, path="/d.txt", number="10/KH-UBND", references=[("01/KH-UBND", (2023, 1, 9))]),
    )
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT r.date_text, c.issued_text FROM legal_references r "
                "LEFT JOIN documents c ON c.id = r.cited_document_id ORDER BY r.id"
            )
        ).all()
    assert [tuple(r) for r in rows] == [(None, None), ("2023-01-09", "2023-01-09")]


def test_store_links_registry_successors(engine, make_extraction) -> None:
    # Nghị định 45/2025/NĐ-CP merged Sở Kế hoạch và Đầu tư into Sở Tài chính (the registry records it).
    _store(engine, make_extraction())
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT a.name, s.name FROM agencies a LEFT JOIN agencies s ON s.id = a.successor_id ORDER BY a.name")
        ).all()
        assert [tuple(r) for r in rows] == [
            ("Sở Kế hoạch và Đầu tư", "Sở Tài chính"),
            ("Sở Tài chính", None),
            ("Sở Xây dựng", None),
        ]
        folded = connection.execute(text("SELECT name FROM agencies WHERE name_folded = 'so tai chinh'")).scalar_one()
        assert folded == "Sở Tài chính"


def test_store_works_without_registry(engine, make_extraction, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(agency_links, "_module", lambda: None)
    _store(engine, make_extraction())
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT name, successor_id FROM agencies ORDER BY name")).all()
    assert [tuple(r) for r in rows] == [("Sở Kế hoạch và Đầu tư", None), ("Sở Xây dựng", None)]


def test_store_failure_mid_write_leaves_nothing(engine, make_extraction, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(session, document) -> None:
        raise RuntimeError("disk full while writing citations")

    monkeypatch.setattr(store, "resolve_references", explode)
    with pytest.raises(RuntimeError):
        run.store(engine, make_extraction(), "/plans/lang-son-122.txt")
    assert all(count == 0 for count in _counts(engine).values())


def test_store_failure_mid_replace_keeps_old_version(engine, make_extraction, monkeypatch: pytest.MonkeyPatch) -> None:
    _store(engine, make_extraction(sha256="a" * 64))
    before = _counts(engine)
    monkeypatch.setattr(store, "resolve_references", lambda session, document: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        run.store(engine, make_extraction(sha256="b" * 64), "/plans/lang-son-122.txt")
    assert _counts(engine) == before
    with engine.connect() as connection:
        assert connection.execute(select(func.min(schema.Document.sha256))).scalar_one() == "a" * 64


@pytest.mark.parametrize(
    ("parts", "first", "last"),
    [
        ((2025, None, None), date(2025, 1, 1), date(2025, 12, 31)),
        ((2024, 2, None), date(2024, 2, 1), date(2024, 2, 29)),
        ((2022, 3, 15), date(2022, 3, 15), date(2022, 3, 15)),
    ],
)
def test_store_partial_date_bounds(parts, first, last) -> None:
    from kehoach.models.document import PartialDate

    value = PartialDate(year=parts[0], month=parts[1], day=parts[2])
    assert store.date_columns(value)[0] == first
    assert store.last_day(value) == last
