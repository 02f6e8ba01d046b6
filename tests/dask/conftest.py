"""Fixtures of the Dask tests: the session's PostgreSQL server, a fresh database on demand, the inputs.

The inputs are the 12 smallest plans of the dev corpus plus a DOCX and a text-layer PDF of ``data/raw``
(14 files, a few seconds of extraction): enough for a run to be caught mid-way, small enough for 2 cores.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine, text

from tests.db.conftest import postgres_server  # noqa: F401 - the session's PostgreSQL server, shared

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT / "tests" / "corpus" / "dev"
RAW = ROOT / "data" / "raw"
SCANNED = RAW / "003_3286ee62c434ea9b.scanned.pdf"
NOT_COMPARED = {"ingest_runs", "ingest_errors", "alembic_version"}
"""Tables that record how a run went (ids, times, arguments), not what it stored."""


@pytest.fixture(scope="session")
def inputs() -> list[Path]:
    smallest = sorted(DEV.glob("*.txt"), key=lambda path: path.stat().st_size)[:12]
    return [*sorted(smallest), RAW / "000_8544ea3e62a3c3aa.docx", RAW / "000_8544ea3e62a3c3aa.pdf"]


@pytest.fixture(scope="session")
def new_database(postgres_server: str) -> Callable[[], str]:  # noqa: F811 - the imported fixture
    """A factory of fresh, empty databases on the session's server (URL of each)."""

    def create() -> str:
        name = f"kehoach_dask_{uuid.uuid4().hex[:12]}"
        admin = create_engine(f"{postgres_server}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0"))
        admin.dispose()
        return f"{postgres_server}/{name}"

    return create


@dataclass(frozen=True)
class Stored:
    """What a database holds: every row (:func:`snapshot`) and each document's rows per table (:func:`shares`)."""

    rows: dict[str, list[str]]
    shares: dict[str, tuple[int, ...]]


@pytest.fixture(scope="session")
def reference(new_database: Callable[[], str], inputs: list[Path]) -> Stored:
    """What the in-process path stores for :func:`inputs`: the result every Dask run must equal."""
    from kehoach.pipeline.db import make_engine
    from kehoach.pipeline.run import ingest_files

    engine = make_engine(new_database())
    summary = ingest_files(engine, inputs, workers=1)
    assert summary.failed == 0, summary.failures
    assert summary.ingested == len(inputs)  # no two inputs share their bytes: counts below rely on it
    result = Stored(snapshot(engine), shares(engine))
    engine.dispose()
    return result


CHILDREN = ("sections", "tasks", "targets", "agency_mentions", "time_expressions", "legal_references")


def shares(engine) -> dict[str, tuple[int, ...]]:  # noqa: ANN001 - sqlalchemy Engine
    """sha256 -> rows of each child table: a document written in part would show fewer."""
    counts = ", ".join(f"(SELECT count(*) FROM {t} WHERE {t}.document_id = d.id)" for t in CHILDREN)
    with engine.connect() as connection:
        return {
            sha: tuple(rest) for sha, *rest in connection.execute(text(f"SELECT d.sha256, {counts} FROM documents d"))
        }


def _plain(row: dict, foreign: dict[str, str]) -> str:
    """A row without its surrogate keys, references and timestamps."""
    kept = (k for k in row if k != "id" and k not in foreign and not k.endswith("_at"))
    return repr(sorted((k, repr(row[k])) for k in kept))


def snapshot(engine) -> dict[str, list[str]]:  # noqa: ANN001 - sqlalchemy Engine
    """Every stored row of every table, ids replaced by what they point at: equal for equal contents.

    Surrogate ids and timestamps differ between two runs that stored the same things; a reference
    (``document_id``, ``agency_id``, ``task_id``…) is replaced by the referenced row's own columns, so a
    task still says which document and agency it belongs to.  Tables added by later migrations are
    compared too, since the tables are read from the database itself.
    """
    metadata = MetaData()
    metadata.reflect(engine)
    tables = [t for t in metadata.sorted_tables if t.name not in NOT_COMPARED]
    rows: dict[str, tuple[dict[str, str], list[dict]]] = {}
    plain: dict[str, dict[object, str]] = {}
    with engine.connect() as connection:
        for table in tables:
            foreign = {fk.parent.name: fk.column.table.name for fk in table.foreign_keys}
            for column in table.columns:  # an id kept without a declared foreign key (to break a cycle)
                if column.name.endswith("_id") and column.name not in foreign:
                    foreign[column.name] = column.name.removesuffix("_id") + "s"
            data = [dict(row) for row in connection.execute(table.select()).mappings()]
            rows[table.name] = (foreign, data)
            plain[table.name] = {row.get("id"): _plain(row, foreign) for row in data}
    result = {}
    for name, (foreign, data) in rows.items():
        links = [(column, target) for column, target in foreign.items() if target in plain]  # others: dropped
        result[name] = sorted(
            _plain(row, foreign) + repr(sorted((column, plain[target].get(row[column])) for column, target in links))
            for row in data
        )
    return result
