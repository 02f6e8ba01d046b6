"""``kehoach extract FILE --explain``: why each task has the agencies, dates and targets it has.

An analyst who sees "Sở Xây dựng" as the lead of a task must be able to see
the words that made it so: the mention as written, where it is, the rule
that recognised the body and the rule that gave it its role.  The same for
the due date (the expression chosen and the rule that chose it) and for the
targets inside the task.  The output is plain text meant for reading, in
document order.
"""

from __future__ import annotations

from kehoach.models.document import Extraction, Task

_TEXT_WIDTH = 160


def _short(text: str, width: int = _TEXT_WIDTH) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _roles(task: Task) -> list[str]:
    lines = []
    for role in ("lead", "coordinating"):
        for mention in (m for m in task.roles if m.role == role):
            registry = "" if mention.registered else ", not in the registry"
            lines.append(
                f"    {role}: {mention.name}  ← {mention.rule or 'rule?'}{registry}; "
                f"written «{_short(mention.text, 60)}» at {list(mention.span)}"
            )
    if not lines:
        lines.append("    lead: (none named)")
    return lines


def _dates(task: Task, content: str) -> list[str]:
    if task.due is None and task.start is None and task.recurrence is None:
        return ["    due: (no date)"]
    window = task.due.iso() if task.due else "?"
    if task.start is not None:
        window = f"{task.start.iso()} → {window}"
    written = ""
    if task.due_span is not None:
        written = f"; written «{_short(content[task.due_span[0] : task.due_span[1]], 60)}» at {list(task.due_span)}"
    recurrence = f", recurs {task.recurrence}" if task.recurrence else ""
    return [f"    due: {window}{recurrence}  ← {task.due_rule or 'rule?'}{written}"]


def explain(extraction: Extraction) -> str:
    """The explanation of one document's extraction, as text."""
    meta = extraction.document
    head = " ".join(
        part
        for part in (meta.doc_type, meta.number, meta.issuer, meta.issued_date.iso() if meta.issued_date else None)
        if part
    )
    out = [f"== {extraction.source.path}: {head or 'no letterhead read'}", f"   {len(extraction.tasks)} tasks"]
    targets_by_task: dict[int, list[str]] = {}
    for target in extraction.targets:
        value = target.min if target.min == target.max else f"{target.min}–{target.max}"
        line = (
            f"    target: {target.indicator} = {target.qualifier + ' ' if target.qualifier else ''}{value} "
            f"{target.unit or ''} ({target.year or 'no year'})  ← {target.rule or 'rule?'}"
        )
        targets_by_task.setdefault(target.task if target.task is not None else -1, []).append(line)
    for index, task in enumerate(extraction.tasks):
        page = f" p.{task.page}" if task.page else ""
        out.append(f"[{index + 1}] {task.section or '-'}{page} {list(task.span)}  ← {task.rule or 'rule?'}")
        out.append(f"    «{_short(task.text)}»")
        out.extend(_roles(task))
        out.extend(_dates(task, extraction.content))
        out.extend(targets_by_task.get(index, []))
        if task.flags:
            out.append(f"    flags: {', '.join(task.flags)}")
    if targets_by_task.get(-1):
        out.append("targets outside tasks:")
        out.extend(targets_by_task[-1])
    return "\n".join(out)
