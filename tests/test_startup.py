"""Start-up: commands load only what they use.

Each command runs in a fresh interpreter (the test process has long since
imported everything), and the modules it left in ``sys.modules`` are read
back.  The analyst commands never need the NLP stack or the extractors;
``extract`` needs the extractors but no longer the spaCy/underthesea models;
``db current`` and ``ingest`` need no pandas.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT / "tests" / "corpus" / "dev"
NLP = {"spacy", "underthesea", "thinc", "torch"}
PROBE = """
import json, sys
sys.argv = ["kehoach", *json.loads(sys.argv[1])]
try:
    from kehoach.pipeline.cli import main
    main()
except SystemExit as exc:
    code = exc.code or 0
else:
    code = 0
sys.__stderr__.write("\\nPROBE " + json.dumps({"code": code, "modules": sorted(sys.modules)}) + "\\n")
"""


def probe(args: list[str], cwd: Path, *, full: bool = False) -> tuple[int, set[str]]:
    """(exit code, packages imported) of ``kehoach ARGS`` in a fresh interpreter.

    Packages are top-level names (``kehoach.<part>`` for ours), or every module with ``full``."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args)], cwd=cwd, capture_output=True, text=True, timeout=120
    )
    line = next(line for line in done.stderr.splitlines() if line.startswith("PROBE "))
    result = json.loads(line[len("PROBE ") :])
    modules = set(result["modules"])
    return result["code"], modules if full else {_package(name) for name in modules}


def _package(module: str) -> str:
    """The top-level package of a module, one level deeper for ours (``kehoach.extractors``)."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "kehoach" else parts[0]


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database holding one real dev plan, made by the real ingest command."""
    folder = tmp_path_factory.mktemp("startup")
    plan = min(DEV.glob("*.txt"), key=lambda p: p.stat().st_size)
    db = folder / "k.db"
    done = subprocess.run(
        [sys.executable, "-m", "kehoach", "ingest", str(plan), "--db", str(db), "--no-progress"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return db


@pytest.mark.parametrize(
    "args",
    [
        ["query", "SELECT count(*) AS n FROM v_tasks"],
        ["query", "SELECT lead, count(*) FROM v_tasks GROUP BY lead", "--format", "csv"],
        ["timeline", "--format", "csv"],
        ["export", "--format", "csv", "--out", "{out}"],
        ["db", "current"],
        ["search", "ke hoach"],
    ],
    ids=["query", "query-csv", "timeline", "export", "db-current", "search"],
)
def test_startup_analyst_commands_skip_nlp_and_extractors(args: list[str], database: Path, tmp_path: Path) -> None:
    args = [a.replace("{out}", str(tmp_path / "out")) for a in args] + ["--db", str(database)]
    code, modules = probe(args, ROOT)
    assert code in (0, 1), code  # 1: the agency may match nothing; what is asserted is what got imported
    assert not modules & NLP, sorted(modules & NLP)
    assert "kehoach.extractors" not in modules


def test_startup_timeline_by_agency_loads_the_registry_only(database: Path) -> None:
    """Following 2025 successors needs the agency registry (which lives in extractors/), nothing more."""
    args = ["timeline", "--agency", "Ủy ban nhân dân", "--format", "json", "--db", str(database)]
    code, modules = probe(args, ROOT, full=True)
    assert code == 0
    assert not {name.split(".")[0] for name in modules} & NLP
    assert "kehoach.extractors.agency_registry" in modules
    assert (
        not {
            "kehoach.extractors.extract",
            "kehoach.extractors.tasks",
            "kehoach.extractors.nlp",
            "kehoach.extractors.structure",
        }
        & modules
    )


@pytest.mark.parametrize(
    "args",
    [["db", "current"], ["query", "SELECT lead, count(*) AS n FROM v_tasks GROUP BY lead"], ["--help"]],
    ids=["db-current", "query-table", "help"],
)
def test_startup_schema_table_and_help_skip_pandas(args: list[str], database: Path) -> None:
    code, modules = probe(args if args == ["--help"] else [*args, "--db", str(database)], ROOT)
    assert code == 0
    assert not modules & {"pandas", "numpy", "kehoach.extractors", *NLP}, sorted(modules)


def test_startup_extract_loads_no_nlp_models(tmp_path: Path) -> None:
    plan = min(DEV.glob("*.txt"), key=lambda p: p.stat().st_size)
    code, modules = probe(["extract", str(plan), "--json", "--out", str(tmp_path)], ROOT)
    assert code == 0
    assert "kehoach.extractors" in modules  # it did extract ...
    assert not modules & NLP, sorted(modules & NLP)  # ... by the character matcher, without the models
    payload = json.loads((tmp_path / f"{plan.name}.json").read_text(encoding="utf-8"))
    assert payload["tasks"], "the small plan has tasks: the extraction really ran"


def test_startup_extract_small_text_under_1_5_s(tmp_path: Path) -> None:
    """Issue 9: ``kehoach extract small.txt`` under 1.5 s wall (best of three, on a shared machine)."""
    small = tmp_path / "small.txt"
    small.write_text(
        "KẾ HOẠCH\n1. Sở Xây dựng chủ trì rà soát quy hoạch, hoàn thành trong năm 2025.\n", encoding="utf-8"
    )
    kehoach = Path(sys.executable).with_name("kehoach")
    command = [str(kehoach)] if kehoach.exists() else [sys.executable, "-m", "kehoach"]
    walls = []
    for _ in range(3):
        began = time.perf_counter()
        done = subprocess.run([*command, "extract", str(small)], cwd=ROOT, capture_output=True, text=True, timeout=60)
        walls.append(time.perf_counter() - began)
        assert done.returncode == 0, done.stderr
        assert "1 tasks" in done.stdout
    assert min(walls) < 1.5, walls


SMALL_COMMANDS = [
    ["query", "SELECT lead, count(*) AS n FROM v_tasks GROUP BY lead"],
    ["query", "SELECT * FROM v_timeline", "--format", "csv"],
    ["query", "SELECT * FROM v_timeline", "--format", "json"],
    ["query", "SELECT * FROM v_timeline", "--format", "jsonl"],
    ["query", "SELECT * FROM v_timeline", "--format", "tsv"],
    ["timeline"],
    ["timeline", "--format", "csv", "--from", "2020", "--to", "2030-12-31"],
    ["timeline", "--format", "json"],
    ["search", "ke hoach", "--format", "csv"],
]
HEAVY = {"pandas", "numpy", "pyarrow", "openpyxl", "matplotlib", "plotly", "pdfplumber", "docx", "PIL", "pypdfium2"}
"""What the small commands never need: pandas, numpy and the export writers, the plotting stack, the readers'
libraries (issue 8 item 5: a query answers in well under 0.5 s of process time; benchmarks/small_commands.py)."""


@pytest.mark.parametrize("args", SMALL_COMMANDS, ids=[" ".join(a[:3]) for a in SMALL_COMMANDS])
def test_startup_small_commands_load_no_pandas_numpy_readers_or_progress(args: list[str], database: Path) -> None:
    code, modules = probe([*args, "--db", str(database)], ROOT, full=True)
    assert code == 0
    packages = {name.split(".")[0] for name in modules}
    assert not packages & (HEAVY | NLP), sorted(packages & (HEAVY | NLP))
    ours = {name for name in modules if name.startswith("kehoach.")}
    assert not {name for name in ours if name.startswith(("kehoach.pipeline.ingest", "kehoach.extractors.extract"))}
    assert "rich.progress" not in modules and "alembic.command" not in modules  # the bar and the migrations
    if not {"--agency", "--from", "--to"} & set(args):  # only a filter needs the ORM's tables and the store
        assert "sqlalchemy.orm" not in modules and "kehoach.models.schema" not in modules
