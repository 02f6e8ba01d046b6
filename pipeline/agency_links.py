"""What the agency registry knows about a canonical name, for storage and for timeline filters.

The registry (``extractors/agencies.py``: ``lookup``, ``successors``,
``predecessors``) belongs to the extraction side; this adapter is the one
place the database code calls it, so storage and timelines keep working
(without profiles or successor links) if it is absent or raises, and
tolerate its answers as a name, a list of names, an entry object or a dict.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any


@dataclass(frozen=True)
class AgencyProfile:
    kind: str | None = None
    level: str | None = None
    province: str | None = None
    aliases: tuple[str, ...] = field(default_factory=tuple)


@cache
def _module() -> Any | None:
    try:
        from kehoach.extractors import agency_registry as agencies  # the registry alone: no grammar, no matcher
    except ImportError:
        return None
    return agencies


def _names(value: Any) -> list[str]:
    """Normalise a registry answer (None, a name, an entry, or an iterable of those) to names."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        name = value.get("name") or value.get("canonical")
        return [name] if isinstance(name, str) else []
    name = getattr(value, "name", None) or getattr(value, "canonical", None)
    if isinstance(name, str):
        return [name]
    if isinstance(value, Iterable):
        return [n for item in value for n in _names(item)]
    return []


def _call(function_name: str, name: str) -> list[str]:
    function = getattr(_module(), function_name, None)
    if function is None:
        return []
    try:
        return [n for n in _names(function(name)) if n != name]
    except Exception:  # noqa: BLE001 - unknown names may raise KeyError in the registry
        return []


def successors(name: str) -> list[str]:
    """Agencies that took over ``name``'s duties (empty when the registry is absent or silent)."""
    return _call("successors", name)


def predecessors(name: str) -> list[str]:
    """Agencies whose duties ``name`` took over."""
    return _call("predecessors", name)


def _entry(name: str) -> Any | None:
    lookup = getattr(_module(), "lookup", None)
    if lookup is None:
        return None
    try:
        return lookup(name)
    except Exception:  # noqa: BLE001 - a name the registry cannot parse has no profile
        return None


def _field(entry: Any, key: str) -> Any:
    return entry.get(key) if isinstance(entry, dict) else getattr(entry, key, None)


def profile(name: str) -> AgencyProfile:
    """Kind, level, province and aliases of ``name`` as the registry records them."""
    entry = _entry(name)
    if entry is None:
        return AgencyProfile()
    aliases = _field(entry, "aliases") or ()
    if isinstance(aliases, str):
        aliases = (aliases,)
    if _field(entry, "name") not in (None, name):  # the registry knows ``name`` as another body's alias
        return AgencyProfile()
    text_or_none = lambda value: value if isinstance(value, str) and value else None  # noqa: E731
    return AgencyProfile(
        kind=text_or_none(_field(entry, "kind")),
        level=text_or_none(_field(entry, "level")),
        province=text_or_none(_field(entry, "province")),
        aliases=tuple(a for a in aliases if isinstance(a, str) and a and a != name),
    )
