"""Whether a file is an administrative document at all, before any task is looked for.

A folder of plans often holds other files: a README, a list of sources, a
translation.  Reading their bullet lists as tasks would fill the database
with work nobody assigned.  An administrative document is written in
Vietnamese; a file whose words are mostly not Vietnamese syllables is
reported and yields no tasks or targets.  A Vietnamese text with no
letterhead (a news report on a plan) still counts: its prose may assign
work.
"""

from __future__ import annotations

from kehoach.models.document import ParsedDocument
from kehoach.models.syllables import vietnamese_ratio

MIN_VIETNAMESE = 0.5
"""Plans and letters score 0.95-0.99 (OCR text 0.96), English READMEs and source lists 0.2-0.4.

The text reader warns below the same share, so a refused file always carries both warnings."""


def not_administrative(parsed: ParsedDocument) -> str | None:
    """Why ``parsed`` is not an administrative document, or None when it may be one."""
    ratio = vietnamese_ratio(parsed.content)
    if ratio < MIN_VIETNAMESE:
        return (
            f"not an administrative document: only {ratio:.0%} of its words are Vietnamese syllables; "
            "no tasks or targets extracted"
        )
    return None
