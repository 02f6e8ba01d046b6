"""Run inputs through ``read_document`` and ``extract`` in supervised worker processes and judge each outcome.

The readers' contract, for any bytes at all: within the time limit, either a document whose every
span is exact (``content[span] == text`` for every table cell, task, target, reference, date and
agency mention; every block's span inside the content and not blank), or one of the documented
errors (:data:`DOCUMENTED`).  Anything else is a bug: an undocumented exception, a broken span, a
worker that died (segfault, abort) or a hang.

Inputs run in the worker processes ``ingest`` uses (:mod:`kehoach.pipeline.supervisor`, memory
capped, killed at the time limit), so a crash or a hang costs one input, is reported as such, and
the run goes on.

    .venv/bin/python -m tests.fuzz --count 5000 --seed 7 --workers 2 --save tests/data/fuzz_regressions
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from kehoach.pipeline.limits import Limits, time_message

from tests.fuzz.mutations import Mutant

DOCUMENTED = frozenset(
    {
        "IngestError",
        "EmptyDocumentError",
        "UnsupportedFormatError",
        "DamagedFileError",
        "EncryptedFileError",
        "MissingDependencyError",
        "LimitExceededError",
        "TimeLimitExceeded",
        "MemoryLimitExceeded",
    }
)
"""Error classes a reader may end with (``pipeline/errors.py``, ``pipeline/limits.py``): each is one clear line."""
FUZZ_LIMITS = Limits(max_seconds=120.0, max_memory=2 << 30)
"""Per input: far above what a corpus-sized file needs (~1 s, ~200 MB, a legacy .doc ~15 s of LibreOffice), so
hitting one means a hang or a bomb.  120 s, not 30: on a machine shared by many (load 8 on 2 cores) a 2-second
mutant took over 30 s, and a hang is caught either way."""


def span_problems(document, extraction) -> list[str]:  # noqa: ANN001 - ParsedDocument, Extraction
    """Every place where a span does not give back its text (empty: the provenance invariant holds)."""
    content = document.content
    problems: list[str] = []
    for number, block in enumerate(document.blocks):
        start, end = block.span
        if not 0 <= start < end <= len(content) or not content[start:end].strip():
            problems.append(f"block {number} span {block.span} is outside the content or blank")
        for cell in block.cells:
            if content[cell.span[0] : cell.span[1]] != cell.text:
                problems.append(f"block {number} cell {cell.span}: {cell.text[:40]!r}")
    items = [*extraction.tasks, *extraction.targets, *extraction.references, *extraction.dates, *extraction.agencies]
    items += [milestone for task in extraction.tasks for milestone in task.milestones]
    items += [role for task in extraction.tasks for role in task.roles]
    for item in items:
        if extraction.content[item.span[0] : item.span[1]] != item.text:
            problems.append(f"{type(item).__name__} {item.span}: {item.text[:40]!r}")
    if extraction.content != content:
        problems.append("the extraction's content differs from the document's")
    return problems


def init_fuzz_worker(batch_pid: int) -> None:
    """A pool worker without OCR: a mutant that loses its text layer would otherwise spend Tesseract's
    seconds per page (8 pages: 24 s), which is OCR working, not a parser hanging.  Such pages are then
    left out with a warning, or the file fails with MissingDependencyError (documented), as on a
    machine without Tesseract."""
    from kehoach.pipeline.ingest import ocr
    from kehoach.pipeline.pool import init_worker

    init_worker(1, batch_pid)
    logging.getLogger("pdfminer").setLevel(logging.ERROR)  # its warnings on every damaged file are noise here
    ocr.missing_ocr = lambda: "OCR is switched off while fuzzing"  # type: ignore[assignment]


def check(path: str, limits: Limits = FUZZ_LIMITS) -> tuple[str, str | None, str | None, str | None]:
    """Runs in a worker: (path, "document", None, None), or (path, None, error class, message)."""
    from kehoach.extractors.extract import extract
    from kehoach.pipeline.errors import KehoachError
    from kehoach.pipeline.ingest import read_document
    from kehoach.pipeline.limits import memory_cap, memory_message

    try:
        with memory_cap(limits.max_memory):
            document = read_document(path, limits=limits)
            extraction = extract(document)
            problems = span_problems(document, extraction)
    except KehoachError as exc:
        return path, None, type(exc).__name__, getattr(exc, "reason", None) or str(exc)
    except MemoryError:
        return path, None, "MemoryLimitExceeded", memory_message(limits)
    except BaseException as exc:  # noqa: BLE001 - the finding itself
        return path, None, type(exc).__name__, (str(exc) or repr(exc))[:300]
    if problems:
        return path, None, "SpanMismatch", f"{len(problems)} spans: " + "; ".join(problems[:3])
    return path, "document", None, None


@dataclass
class Outcome:
    name: str
    kind: str
    """``document``, a documented error class, or the bug: an undocumented class, SpanMismatch,
    WorkerKilled or TimeLimitExceeded (a hang)."""
    message: str | None

    @property
    def bug(self) -> bool:
        return self.kind != "document" and (self.kind not in DOCUMENTED or self.kind == "TimeLimitExceeded")


def run_files(paths: Iterable[Path], workers: int = 2, limits: Limits = FUZZ_LIMITS) -> list[Outcome]:
    """Judge each file in ``workers`` supervised processes, killed at ``limits.max_seconds``."""
    from kehoach.pipeline.pool import WORKER_PRELOAD
    from kehoach.pipeline.supervisor import Supervisor

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([*WORKER_PRELOAD, "tests.fuzz.harness"])
    supervisor = Supervisor(
        context,
        workers,
        check,
        (limits,),
        initializer=init_fuzz_worker,
        initargs=(os.getpid(),),
        max_seconds=limits.max_seconds,
        timeout_message=time_message,
    )
    outcomes = []
    for path, document, error, message in supervisor.run([str(p) for p in paths]):
        outcomes.append(Outcome(Path(path).name, document or error or "Error", message))
    return sorted(outcomes, key=lambda outcome: outcome.name)


def run_mutants(mutants: Iterable[Mutant], workers: int = 2, limits: Limits = FUZZ_LIMITS) -> list[Outcome]:
    with tempfile.TemporaryDirectory(prefix="kehoach-fuzz-") as folder:
        paths = []
        for mutant in mutants:
            path = Path(folder) / mutant.name
            path.write_bytes(mutant.data)
            paths.append(path)
        return run_files(paths, workers, limits)


def table(outcomes: list[Outcome]) -> str:
    """Outcomes by strategy (the middle part of the name) and kind, as Markdown."""
    counts = Counter((outcome.name.split(".")[-3], outcome.kind) for outcome in outcomes)
    lines = ["| strategy | outcome | inputs |", "| --- | --- | ---: |"]
    lines += [f"| {strategy} | {kind} | {n} |" for (strategy, kind), n in sorted(counts.items())]
    return "\n".join(lines)
