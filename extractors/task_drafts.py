"""The draft of a task between segmentation and role assignment, and the cue-word tables both read.

Segmentation (``extractors.tasks`` for the outline and prose,
``extractors.table_tasks`` for tables) decides which text is one task and
which spans carry its agencies and dates; role assignment then reads those
spans.  The draft is the hand-over between the two, so it lives apart from
both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from kehoach.extractors.resources import load_json
from kehoach.models.document import AgencyMention, Role, Span


@lru_cache(maxsize=1)
def rules() -> dict[str, Any]:
    """The cue words of ``resources/task_rules.json`` (its ``description`` explains each table)."""
    return load_json("task_rules.json")


@dataclass
class Draft:
    """A task before its roles and dates are read."""

    span: Span
    section: str
    page: int | None
    role_spans: list[Span] = field(default_factory=list)
    """Spans read with the inline cue rules."""
    fixed_roles: list[tuple[Span, Role]] = field(default_factory=list)
    """Spans whose every agency takes one role (a table column, a field)."""
    inherited: list[AgencyMention] = field(default_factory=list)
    """Agencies the task takes when it names no lead of its own (a heading, a lead-in, an addressee)."""
    time_spans: list[Span] = field(default_factory=list)
    milestone_spans: list[Span] = field(default_factory=list)
    order: int = 0
    rule: str = "task.list_item"
    """Stable id of the segmentation rule that made this a task."""
    inherited_times: list[Span] = field(default_factory=list)
    """Time expressions of a lead-in that date the task when its own text gives none."""
