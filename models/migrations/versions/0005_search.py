"""Accent-insensitive full-text search over task text ("ke hoach" finds "kế hoạch", "dau tu" finds "đầu tư").

SQLite: an FTS5 table ``task_search`` (rowid = ``tasks.id``) with two columns, the
text as written and its ``đ→d`` form, both tokenised by ``unicode61
remove_diacritics 2``.  That tokenizer folds case and strips every diacritic
Vietnamese uses (ế, ự, ằ …) but not đ, which Unicode treats as a letter of its
own: the second column is the "folded" text for it, so "dau" and "đầu" both
find "Đầu tư".  Triggers on ``tasks`` keep the index in the writer's own
transaction (one per document), whatever code inserts, replaces or deletes
tasks; existing tasks are indexed here.

PostgreSQL: an immutable SQL function ``kehoach_fold(text)`` (lower case, no
diacritics, đ→d) and a GIN index on ``to_tsvector('simple', kehoach_fold(text))``;
queries use the same expression, so the index is always in sync.  The function is
built on the ``unaccent`` extension when the database lets this role create it
(it is a trusted extension: a database owner may); otherwise on ``translate()``
with the Vietnamese letters spelled out, which needs no extension.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 12:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LOWER = "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ"
_PLAIN = "aaaaaaaaaaaaaaaaadeeeeeeeeeeeiiiiiooooooooooooooooouuuuuuuuuuuyyyyy"
VIETNAMESE = _LOWER + _LOWER.upper()
ASCII = _PLAIN + _PLAIN
"""The letters ``translate()`` folds when ``unaccent`` cannot be installed.  Capitals are listed too:
``lower()`` folds only ASCII under the C locale."""
assert len(VIETNAMESE) == len(ASCII)

SQLITE_FOLD = "replace(replace({0}, 'đ', 'd'), 'Đ', 'D')"
"""SQL for the second FTS column: what the tokenizer's remove_diacritics leaves to fold."""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _upgrade_postgres()
    else:
        _upgrade_sqlite()


def _upgrade_sqlite() -> None:
    op.execute(
        "CREATE VIRTUAL TABLE task_search USING fts5(text, text_folded, tokenize = 'unicode61 remove_diacritics 2')"
    )
    columns = "INSERT INTO task_search (rowid, text, text_folded)"
    insert = f"{columns} VALUES (new.id, new.text, {SQLITE_FOLD.format('new.text')})"
    delete = "DELETE FROM task_search WHERE rowid = old.id"
    op.execute(f"CREATE TRIGGER task_search_insert AFTER INSERT ON tasks BEGIN {insert}; END")
    op.execute(f"CREATE TRIGGER task_search_delete AFTER DELETE ON tasks BEGIN {delete}; END")
    op.execute(f"CREATE TRIGGER task_search_update AFTER UPDATE OF text ON tasks BEGIN {delete}; {insert}; END")
    op.execute(f"{columns} SELECT id, text, {SQLITE_FOLD.format('text')} FROM tasks")


def _unaccent_schema() -> str | None:
    """The schema ``unaccent`` lives in once installed, or None when this role may not install it."""
    bind = op.get_bind()
    try:
        with bind.begin_nested():
            bind.execute(text("CREATE EXTENSION IF NOT EXISTS unaccent"))
    except Exception:  # noqa: BLE001 - no privilege, or the contrib package is missing: use translate()
        return None
    where = "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
    return bind.execute(text(f"{where} WHERE e.extname = 'unaccent'")).scalar_one()


def _upgrade_postgres() -> None:
    schema = _unaccent_schema()
    if schema is not None:
        folded = f'lower("{schema}".unaccent(\'"{schema}".unaccent\'::regdictionary, $1))'
    else:
        folded = f"translate(lower($1), '{VIETNAMESE}', '{ASCII}')"
    # words only, one space apart: the text parser would read "81-nq/tu" as one file name, not three words
    body = f"SELECT btrim(regexp_replace({folded}, '[^[:alnum:]]+', ' ', 'g'))"
    signature = "CREATE OR REPLACE FUNCTION kehoach_fold(text) RETURNS text"
    op.execute(f"{signature} LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ {body} $$")
    op.execute("CREATE INDEX ix_tasks_search ON tasks USING gin (to_tsvector('simple', kehoach_fold(text)))")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_tasks_search")
        op.execute("DROP FUNCTION IF EXISTS kehoach_fold(text)")
        return
    for trigger in ("task_search_insert", "task_search_delete", "task_search_update"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS task_search")
