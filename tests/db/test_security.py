"""``kehoach query`` cannot change data or act on the server, whatever SQL it is given (issue 13).

Every bypass found against the old keyword check is run on SQLite and on
the real PostgreSQL of the fixtures, twice: through the command (exit code
and message) and straight on the read-only session with the friendly parser
skipped, because that parser is never what keeps a query safe.  Each must
fail and leave every table, view and file as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kehoach.models.schema import TABLES
from kehoach.pipeline.cli import app
from kehoach.pipeline.db import make_engine, session_scope, upgrade
from kehoach.pipeline.errors import EXIT_USAGE
from kehoach.pipeline.query import QueryFailed, QueryRejected, run_query
from kehoach.pipeline.readonly import execute_read_only, reader_role_sql
from kehoach.pipeline.store import store_extraction
from sqlalchemy import create_engine, inspect, text
from typer.testing import CliRunner

MARKER = Path("/tmp") / f"kehoach-security-{uuid.uuid4().hex}"
"""A file the attacks try to create (on the server for PostgreSQL, here for SQLite): it must never appear."""

BYPASSES: dict[str, str] = {
    "dollar quotes": "SELECT $$'$$; COMMIT; BEGIN READ WRITE; DELETE FROM tasks; COMMIT; --",
    "tagged dollar quotes": "SELECT $x$ ' $x$; COMMIT; BEGIN READ WRITE; DROP TABLE targets CASCADE; COMMIT; --",
    "E'' string": r"SELECT E'\''; COMMIT; BEGIN READ WRITE; DELETE FROM tasks; COMMIT; --'",
    "COMMIT then BEGIN READ WRITE": "COMMIT; BEGIN READ WRITE; DELETE FROM tasks; COMMIT",
    "COMMIT alone": "COMMIT",
    "SET SESSION CHARACTERISTICS": "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE",
    "SET SESSION CHARACTERISTICS then write": (
        "SELECT 1; SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE; DELETE FROM tasks"
    ),
    "COPY TO PROGRAM": f"COPY (SELECT 1) TO PROGRAM 'touch {MARKER}'",
    "COPY TO PROGRAM behind an E'' string": rf"SELECT E'\''; COPY (SELECT 1) TO PROGRAM 'touch {MARKER}'; --'",
    "pg_read_file": "SELECT pg_read_file('/etc/passwd')",
    "lo_export": f"SELECT lo_export(lo_from_bytea(0, 'x'), '{MARKER}')",
    "dblink": "SELECT * FROM dblink('dbname=postgres', 'DELETE FROM tasks') AS t(x text)",
    "DO block": "DO $$ BEGIN DELETE FROM tasks; END $$",
    "writable CTE": "WITH gone AS (DELETE FROM tasks RETURNING id) SELECT count(*) FROM gone",
    "SELECT INTO": "SELECT * INTO stolen FROM tasks",
    "pg_terminate_backend": "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid()",
    "set_config leaving read-only": "SELECT set_config('default_transaction_read_only', 'off', false)",
    "set_config on the transaction": "SELECT set_config('transaction_read_only', 'off', false)",
    "set_config of the role": (
        "SELECT set_config('role', session_user, false), set_config('statement_timeout', '0', false)"
    ),
    "plain DELETE": "DELETE FROM tasks",
    "two statements": "SELECT 1; DELETE FROM tasks",
    # SQLite's own ways to write or reach files
    "ATTACH": f"ATTACH '{MARKER}' AS stolen",
    "VACUUM INTO": f"VACUUM INTO '{MARKER}'",
    "PRAGMA query_only=OFF": "PRAGMA query_only=OFF",
    "PRAGMA writable_schema": "PRAGMA writable_schema=ON",
    "load_extension": f"SELECT load_extension('{MARKER}')",
    "CREATE TEMP TABLE": "CREATE TEMP TABLE t AS SELECT * FROM tasks",
    "REPLACE INTO": "REPLACE INTO agencies (id, name, name_folded, kind) VALUES (1, 'x', 'x', 'x')",
}


@pytest.fixture
def guarded(request: pytest.FixtureRequest, db_url: str, make_extraction, monkeypatch: pytest.MonkeyPatch):
    """(owner URL, URLs analysts may be given) for a database holding two plans.

    On PostgreSQL the analyst URLs are the reader role made by ``kehoach db
    create-reader-role`` and the owner itself (the attack in the issue ran as
    the owner); on SQLite the file.
    """
    engine = make_engine(db_url)
    upgrade(engine)
    for sha, number in (("1" * 64, "15/KH-UBND"), ("2" * 64, "201/KH-UBND")):
        with session_scope(engine) as session:
            store_extraction(session, make_extraction(sha256=sha, path=f"/p/{number[:3]}.txt", number=number))
    engine.dispose()
    if not db_url.startswith("postgresql"):
        return db_url, [db_url]
    admin_url = request.getfixturevalue("postgres_admin_url")
    role = f"reader_{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("KEHOACH_READER_ROLE", role)
    created = CliRunner().invoke(app, ["db", "create-reader-role", role, "--db", admin_url])
    assert created.exit_code == 0, created.output
    reader_url = db_url.replace(db_url.split("://")[1].split("@")[0] + "@", f"{role}@", 1)
    return db_url, [reader_url, db_url]


def fingerprint(url: str) -> dict[str, str]:
    """A digest of every table's rows, plus the list of tables and views: what no query may change."""
    engine = make_engine(url)
    with engine.connect() as connection:
        names = inspect(connection)
        found = {"tables": ",".join(sorted(names.get_table_names())), "views": ",".join(sorted(names.get_view_names()))}
        for table in TABLES:
            rows = connection.execute(text(f"SELECT * FROM {table} ORDER BY 1")).fetchall()
            found[table] = hashlib.sha256(repr(rows).encode()).hexdigest()
    engine.dispose()
    return found


def postgres_only(guarded: tuple[str, list[str]]) -> tuple[str, list[str]]:
    if not guarded[0].startswith("postgresql"):
        pytest.skip("a PostgreSQL feature")
    return guarded


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def query_everywhere(guarded: tuple[str, list[str]], sql: str, *options: str) -> list:
    """``kehoach query SQL OPTIONS`` through every analyst URL of the database."""
    return [invoke("query", sql, "--db", url, *options) for url in guarded[1]]


@pytest.mark.parametrize("name", list(BYPASSES))
def test_security_bypass_is_refused_and_changes_nothing(guarded, name: str) -> None:
    owner_url, query_urls = guarded
    before = fingerprint(owner_url)
    for url in query_urls:
        result = invoke("query", BYPASSES[name], "--db", url)
        assert result.exit_code in (1, EXIT_USAGE), (url, result.output)
        assert result.output.startswith(("kehoach: query rejected: ", "kehoach: query failed: ")), result.output
        assert len(result.output.strip().splitlines()) == 1, result.output  # one clear line, no traceback
        # the same text straight on the read-only session, the friendly parser skipped
        with pytest.raises((QueryRejected, QueryFailed)):
            execute_read_only(make_engine(url, read_only=True), BYPASSES[name])
    assert fingerprint(owner_url) == before
    assert not MARKER.exists()


def test_security_reads_still_work_with_quotes_and_comments(guarded) -> None:
    sql = "SELECT count(*) AS n FROM documents /* a ; comment */ WHERE number LIKE '%/KH-UBND' -- ;"
    for result in query_everywhere(guarded, sql, "--format", "csv"):
        assert result.exit_code == 0, result.output
        assert result.stdout.split() == ["n", "2"]


NESTED_COMMENT = "SELECT 1 AS one /* outer /* inner */ ; DELETE FROM tasks; /* */ */"
"""PostgreSQL nests comments (one SELECT); SQLite does not (a SELECT, then a DELETE)."""


def test_security_nested_comments_follow_each_grammar(guarded) -> None:
    owner_url, query_urls = guarded
    before = fingerprint(owner_url)
    for url in query_urls:
        result = invoke("query", NESTED_COMMENT, "--db", url, "--format", "csv")
        if url.startswith("postgresql"):
            assert result.exit_code == 0 and result.stdout.split() == ["one", "1"], result.output
        else:
            assert result.exit_code == EXIT_USAGE and "one statement at a time" in result.output
            with pytest.raises(QueryFailed, match="one statement at a time"):
                execute_read_only(make_engine(url, read_only=True), NESTED_COMMENT)
    assert fingerprint(owner_url) == before


@pytest.mark.postgres
def test_security_postgres_dollar_quoted_semicolon_is_one_select(guarded) -> None:
    guarded = postgres_only(guarded)
    _, (reader_url, _) = guarded
    result = invoke("query", "SELECT $$a;b$$ AS s, $t$ ' $t$ AS q, E'\\'' AS e", "--db", reader_url, "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1] == "a;b, ' ,'"


@pytest.mark.postgres
def test_security_superuser_and_file_roles_are_refused(guarded, postgres_admin_url: str) -> None:
    guarded = postgres_only(guarded)
    owner_url, _ = guarded
    result = invoke("query", "SELECT 1", "--db", postgres_admin_url)
    assert result.exit_code == EXIT_USAGE
    assert "superuser" in result.output and "create-reader-role" in result.output
    filer = f"filer_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE ROLE "{filer}" LOGIN'))
        connection.execute(text(f'GRANT pg_read_server_files TO "{filer}"'))
    admin.dispose()
    filer_url = owner_url.replace(owner_url.split("://")[1].split("@")[0] + "@", f"{filer}@", 1)
    result = invoke("query", "SELECT pg_read_file('/etc/hostname')", "--db", filer_url)
    assert result.exit_code == EXIT_USAGE
    assert "member of pg_read_server_files" in result.output


@pytest.mark.postgres
def test_security_reader_role_cannot_write_from_any_client(guarded) -> None:
    guarded = postgres_only(guarded)
    owner_url, (reader_url, _) = guarded
    before = fingerprint(owner_url)
    plain = create_engine(reader_url, isolation_level="AUTOCOMMIT")  # like psql, pandas or a notebook
    with plain.connect() as connection:
        assert connection.execute(text("SHOW default_transaction_read_only")).scalar_one() == "on"
        assert connection.execute(text("SELECT count(*) FROM v_tasks")).scalar_one() == 2
    for statement in ("SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE", "SET transaction_read_only = off"):
        with plain.connect() as connection:
            connection.execute(text(statement))
            with pytest.raises(Exception, match="permission denied"):
                connection.execute(text("DELETE FROM tasks"))
    plain.dispose()
    assert fingerprint(owner_url) == before


def test_security_reader_role_sql_is_printed(tmp_path: Path) -> None:
    result = invoke("db", "create-reader-role", "analysts", "--print-sql", "--db", "postgresql://x@h/plans")
    assert result.exit_code == 0, result.output
    assert 'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "analysts";' in result.stdout
    assert 'ALTER ROLE "analysts" SET default_transaction_read_only = on;' in result.stdout
    assert "NOSUPERUSER" in result.stdout and "INSERT" not in result.stdout
    assert reader_role_sql('we"ird', "db", "own")[1].startswith('ALTER ROLE "we""ird" LOGIN')


def test_security_long_query_is_stopped_by_the_time_limit(guarded) -> None:
    endless = "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT count(*) FROM r"
    for result in query_everywhere(guarded, endless, "--timeout", "0.5"):
        assert result.exit_code == 1, result.output
        assert "stopped after 0.5 s" in result.output


def test_security_sqlite_memory_limit(db_url: str) -> None:
    if db_url.startswith("postgresql"):
        pytest.skip("hard_heap_limit is SQLite's")
    upgrade(make_engine(db_url))
    with pytest.raises(QueryFailed):
        run_query(
            make_engine(db_url, read_only=True), "SELECT length(zeroblob(2000000000)) + length(randomblob(1500000000))"
        )
    frame = run_query(make_engine(db_url, read_only=True), "SELECT count(*) AS n FROM documents")
    assert frame["n"].tolist() == [0]


# --------------------------------------------------------------------------- property

WRITES = [
    "DELETE FROM tasks",
    "UPDATE agencies SET name = 'x'",
    "DROP TABLE targets",
    "INSERT INTO agencies (name, name_folded, kind) VALUES ('x', 'x', 'x')",
    "TRUNCATE tasks CASCADE",
    "ALTER TABLE tasks RENAME TO gone",
    "DROP VIEW v_tasks",
]
OPENERS = ["SELECT $$", "SELECT $q$", "SELECT E'\\'", "SELECT '", "SELECT 1 /* /*", "SELECT 1 --\n", 'SELECT "', ""]
CLOSERS = ["$$", "$q$", "'", "*/ */", '"', "--", ""]
BRIDGES = ["; ", ";\n", "; COMMIT; BEGIN READ WRITE; ", "; SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE; "]


@st.composite
def disguised_writes(draw: st.DrawFn) -> str:
    """A random write hidden behind random quoting, comments and transaction tricks."""
    return (
        draw(st.sampled_from(OPENERS))
        + draw(st.sampled_from(CLOSERS))
        + draw(st.sampled_from(BRIDGES))
        + draw(st.sampled_from(WRITES))
        + draw(st.sampled_from(BRIDGES + [""]))
        + draw(st.sampled_from(CLOSERS))
    )


def test_security_property_disguised_writes_change_nothing(guarded) -> None:
    owner_url, query_urls = guarded
    before = fingerprint(owner_url)
    engines = [make_engine(url, read_only=True) for url in query_urls]

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(sql=disguised_writes())
    def attempt(sql: str) -> None:
        for engine in engines:
            with contextlib.suppress(QueryRejected, QueryFailed):
                execute_read_only(engine, sql)

    attempt()
    assert fingerprint(owner_url) == before
