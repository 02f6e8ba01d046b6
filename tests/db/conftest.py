"""Database fixtures: every database test runs on SQLite and on a real PostgreSQL server.

The server is Debian's PostgreSQL 15, started once per session in a
temporary folder.  PostgreSQL refuses to run as root, so when the tests run
as root the cluster is created and started as the ``postgres`` system user
(``runuser``) on a folder that user owns; trust authentication on 127.0.0.1
and ``fsync=off`` keep it fast.  Each test gets its own fresh database.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

PG_BIN = Path(os.environ.get("KEHOACH_PG_BIN", "/usr/lib/postgresql/15/bin"))
DEV = Path(__file__).resolve().parents[1] / "corpus" / "dev"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_server_user(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """Base URL (no database name) of a PostgreSQL server private to this test session."""
    if not (PG_BIN / "pg_ctl").exists():
        pytest.skip(f"PostgreSQL binaries not found in {PG_BIN} (apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="kehoach-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    port = _free_port()
    log = root / "server.log"
    subprocess.run(
        _as_server_user([str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8"]),
        check=True,
        capture_output=True,
    )
    options = f"-c listen_addresses=127.0.0.1 -p {port} -c fsync=off -c full_page_writes=off -k {root}"
    subprocess.run(
        _as_server_user([str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start"]),
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(
            _as_server_user([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres_database(postgres_server: str) -> tuple[str, str]:
    """(database, owner) of a fresh, empty database owned by a fresh login role that is not a superuser.

    kehoach's own commands run as that owner, like on a shared server: the
    session superuser only creates roles and databases.
    """
    suffix = uuid.uuid4().hex[:12]
    name, owner = f"kehoach_{suffix}", f"owner_{suffix}"
    admin = create_engine(f"{postgres_server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{owner}" LOGIN NOSUPERUSER'))
        conn.execute(text(f'CREATE DATABASE "{name}" OWNER "{owner}" ENCODING \'UTF8\' TEMPLATE template0'))
    admin.dispose()
    return name, owner


@pytest.fixture
def postgres_url(postgres_server: str, postgres_database: tuple[str, str]) -> str:
    """A fresh, empty database on the session's server, as its (non-superuser) owner."""
    name, owner = postgres_database
    return postgres_server.replace("postgres@", f"{owner}@", 1) + f"/{name}"


@pytest.fixture
def postgres_admin_url(postgres_server: str, postgres_database: tuple[str, str]) -> str:
    """The same database as :func:`postgres_url`, as the server's superuser (to create roles)."""
    return f"{postgres_server}/{postgres_database[0]}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database URL, once for SQLite and once for PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'kehoach.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def dev_text(tmp_path: Path) -> Path:
    """A private copy of one small dev plan (tests may change its bytes)."""
    source = min(DEV.glob("*.txt"), key=lambda p: p.stat().st_size)
    target = tmp_path / "inputs" / source.name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(source.read_bytes())
    return target


# --------------------------------------------------------------------------- hand-built extractions

PLAN_TEXT = (
    "ỦY BAN NHÂN DÂN TỈNH LẠNG SƠN\n"
    "KẾ HOẠCH Thực hiện Nghị quyết số 06-NQ/TW ngày 24 tháng 01 năm 2022 của Bộ Chính trị\n"
    "1. Rà soát quy hoạch đô thị. Sở Xây dựng chủ trì, phối hợp với Sở Kế hoạch và Đầu tư; "
    "hoàn thành trong tháng 3 năm 2022.\n"
    "2. Tỷ lệ đô thị hóa đạt khoảng 30% vào năm 2025, 40% vào năm 2030.\n"
)


def _span(text: str, part: str) -> tuple[int, int]:
    start = text.index(part)
    return start, start + len(part)


def build_extraction(
    *,
    sha256: str = "a" * 64,
    path: str = "/plans/lang-son-122.txt",
    number: str | None = "122/KH-UBND",
    issued: tuple[int, int | None, int | None] = (2023, 5, 27),
    references: list[tuple[str, tuple[int, int | None, int | None] | None]] | None = None,
    lead: str = "Sở Xây dựng",
    coordinating: str = "Sở Kế hoạch và Đầu tư",
    due: tuple[int, int | None, int | None] | None = (2022, 3, None),
):
    """A realistic Extraction of a short Lạng Sơn plan: one task, two targets, one reference."""
    from kehoach.models.document import (
        AgencyMention,
        DocumentMeta,
        Extraction,
        Milestone,
        PartialDate,
        Reference,
        Section,
        SourceInfo,
        Target,
        Task,
        TimeExpression,
    )

    text = PLAN_TEXT
    task_text = text[text.index("Rà soát") : text.index("2022.\n") + 5]
    lead_span = _span(text, "Sở Xây dựng")
    coord_span = _span(text, "Sở Kế hoạch và Đầu tư")
    due_span = _span(text, "trong tháng 3 năm 2022")
    lead_mention = AgencyMention(text=text[slice(*lead_span)], span=lead_span, name=lead, role="lead")
    coord_mention = AgencyMention(
        text=text[slice(*coord_span)], span=coord_span, name=coordinating, role="coordinating"
    )
    if references is None:
        references = [("06-NQ/TW", (2022, 1, 24))]
    ref_span = _span(text, "Nghị quyết số 06-NQ/TW ngày 24 tháng 01 năm 2022")
    target_sentence = "Tỷ lệ đô thị hóa đạt khoảng 30% vào năm 2025"
    return Extraction(
        source=SourceInfo(path=path, sha256=sha256, format="text", pages=None, encoding="utf-8"),
        content=text,
        document=DocumentMeta(
            doc_type="Kế hoạch",
            number=number,
            symbol="KH-UBND",
            issuer="Ủy ban nhân dân tỉnh Lạng Sơn",
            province="Lạng Sơn",
            issued_date=PartialDate(year=issued[0], month=issued[1], day=issued[2]),
            title="Thực hiện Nghị quyết số 06-NQ/TW của Bộ Chính trị",
            signer="Lương Trọng Quỳnh",
            signer_title=["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"],
            recipients=["Bộ Xây dựng", "Sở, ban, ngành tỉnh"],
        ),
        references=[
            Reference(
                text=text[slice(*ref_span)],
                span=ref_span,
                doc_type="Nghị quyết",
                number=ref_number,
                date=PartialDate(year=ref_date[0], month=ref_date[1], day=ref_date[2]) if ref_date else None,
                issuer="Bộ Chính trị",
            )
            for ref_number, ref_date in references
        ],
        sections=[
            Section(path="1", marker="1.", title="Rà soát quy hoạch đô thị", span=_span(text, "1. Rà soát"), level=1)
        ],
        tasks=[
            Task(
                text=task_text,
                span=_span(text, task_text),
                section="1",
                roles=[lead_mention, coord_mention],
                due=PartialDate(year=due[0], month=due[1], day=due[2]) if due else None,
                milestones=[
                    Milestone(text="trong tháng 3 năm 2022", span=due_span, due=PartialDate(year=2022, month=3))
                ],
                flags=["due_before_issue"],
            )
        ],
        targets=[
            Target(
                text=target_sentence,
                span=_span(text, target_sentence),
                indicator="Tỷ lệ đô thị hóa",
                year=2025,
                min=30,
                max=30,
                unit="%",
                qualifier="khoảng",
                task=0,
            ),
            Target(
                text="40% vào năm 2030",
                span=_span(text, "40% vào năm 2030"),
                indicator="Tỷ lệ đô thị hóa",
                year=2030,
                min=40,
                max=40,
                unit="%",
            ),
        ],
        agencies=[lead_mention, coord_mention],
        dates=[
            TimeExpression(
                text=text[slice(*due_span)],
                span=due_span,
                start=PartialDate(year=2022, month=3),
                end=PartialDate(year=2022, month=3),
            )
        ],
        pipeline_version="0.1.0",
    )


@pytest.fixture
def make_extraction():
    """Factory of hand-built extractions (keyword arguments vary number, dates, agencies, bytes)."""
    return build_extraction


@pytest.fixture
def engine(db_url: str):
    """An engine on a database of each kind with the schema at head, disposed after the test."""
    from kehoach.pipeline.db import make_engine, upgrade

    engine = make_engine(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()
