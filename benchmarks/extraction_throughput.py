"""Extraction throughput of this tree side by side with an earlier commit, in one run.

    .venv/bin/python benchmarks/extraction_throughput.py --against 4ec1321

Checks the earlier commit out into a temporary git worktree and times both
trees, each in a fresh process (so neither warms the other's caches), on the
same texts: the dev corpus texts bundled with the tests, read once, then
extracted ``--rounds`` times with underthesea and spaCy loaded once and the
parse cache cleared every round.  Prints documents/s, characters/s and peak
RSS for each tree.  With ``--tree DIR`` it times one tree only (what each
child process runs).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEXTS = sorted((ROOT / "tests" / "corpus" / "dev").glob("*.txt"))


def time_tree(tree: Path, files: list[Path], rounds: int) -> dict:
    sys.path.insert(0, str(tree))
    from kehoach.extractors.extract import extract
    from kehoach.extractors.nlp import parse
    from kehoach.pipeline.ingest import read_document

    parsed = [read_document(p) for p in files]
    extract(parsed[0])  # warm-up: underthesea and spaCy load once
    chars = sum(len(p.content) for p in parsed)
    started = time.perf_counter()
    for _ in range(rounds):
        parse.cache_clear()
        for document in parsed:
            extract(document)
    elapsed = (time.perf_counter() - started) / rounds
    return {
        "documents": len(parsed),
        "characters": chars,
        "seconds": elapsed,
        "docs_per_s": len(parsed) / elapsed,
        "chars_per_s": chars / elapsed,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def child(tree: Path, rounds: int) -> dict:
    command = [sys.executable, __file__, "--tree", str(tree), "--rounds", str(rounds)]
    output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=tree).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", help="an earlier commit to time beside this tree")
    parser.add_argument("--tree", type=Path, help="time this tree only and print JSON (used by the child processes)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.tree is not None:
        print(json.dumps(time_tree(args.tree.resolve(), TEXTS, args.rounds)))
        return
    rows = {"this tree": child(ROOT, args.rounds)}
    if args.against:
        worktree = Path(tempfile.mkdtemp(prefix="kehoach-bench-")) / "tree"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(worktree), args.against], check=True)
        try:
            rows[args.against] = child(worktree, args.rounds)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(worktree)], check=False)
            shutil.rmtree(worktree.parent, ignore_errors=True)
    print(f"{len(TEXTS)} dev texts, {rows['this tree']['characters']:,} characters, {args.rounds} rounds")
    print("| tree | documents/s | characters/s | peak RSS MB |")
    print("| --- | ---: | ---: | ---: |")
    for name, row in rows.items():
        print(f"| {name} | {row['docs_per_s']:.1f} | {row['chars_per_s']:,.0f} | {row['peak_rss_mb']:.0f} |")


if __name__ == "__main__":
    main()
