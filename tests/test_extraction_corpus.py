"""Extraction quality on the whole dev corpus, scored by the project's scorer against the gold.

Every bundled document with gold is scored at once (texts of ministries,
the Government, party committees, People's Councils and several provinces,
and the original PDF, DOCX and DOC files), as issue 7 asks.  The test fails
when a total drops below the floors, when one document's lead F1 falls under
0.80 without a written reason, or when a binary rendering of a plan scores
below its text.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from kehoach.extractors.extract import extract
from kehoach.pipeline.ingest import read_document

from tests.conftest import DEV, DEV_BIN, GOLD, REAL
from tests.eval import score

FLOORS = {
    "task_f1": 0.95,
    "lead_f1": 0.93,
    "coord_f1": 0.90,
    "due_acc": 0.93,
    "target_f1": 0.90,
    "ref_f1": 0.95,
    "fields_acc": 0.93,
    "grounding": 1.0,
}
DOCUMENT_LEAD_FLOOR = 0.80
LOW_LEAD_REASONS: dict[str, str] = {
    "laocai-cv-2449-cv-du-2026-trien-khai-ctr-104-ctr-tu.txt": (
        "party letter with 6 tasks: item 2's heading names 'các cơ quan chuyên trách tham mưu, giúp việc Đảng ủy' with "
        "a bare owner ('Đảng ủy', the issuer itself) that the grammar does not link, and its paragraph opens with a "
        "subject of its own ('Các cấp ủy, tổ chức đảng') that the gold replaces by the heading's bodies"
    ),
}
"""Documents allowed under DOCUMENT_LEAD_FLOOR, each with the reason (see the closing note of issue 7)."""

RENDERINGS = [
    (DEV / "lamdong-cv-ubnd-nc-2025-cai-thien-chi-so-par-sipas-papi-pci.txt", REAL / ".docx"),
    (DEV / "lamdong-kh-ubnd-2026-kiem-tra-cchc.txt", REAL / ".docx"),
    (DEV / "lamdong-tb-ubnd-2026-ket-luan-hoi-nghi-cchc.txt", REAL / ".docx"),
    (DEV / "laocai-kh-sct-2026-kiem-tra-cap-gcn-vlncn-28-don-vi.txt", REAL / ".docx"),
    (DEV / "lamdong-kh-ubnd-2026-pcmt-xa-phuong-dac-khu-khong-ma-tuy.txt", REAL / ".doc"),
    (DEV / "000_8544ea3e62a3c3aa.txt", DEV_BIN / ".docx"),
    (DEV / "000_8544ea3e62a3c3aa.txt", DEV_BIN / ".pdf"),
    (DEV / "003_3286ee62c434ea9b.txt", DEV_BIN / ".docx"),
    (DEV / "003_3286ee62c434ea9b.txt", DEV_BIN / ".pdf"),
]
"""(text, folder/suffix of its binary rendering): the rendering must score at least as its text."""


def _tally(gold_file: Path, pred_dir: Path) -> score.Tally:
    gold = json.loads(gold_file.read_text(encoding="utf-8"))
    pred_file = pred_dir / gold_file.name
    pred = json.loads(pred_file.read_text(encoding="utf-8")) if pred_file.exists() else {}
    tally = score.Tally()
    score.score_document(gold, pred, tally)
    return tally


def _score(pred_dir: Path, gold_files: list[Path]) -> tuple[dict, dict[str, dict]]:
    total = score.Tally()
    per_document = {}
    for gold_file in gold_files:
        tally = _tally(gold_file, pred_dir)
        per_document[gold_file.name] = score.summary(tally)
        for key, value in tally.c.items():
            total.add(key, value)
    return score.summary(total), per_document


def _write(path: Path, out: Path, name: str) -> None:
    payload = extract(read_document(path)).to_contract()
    (out / f"{name}.json").write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")


def _corpus_files() -> list[Path]:
    files = sorted(DEV.glob("*.txt"))
    files += sorted(p for p in REAL.iterdir() if p.suffix in (".pdf", ".docx", ".doc"))
    return [p for p in files if (GOLD / f"{p.name}.json").exists()]


@pytest.fixture(scope="module")
def corpus_scores(tmp_path_factory) -> tuple[dict, dict[str, dict]]:
    out = tmp_path_factory.mktemp("pred")
    files = _corpus_files()
    for path in files:
        _write(path, out, path.name)
    return _score(out, [GOLD / f"{p.name}.json" for p in files])


def test_corpus_covers_every_document_with_gold():
    assert len(_corpus_files()) == len(list(GOLD.glob("*.json")))


@pytest.mark.slow
@pytest.mark.parametrize("metric", sorted(FLOORS))
def test_extraction_corpus_meets_floor(corpus_scores, metric):
    totals, _ = corpus_scores
    assert totals[metric] >= FLOORS[metric], totals


@pytest.mark.slow
def test_no_document_leads_badly_without_a_reason(corpus_scores):
    _, per_document = corpus_scores
    low = {
        name: scores["lead_f1"]
        for name, scores in per_document.items()
        if scores["lead_f1"] < DOCUMENT_LEAD_FLOOR and name.removesuffix(".json") not in LOW_LEAD_REASONS
    }
    assert not low, low


@pytest.mark.slow
@pytest.mark.parametrize(("text", "rendering"), RENDERINGS, ids=lambda p: p.name)
def test_extraction_renderings_score_as_their_text(tmp_path, text, rendering):
    """A binary rendering is scored against the gold of its text (named like the text file)."""
    binary = rendering.parent / f"{text.stem}{rendering.name}"
    gold_dir = tmp_path / "gold"
    gold_dir.mkdir()
    shutil.copy(GOLD / f"{text.name}.json", gold_dir)
    text_out, binary_out = tmp_path / "text", tmp_path / "binary"
    text_out.mkdir()
    binary_out.mkdir()
    _write(text, text_out, text.name)
    _write(binary, binary_out, text.name)
    gold_files = list(gold_dir.glob("*.json"))
    text_scores, _ = _score(text_out, gold_files)
    binary_scores, _ = _score(binary_out, gold_files)
    for metric in ("task_f1", "lead_f1", "coord_f1", "due_acc", "target_f1"):
        assert binary_scores[metric] >= text_scores[metric], (metric, binary_scores, text_scores)
