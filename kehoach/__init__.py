"""kehoach: Vietnamese government plans in, a queryable database out.

The public API is three functions, one per stage a user meets::

    import kehoach
    parsed = kehoach.read_document("ke-hoach-123.pdf")   # text with provenance
    extraction = kehoach.extract(parsed)                  # tasks, agencies, dates, targets
    summary = kehoach.ingest(["data/raw"], db="sqlite:///plans.db")

The code lives in ``kehoach.pipeline``, ``kehoach.extractors`` and ``kehoach.models``
(the ``pipeline/``, ``extractors/`` and ``models/`` folders of the repository, mapped under
this one import name so that a user's own ``models.py`` cannot shadow them).

Attributes load lazily: ``import kehoach`` must stay cheap for the small commands
(``query``, ``timeline``) that never touch the readers or the NLP stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kehoach.api import extract, ingest, read_document


__all__ = ["__version__", "extract", "ingest", "read_document"]


def _version() -> str:
    """The installed version; read on first use (importlib.metadata costs ~20 ms at every start-up)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kehoach")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "0+unknown"


def __getattr__(name: str) -> object:
    if name == "__version__":
        globals()["__version__"] = value = _version()
        return value
    if name in {"extract", "ingest", "read_document"}:
        from kehoach import api

        return getattr(api, name)
    raise AttributeError(f"module 'kehoach' has no attribute {name!r}")
