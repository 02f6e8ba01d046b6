"""The Alembic migration builds the same schema, views included, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic import command
from kehoach.models.schema import TABLES, VIEWS, fold, number_key
from kehoach.pipeline.db import alembic_config, current_revision, head_revision, make_engine, resolve_url, upgrade
from sqlalchemy import inspect, text


def test_schema_migration_creates_tables_and_views(db_url: str) -> None:
    engine = make_engine(db_url)
    assert current_revision(engine) is None
    upgrade(engine)
    upgrade(engine)  # a second run is a no-op, not an error
    assert current_revision(engine) == head_revision()
    inspector = inspect(engine)
    assert set(TABLES) <= set(inspector.get_table_names())
    assert set(VIEWS) <= set(inspector.get_view_names())
    assert {"issued_on", "issued_precision", "issued_text", "sha256"} <= {
        c["name"] for c in inspector.get_columns("documents")
    }
    with engine.connect() as connection:
        for view in VIEWS:
            assert connection.execute(text(f"SELECT count(*) FROM {view}")).scalar_one() == 0


def test_schema_downgrade_removes_everything(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    with engine.connect() as connection:
        command.downgrade(alembic_config(connection), "base")
        connection.commit()
    inspector = inspect(engine)
    assert not set(TABLES) & set(inspector.get_table_names())
    assert not inspector.get_view_names()


def test_schema_agency_name_is_unique(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    insert = text("INSERT INTO agencies (name, name_folded, kind) VALUES ('Sở Xây dựng', 'so xay dung', 'agency')")
    with engine.begin() as connection:
        connection.execute(insert)
    with pytest.raises(Exception, match="(?i)unique"), engine.begin() as connection:
        connection.execute(insert)


@pytest.mark.parametrize(
    ("name", "folded"),
    [
        ("ỦY BAN NHÂN DÂN tỉnh Lạng Sơn", "uy ban nhan dan tinh lang son"),
        ("Sở Tài  chính", "so tai chinh"),
        ("Đài Phát thanh và Truyền hình", "dai phat thanh va truyen hinh"),
        ("Uỷ ban", "uy ban"),  # old and new tone placement fold alike
    ],
)
def test_schema_fold_strips_vietnamese_marks(name: str, folded: str) -> None:
    assert fold(name) == folded


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("06-NQ/TW", "6-NQ/TW"),
        ("148/NQ-CP", "148/nq-cp"),
        ("Số 122/KH-UBND", "122 / KH-UBND."),
        ("35/2022/QĐ-UBND", "35/2022/QD-UBND"),
    ],
)
def test_schema_number_key_ignores_spelling(left: str, right: str) -> None:
    assert number_key(left) == number_key(right)


def test_schema_number_key_keeps_different_numbers_apart() -> None:
    assert number_key("148/NQ-CP") != number_key("148/NQ-TW")
    assert number_key("10/KH-UBND") != number_key("1/KH-UBND")
    assert number_key("66.2/2025/NQ-CP") != number_key("662/2025/NQ-CP")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
)
def test_db_resolve_url_uses_psycopg(given: str, expected: str) -> None:
    assert resolve_url(given) == expected


def test_db_resolve_url_default_and_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KEHOACH_DB", raising=False)
    assert resolve_url(None) == f"sqlite:///{tmp_path / 'data' / 'processed' / 'kehoach.db'}"
    monkeypatch.setenv("KEHOACH_DB", "postgresql://kehoach@db/plans")
    assert resolve_url(None) == "postgresql+psycopg://kehoach@db/plans"
    assert resolve_url("other.db") == f"sqlite:///{tmp_path / 'other.db'}"
