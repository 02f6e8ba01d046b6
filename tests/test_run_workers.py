"""Worker processes of ``ingest``: they share the cores with their OCR and take the longest jobs first."""

from __future__ import annotations

import os
import shutil
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from kehoach.pipeline import pool as run

DEV = Path(__file__).resolve().parent / "corpus" / "dev"


@pytest.mark.parametrize(("cpus", "workers", "expected"), [(2, 1, 2), (2, 2, 1), (4, 2, 2), (2, 8, 1), (None, 1, 1)])
def test_run_ocr_share_divides_the_cpus(
    monkeypatch: pytest.MonkeyPatch, cpus: int | None, workers: int, expected: int
) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: cpus)
    assert run.ocr_processes_per_worker(workers) == expected


def test_run_ocr_share_names_the_ocr_pools_variable() -> None:
    from kehoach.pipeline.ingest import ocr_pool

    assert run.OCR_PROCESSES_VARIABLE == ocr_pool.WORKERS_VARIABLE


def test_run_init_worker_sets_ocr_share_unless_user_did(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(run.OCR_PROCESSES_VARIABLE, raising=False)
    run.init_worker(1)
    assert os.environ[run.OCR_PROCESSES_VARIABLE] == "1"
    monkeypatch.setenv(run.OCR_PROCESSES_VARIABLE, "3")
    run.init_worker(1)
    assert os.environ[run.OCR_PROCESSES_VARIABLE] == "3"


def test_run_pool_takes_largest_files_first(tmp_path: Path) -> None:
    """One worker handles its queue in order, so results come back in submission order: largest first."""
    sources = sorted(DEV.glob("*.txt"), key=lambda p: p.stat().st_size)
    picked = [sources[0], sources[-1], sources[len(sources) // 2]]  # given small, large, middle
    paths = [str(shutil.copy(source, tmp_path / source.name)) for source in picked]
    results = list(run._extract_in_pool(paths, 1))
    assert all(extraction is not None for _, extraction, _, _ in results), results
    order = [path for path, *_ in results]
    assert order == sorted(paths, key=lambda p: -Path(p).stat().st_size)


def _loaded(name: str) -> bool:
    """Run in a worker: whether ``name`` was imported there before any document."""
    return name in sys.modules


def test_run_workers_start_with_readers_and_extractors_loaded() -> None:
    """Workers fork from a server that imported the readers and extractors once (not a spawn per worker)."""
    with ProcessPoolExecutor(max_workers=1, mp_context=run._pool_context(), initializer=run.init_worker) as pool:
        assert pool.submit(os.getppid).result() != os.getpid()  # a child of the fork server, not of this process
        for module in ("kehoach.extractors.extract", "kehoach.pipeline.ingest.pdf"):
            assert pool.submit(_loaded, module).result(), module
