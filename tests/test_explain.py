"""``kehoach extract --explain`` and the rule ids it shows, on a real conclusion notice."""

from __future__ import annotations

import json
from pathlib import Path

from kehoach.pipeline.cli import app
from typer.testing import CliRunner

DEV = Path(__file__).parent / "corpus" / "dev"
NOTICE = DEV / "lamdong-tb-ubnd-2026-ket-luan-hoi-nghi-cchc.txt"


def test_explain_shows_each_task_with_the_rule_and_words_behind_its_lead():
    result = CliRunner().invoke(app, ["extract", str(NOTICE), "--explain"])
    assert result.exit_code == 0, result.output
    blocks = result.output.split("\n[")
    reviewed = next(b for b in blocks if "Tổ chức rà soát toàn bộ hệ thống văn bản" in b)
    assert "← task.list_item" in reviewed
    assert "lead: Sở Tư pháp  ← role.lead_in" in reviewed
    assert "written «Sở Tư pháp»" in reviewed


def test_json_carries_the_rule_ids_of_tasks_and_roles(tmp_path):
    result = CliRunner().invoke(app, ["extract", str(NOTICE), "--json", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    payload = json.loads((tmp_path / f"{NOTICE.name}.json").read_text(encoding="utf-8"))
    assert all(task["rule"] and task["rule"].startswith("task.") for task in payload["tasks"])
    role_rules = {m["rule"] for task in payload["tasks"] for m in task["mentions"]}
    assert role_rules and all(rule.startswith("role.") for rule in role_rules)
