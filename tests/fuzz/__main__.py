"""The long fuzz run: ``.venv/bin/python -m tests.fuzz --count 5000 --seed 7 [--save tests/data/fuzz_regressions]``.

Prints the outcomes by strategy and every bug (undocumented error, broken span, dead worker, hang);
``--save DIR`` writes each buggy input there, where ``tests/fuzz/test_fuzz.py`` replays it for ever.
Exit 1 if there was a bug.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tests.fuzz.harness import run_mutants, table
from tests.fuzz.mutations import mutants


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--save", type=Path, help="folder to write the inputs that found a bug into")
    args = parser.parse_args()
    began = time.perf_counter()
    generated = list(mutants(args.count, args.seed))
    outcomes = run_mutants(generated, args.workers)
    print(table(outcomes))
    bugs = [outcome for outcome in outcomes if outcome.bug]
    print(f"\n{len(outcomes)} inputs in {time.perf_counter() - began:.0f} s, {len(bugs)} bugs (seed {args.seed})")
    by_name = {mutant.name: mutant for mutant in generated}
    for bug in bugs:
        print(f"BUG {bug.name}: {bug.kind}: {bug.message}")
        if args.save:
            args.save.mkdir(parents=True, exist_ok=True)
            (args.save / bug.name).write_bytes(by_name[bug.name].data)
    return 1 if bugs else 0


if __name__ == "__main__":
    sys.exit(main())
