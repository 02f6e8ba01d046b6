"""Review-app fixtures: a database built from the sample plans (``data/raw``) by the real ingest command.

The sample plans are ingested once per session and per backend; each test
gets its own copy (a copied SQLite file, or a PostgreSQL database made from
the ingested one as a template), so a test's corrections never leak into
another's.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.db.conftest import postgres_server  # noqa: F401 - the session's PostgreSQL server, shared

ROOT = Path(__file__).resolve().parents[2]
RAW = ROOT / "data" / "raw"
KEHOACH = [sys.executable, "-m", "kehoach"]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
SCORE = ROOT / "tests" / "eval" / "score.py"


def ingest(url: str, *args: Path | str) -> None:
    """``kehoach ingest ARGS`` (the sample plans by default) into ``url``, as a user runs it."""
    subprocess.run(
        [*KEHOACH, "ingest", *map(str, args or (RAW,)), "--db", url, "--no-progress", "--workers", "1"],
        check=True,
        capture_output=True,
        timeout=600,
    )


@pytest.fixture(scope="session")
def sqlite_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file holding every sample plan (do not write to it: copy it)."""
    path = tmp_path_factory.mktemp("review-sample") / "sample.db"
    ingest(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_sample(postgres_server: str) -> tuple[str, str]:  # noqa: F811 - fixture parameter
    """(template database, owner) on the session's server holding every sample plan."""
    suffix = uuid.uuid4().hex[:10]
    name, owner = f"review_tpl_{suffix}", f"review_{suffix}"
    admin = create_engine(f"{postgres_server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{owner}" LOGIN NOSUPERUSER'))
        conn.execute(text(f'CREATE DATABASE "{name}" OWNER "{owner}" ENCODING \'UTF8\' TEMPLATE template0'))
    admin.dispose()
    ingest(postgres_server.replace("postgres@", f"{owner}@", 1) + f"/{name}")
    return name, owner


def _postgres_copy(server: str, template: tuple[str, str]) -> str:
    name, owner = template
    copy = f"review_{uuid.uuid4().hex[:12]}"
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{copy}" OWNER "{owner}" TEMPLATE "{name}"'))
    admin.dispose()
    return server.replace("postgres@", f"{owner}@", 1) + f"/{copy}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def sample_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A private copy of the sample database, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        target = tmp_path / "review.db"
        shutil.copyfile(request.getfixturevalue("sqlite_sample"), target)
        return f"sqlite:///{target}"
    return request.getfixturevalue("postgres_sample_url")


@pytest.fixture
def postgres_sample_url(postgres_server: str, postgres_sample: tuple[str, str]) -> str:  # noqa: F811
    """A private PostgreSQL copy of the sample database."""
    return _postgres_copy(postgres_server, postgres_sample)


@pytest.fixture
def sqlite_url(sqlite_sample: Path, tmp_path: Path) -> str:
    """A private SQLite copy of the sample database (for tests that need one backend only)."""
    target = tmp_path / "review.db"
    shutil.copyfile(sqlite_sample, target)
    return f"sqlite:///{target}"


def make_client(url: str, **settings: object):  # noqa: ANN201 - starlette TestClient
    from fastapi.testclient import TestClient
    from kehoach.pipeline.review.app import Settings, create_app

    return TestClient(create_app(Settings(url=url, **settings)), follow_redirects=False)  # type: ignore[arg-type]


@pytest.fixture
def client(sample_url: str) -> Iterator:
    with make_client(sample_url) as test_client:
        yield test_client


CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(page_html: str) -> str:
    found = CSRF.search(page_html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def score(gold: Path, pred: Path) -> dict:
    """The overall figures of ``score.py --gold GOLD --pred PRED`` (the project's scorer, run as a user runs it)."""
    import json

    done = subprocess.run(
        [sys.executable, str(SCORE), "--gold", str(gold), "--pred", str(pred), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout[: done.stdout.rindex("}") + 1])["overall"]
