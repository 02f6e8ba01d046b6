"""Extraction quality and throughput on the dev corpus, in one run.

    .venv/bin/python benchmarks/extraction_benchmark.py

Prints the scorer's figures for the dev texts and for the DOCX/PDF renderings
of 000 and 003 (scored against the gold of their text versions), then the
extraction throughput with underthesea and spaCy loaded once (documents/s
and characters/s, reading excluded) and peak memory.
"""

from __future__ import annotations

import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kehoach.extractors.extract import extract  # noqa: E402
from kehoach.extractors.nlp import parse  # noqa: E402
from kehoach.pipeline.ingest import read_document  # noqa: E402

from tests.eval import score  # noqa: E402

CORPUS = ROOT / "tests" / "corpus"
METRICS = ("task_f1", "lead_f1", "coord_f1", "due_acc", "target_f1", "ref_f1", "fields_acc", "grounding")


def score_dir(pred: Path, gold: Path) -> dict:
    total = score.Tally()
    for gold_file in sorted(gold.glob("*.json")):
        pred_file = pred / gold_file.name
        data = json.loads(pred_file.read_text(encoding="utf-8")) if pred_file.exists() else {}
        score.score_document(json.loads(gold_file.read_text(encoding="utf-8")), data, total)
    return score.summary(total)


def run_set(files: list[tuple[Path, str]], gold: Path) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for path, name in files:
            payload = extract(read_document(path)).to_contract()
            (out / f"{name}.json").write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
        return score_dir(out, gold)


def main() -> None:
    dev = sorted((CORPUS / "dev").glob("*.txt"))
    rows = {"dev (text)": run_set([(p, p.name) for p in dev], CORPUS / "gold")}
    with tempfile.TemporaryDirectory() as tmp:
        gold = Path(tmp)
        stems = ("000_8544ea3e62a3c3aa", "003_3286ee62c434ea9b")
        for stem in stems:
            shutil.copy(CORPUS / "gold" / f"{stem}.txt.json", gold)
        rows["000+003 text"] = run_set([(CORPUS / "dev" / f"{s}.txt", f"{s}.txt") for s in stems], gold)
        for suffix in (".docx", ".pdf"):
            files = [(CORPUS / "dev-bin" / f"{s}{suffix}", f"{s}.txt") for s in stems]
            rows[f"000+003 {suffix[1:].upper()}"] = run_set(files, gold)

    print("| set | " + " | ".join(METRICS) + " |")
    print("|---" * (len(METRICS) + 1) + "|")
    for name, figures in rows.items():
        print(f"| {name} | " + " | ".join(f"{figures[m]:.3f}" for m in METRICS) + " |")

    parsed = [read_document(p) for p in dev]
    extract(parsed[0])  # warm-up: underthesea and spaCy load once
    chars = sum(len(p.content) for p in parsed)
    rounds = 3
    started = time.perf_counter()
    for _ in range(rounds):
        parse.cache_clear()  # the spaCy parse is cached per text: measure real work every round
        for document in parsed:
            extract(document)
    elapsed = (time.perf_counter() - started) / rounds
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"\nextraction: {len(parsed)} documents, {chars:,} characters in {elapsed:.2f} s "
        f"= {len(parsed) / elapsed:.1f} documents/s, {chars / elapsed:,.0f} characters/s; peak RSS {peak_mb:.0f} MB"
    )


if __name__ == "__main__":
    main()
