"""Shared fixtures: paths to the corpus copies bundled with the tests."""

from __future__ import annotations

from pathlib import Path

import pytest

CORPUS = Path(__file__).parent / "corpus"
DEV = CORPUS / "dev"
DEV_BIN = CORPUS / "dev-bin"
REAL = CORPUS / "real"
GOLD = CORPUS / "gold"


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return CORPUS


@pytest.fixture(scope="session")
def dev_texts() -> list[Path]:
    return sorted(DEV.glob("*.txt"))
