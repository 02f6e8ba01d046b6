"""``kehoach review`` and ``kehoach review export-gold`` as a user runs them: one-line errors, gold that scores."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.review.conftest import KEHOACH, RAW, make_client, score


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*KEHOACH, *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--host", "0.0.0.0"], "refusing to serve on 0.0.0.0 without a token"),
        (["--host", "192.168.1.20", "--token", "short"], "at least 16 characters"),
        (["--read-only", "--db", "{tmp}/missing.db"], "no database at"),
        (["--db", "{tmp}/not-a-database.db"], "file is not a database"),
        (["--db", "postgresql://nobody@127.0.0.1:1/kehoach"], "cannot open postgresql+psycopg://nobody@127.0.0.1:1"),
    ],
)
def test_review_cli_refuses_with_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "not-a-database.db").write_text("not sqlite", encoding="utf-8")
    done = _run("review", *(a.replace("{tmp}", str(tmp_path)) for a in args), "--port", "1")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and message in done.stderr and "Traceback" not in done.stderr


def test_review_export_gold_of_an_unreviewed_plan_scores_the_extractor_perfectly(
    sqlite_url: str, tmp_path: Path
) -> None:
    """The gold format is right when the extractor, scored against its own unreviewed output, is perfect."""
    nothing = _run("review", "export-gold", str(tmp_path / "none"), "--db", sqlite_url)
    assert nothing.returncode == 0 and "nothing written" in nothing.stderr
    gold = tmp_path / "gold"
    done = _run("review", "export-gold", str(gold), "--db", sqlite_url, "--all")
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in gold.glob("*.json"))
    assert names == sorted(f"{p.name}.json" for p in RAW.iterdir())
    sample = json.loads((gold / "002_bd6398dc606c56db.txt.json").read_text(encoding="utf-8"))
    with make_client(sqlite_url, read_only=True) as client:  # the plan page's download is the same file
        document_id = client.get("/", params={"q": "122/KH-UBND"}).text.split('href="/plans/')[1].split('"')[0]
        download = client.get(f"/plans/{document_id}/gold.json")
    assert download.json() == sample and "002_bd6398dc606c56db.txt.json" in download.headers["content-disposition"]
    assert sample["document"]["number"] == "122/KH-UBND" and len(sample["tasks"]) > 30
    assert all(set(task) >= {"anchor", "lead", "coordinating", "start", "due"} for task in sample["tasks"])
    pred = tmp_path / "pred"
    text_plans = sorted(RAW.glob("*.txt"))
    subprocess.run([*KEHOACH, "extract", *map(str, text_plans), "--out", str(pred)], check=True, capture_output=True)
    for stale in set(gold.glob("*.json")) - {gold / f"{p.name}.json" for p in text_plans}:
        stale.unlink()  # score the text renderings only (the others need their own predictions)
    overall = score(gold, pred)
    assert overall["task_f1"] == 1.0 and overall["target_f1"] == 1.0 and overall["grounding"] == 1.0
    assert overall["due_acc"] == 1.0 and overall["fields_acc"] == 1.0


def test_review_export_gold_names_files_as_extract_does(tmp_path: Path) -> None:
    """Two plans with one file name: gold and prediction files still pair up (a path hash each)."""
    from tests.review.conftest import ingest

    url = f"sqlite:///{tmp_path / 'two.db'}"
    plans = []
    for folder, source in (("a", "000_8544ea3e62a3c3aa.txt"), ("b", "004_0e992517d986f7c1.txt")):
        plan = tmp_path / folder / "plan.txt"
        plan.parent.mkdir()
        plan.write_bytes((RAW / source).read_bytes())
        plans.append(plan)
    ingest(url, *plans)
    gold, pred = tmp_path / "gold", tmp_path / "pred"
    assert _run("review", "export-gold", str(gold), "--db", url, "--all").returncode == 0
    subprocess.run([*KEHOACH, "extract", *map(str, plans), "--out", str(pred)], check=True, capture_output=True)
    names = sorted(p.name for p in gold.glob("*.json"))
    assert len(names) == 2 and names == sorted(p.name for p in pred.glob("*.json"))
    assert score(gold, pred)["task_f1"] == 1.0


@pytest.mark.parametrize("args", [["--help"], ["review", "--help"], ["review", "--host", "10.0.0.1"]])
def test_review_cli_costs_nothing_until_it_serves(tmp_path: Path, args: list[str]) -> None:
    """The other commands, and review's own help and refusals, never import the web stack."""
    from tests.test_startup import probe

    _code, packages = probe(args, tmp_path)
    assert not packages & {"fastapi", "starlette", "uvicorn", "jinja2", "pypdfium2"}


def test_review_cli_busy_port_is_one_line(sqlite_url: str) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = _run("review", "--db", sqlite_url, "--port", str(port))
    assert done.returncode == 2
    assert done.stderr.strip() == f"kehoach: cannot listen on 127.0.0.1:{port}: Address already in use"
