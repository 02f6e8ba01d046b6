"""The rule tables (JSON data files) behind the extractors, read from the installed package."""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any


def load_json(name: str) -> Any:  # noqa: ANN401 - each table has its own shape
    """One table by file name; callers cache it (each is read once per process)."""
    return json.loads(files(__package__).joinpath(name).read_text(encoding="utf-8"))
