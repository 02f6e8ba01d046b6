"""The command line behaves like the tools its users know (issue 8 items 4 and 11).

``--version``, ``-h``, ``-q``/``-v``, ``extract -`` from standard input, ``query --format
jsonl|tsv``, ``extract --out`` that never overwrites one input's JSON with another's,
``db current`` that creates nothing, ``--from`` checked against the calendar, and a public
Python API that is typed and documented.  Real commands (subprocesses where a terminal,
a pipe or a fresh interpreter matters) on real corpus files.
"""

from __future__ import annotations

import csv
import inspect
import io
import json
import os
import re
import subprocess
import sys
import typing
from pathlib import Path

import pytest
from kehoach.pipeline.cli import app
from kehoach.pipeline.errors import EXIT_USAGE
from typer.testing import CliRunner

import kehoach

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
TEXT = RAW / "001_2669dedac0f2a879.txt"
PDF = RAW / "000_8544ea3e62a3c3aa.pdf"


def run(*args: str, stdin: bytes | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kehoach", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("conventions") / "k.db"
    done = run("-q", "ingest", str(TEXT), str(RAW / "002_bd6398dc606c56db.txt"), "--db", str(path))
    assert done.returncode == 0, done.stderr
    return path


def test_version_matches_the_installed_package() -> None:
    from importlib.metadata import version

    done = run("--version")
    assert done.returncode == 0
    assert done.stdout.decode().strip() == f"kehoach {version('kehoach')}" == f"kehoach {kehoach.__version__}"


@pytest.mark.parametrize("command", [[], ["query"], ["db", "current"], ["export"], ["search"], ["extract"]])
def test_dash_h_is_help_everywhere(command: list[str]) -> None:
    short, long = invoke(*command, "-h"), invoke(*command, "--help")
    assert short.exit_code == long.exit_code == 0
    assert short.stdout == long.stdout and "Usage:" in short.stdout


def test_quiet_turns_the_progress_bar_off(tmp_path: Path) -> None:
    terminal = {"FORCE_COLOR": "1", "COLUMNS": "100"}  # rich draws its bar as on a terminal
    loud = run("ingest", str(TEXT), "--db", str(tmp_path / "a.db"), env=terminal)
    quiet = run("-q", "ingest", str(TEXT), "--db", str(tmp_path / "b.db"), env=terminal)
    assert loud.returncode == quiet.returncode == 0
    assert "1/1" in loud.stderr.decode()  # the bar, drawn
    assert quiet.stderr == b""
    assert b"ingested" in quiet.stdout  # the summary is data: it stays


def test_quiet_silences_notes_and_verbose_says_more(database: Path) -> None:
    sql = "SELECT task_id FROM v_tasks"
    normal = run("query", sql, "--db", str(database))
    quiet = run("-q", "query", sql, "--db", str(database))
    verbose = run("-v", "query", sql, "--db", str(database))
    assert normal.stdout == quiet.stdout == verbose.stdout
    assert b"rows" in normal.stderr and quiet.stderr == b""
    lines = verbose.stderr.decode().splitlines()
    assert any(line.startswith("kehoach: database sqlite:///") for line in lines)
    assert any(line.endswith(" s") and " rows in " in line for line in lines)


def test_extract_dash_reads_standard_input() -> None:
    for path in (TEXT, PDF):
        piped = run("extract", "-", "--json", stdin=path.read_bytes())
        named = run("extract", str(path), "--json")
        assert piped.returncode == named.returncode == 0, piped.stderr
        from_stdin, from_file = json.loads(piped.stdout), json.loads(named.stdout)
        assert from_stdin["tasks"] == from_file["tasks"] and from_stdin["tasks"]
        assert from_stdin["source"]["path"] == "-"
        assert from_stdin["source"]["sha256"] == from_file["source"]["sha256"]


def test_extract_dash_with_nothing_on_stdin_is_one_line() -> None:
    done = run("extract", "-", stdin=b"")
    assert done.returncode == 1
    assert done.stderr.decode().strip() == "kehoach: -: file is empty"


def test_extract_out_never_overwrites_inputs_with_one_name(tmp_path: Path) -> None:
    first, second = tmp_path / "a" / "plan.txt", tmp_path / "b" / "plan.txt"
    for target, source in ((first, TEXT), (second, RAW / "002_bd6398dc606c56db.txt")):
        target.parent.mkdir()
        target.write_bytes(source.read_bytes())
    out = tmp_path / "out"
    done = run("extract", str(first), str(second), str(PDF), "--out", str(out))
    assert done.returncode == 0, done.stderr
    written = sorted(p.name for p in out.iterdir())
    assert len(written) == 3 and f"{PDF.name}.json" in written  # a unique name keeps its plain name
    by_sha = {json.loads((out / name).read_text(encoding="utf-8"))["source"]["sha256"] for name in written}
    assert len(by_sha) == 3  # three inputs, three files: nothing overwritten
    notes = done.stderr.decode().splitlines()
    assert sum("another input has the same file name" in line for line in notes) == 2
    again = run("extract", str(first), str(second), "--out", str(out))  # stable names: a re-run rewrites the same
    assert sorted(p.name for p in out.iterdir()) == written and again.returncode == 0


def test_query_jsonl_and_tsv_carry_the_same_rows_as_csv(database: Path) -> None:
    sql = "SELECT task_id, document_issued_on, lead, text FROM v_tasks ORDER BY task_id"

    def output(fmt: str) -> str:
        done = run("query", sql, "--db", str(database), "--format", fmt)
        assert done.returncode == 0, done.stderr
        return done.stdout.decode()

    as_csv = list(csv.DictReader(io.StringIO(output("csv"))))
    jsonl = [json.loads(line) for line in output("jsonl").splitlines()]
    tsv_lines = output("tsv").split("\n")[:-1]
    assert len(as_csv) == len(jsonl) == len(tsv_lines) - 1 > 10
    assert tsv_lines[0].split("\t") == ["task_id", "document_issued_on", "lead", "text"]
    for row, record, line in zip(as_csv, jsonl, tsv_lines[1:], strict=True):
        cells = line.split("\t")
        assert len(cells) == 4  # tabs and newlines inside texts are escaped
        text = re.sub(r"\\(.)", lambda m: {"t": "\t", "n": "\n", "r": "\r", "\\": "\\"}[m.group(1)], cells[3])
        assert text == record["text"]
        assert record["task_id"] == int(row["task_id"]) == int(cells[0])
        assert record["text"] == row["text"]
        assert (record["lead"] or "") == row["lead"] == cells[2]
    assert any("\\n" in line for line in tsv_lines), "some task texts span lines: the escape is exercised"


def test_db_current_creates_no_file(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "none.db"
    result = invoke("db", "current", "--db", str(target))
    assert result.exit_code == 1
    assert "no database at" in result.stderr and "nothing was created" in result.stderr
    assert not target.exists() and not target.parent.exists()


def test_db_current_reads_an_existing_database(database: Path) -> None:
    result = invoke("db", "current", "--db", str(database))
    assert result.exit_code == 0 and "up to date" in result.stdout


@pytest.mark.parametrize("period", ["2026-02-30", "2025-02-29", "2026-13", "2026-04-31", "2026-00"])
def test_timeline_period_must_be_a_calendar_date(database: Path, period: str) -> None:
    result = invoke("timeline", "--from", period, "--db", str(database))
    assert result.exit_code == EXIT_USAGE
    assert result.stderr.startswith("kehoach: ") and "not a valid date" in result.stderr


def test_timeline_accepts_a_leap_day(database: Path) -> None:
    assert invoke("timeline", "--from", "2024-02-29", "--db", str(database), "--format", "csv").exit_code == 0


@pytest.mark.parametrize("name", ["read_document", "extract", "ingest"])
def test_public_api_is_typed_and_documented(name: str) -> None:
    function = getattr(kehoach, name)
    assert name in kehoach.__all__
    signature = inspect.signature(function)
    hints = typing.get_type_hints(function)  # resolves every annotation: a typo would raise here
    assert "return" in hints and hints["return"] is not type(None)
    assert all(parameter in hints for parameter in signature.parameters), (name, signature)
    assert function.__doc__ and len(function.__doc__.split()) >= 8
    assert (Path(kehoach.__file__).parent / "py.typed").is_file()


def test_extract_dash_reads_no_more_than_the_limit_for_one_file(monkeypatch: pytest.MonkeyPatch) -> None:
    from kehoach.pipeline.cli import STDIN, _read
    from kehoach.pipeline.errors import IngestError
    from kehoach.pipeline.limits import Limits

    data = TEXT.read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    with pytest.raises(IngestError, match="more than .* on standard input"):
        _read(STDIN, Limits(max_bytes=len(data) - 1))
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert _read(STDIN, Limits(max_bytes=len(data))).source.path == "-"


def test_extract_dash_on_a_terminal_says_to_pipe_a_document() -> None:
    import pty

    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "kehoach", "extract", "-"], cwd=ROOT, stdin=follower, capture_output=True, timeout=60
        )
    finally:
        os.close(leader)
        os.close(follower)
    assert done.returncode == 1  # at once, instead of waiting for a PDF to be typed
    assert done.stderr.decode().startswith("kehoach: -: standard input is a terminal")


def test_import_kehoach_loads_nothing_heavy() -> None:
    """``import kehoach`` is cheap: the API functions load the pipeline when first called."""
    probe = "import json, sys, kehoach; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    modules = set(json.loads(done.stdout))
    assert not {m.split(".")[0] for m in modules} & {"sqlalchemy", "pandas", "numpy", "pydantic", "typer", "spacy"}
    assert not {m for m in modules if m.startswith(("kehoach.pipeline", "kehoach.extractors"))}
    assert callable(kehoach.read_document) and callable(kehoach.ingest)  # and they load on first use


@pytest.mark.parametrize(
    "command", [["query", "SELECT 1"], ["timeline"], ["search", "ke hoach"], ["export", "--out", "{out}"]]
)
def test_unreachable_database_is_one_line(command: list[str], tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    args = [a.replace("{out}", str(tmp_path / "out")) for a in command]
    result = invoke(*args, "--db", f"postgresql://analyst@127.0.0.1:{port}/kehoach")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"kehoach: {command[0]} failed: ") and "refused" in lines[0]


def test_quiet_extract_keeps_errors_and_drops_warnings(tmp_path: Path) -> None:
    readme = tmp_path / "sources.txt"
    readme.write_text("List of sources\nThis folder holds the sample plans, not a plan itself.\n", encoding="utf-8")
    missing = tmp_path / "none.pdf"
    loud = run("extract", str(readme), str(missing))
    quiet = run("-q", "extract", str(readme), str(missing))
    assert loud.returncode == quiet.returncode == 4
    assert "warning: not an administrative document" in loud.stderr.decode()
    assert quiet.stderr.decode().splitlines() == [f"kehoach: {missing}: no such file or folder"]
    assert loud.stdout == quiet.stdout


def test_rows_of_any_driver_type_print_in_every_format() -> None:
    """What psycopg may hand back (UUID, interval, bytea, NUMERIC, aware times) and pandas' NULLs all print."""
    import uuid
    from datetime import UTC, date, datetime, timedelta
    from decimal import Decimal

    import numpy as np
    import pandas as pd
    from kehoach.pipeline.cli_output import write_rows

    key = uuid.UUID("12345678-1234-5678-1234-567812345678")
    row = (key, timedelta(days=1), memoryview(b"\x01\x02"), Decimal("7"), Decimal("1.5"), np.int64(3), pd.NA,
           datetime(2026, 1, 2, 3, 4, tzinfo=UTC), date(2026, 2, 28), ["Sở Xây dựng"], float("nan"), True)  # fmt: skip
    columns = [f"c{i}" for i in range(len(row))]
    outputs = {}
    for fmt in ("csv", "tsv", "json", "jsonl"):
        buffer = io.StringIO()
        assert write_rows(columns, [row], fmt, buffer) == 1
        outputs[fmt] = buffer.getvalue()
    record = json.loads(outputs["jsonl"])
    assert json.loads(outputs["json"]) == [record]
    moment = "2026-01-02T03:04:00+00:00"
    assert list(record.values()) == [
        str(key), "1 day, 0:00:00", "0102", 7, 1.5, 3, None, moment, "2026-02-28", ["Sở Xây dựng"], None, True
    ]  # fmt: skip
    cells = list(csv.reader(io.StringIO(outputs["csv"])))[1]
    assert cells == [
        str(key), "1 day, 0:00:00", "0102", "7", "1.5", "3", "", moment, "2026-02-28", '["Sở Xây dựng"]', "", "true"
    ]  # fmt: skip
    assert outputs["tsv"].splitlines()[1].split("\t") == cells


def test_very_verbose_shows_the_sql(database: Path) -> None:
    done = run("-vv", "timeline", "--from", "2020", "--db", str(database), "--format", "csv")
    assert done.returncode == 0
    lines = done.stderr.decode().splitlines()
    assert any(line.startswith("kehoach: SELECT * FROM v_timeline WHERE due_last_day >= ") for line in lines), lines
    assert not any(
        "SELECT * FROM v_timeline" in line
        for line in run("-v", "timeline", "--db", str(database)).stderr.decode().splitlines()
    )


def test_verbosity_is_per_command_in_one_process(database: Path) -> None:
    """Several commands in one process (a notebook, a test runner): each gets the verbosity it asks for."""
    first = invoke("-vv", "timeline", "--db", str(database), "--format", "csv")
    second = invoke("timeline", "--db", str(database), "--format", "csv")
    third = invoke("-v", "query", "SELECT 1", "--db", str(database), "--format", "csv")
    assert "kehoach: SELECT * FROM v_timeline" in first.stderr
    assert second.stderr == ""  # neither the SQL nor the notes of the -vv before
    assert third.stderr.startswith("kehoach: database sqlite:///") and "SELECT 1" not in third.stderr
