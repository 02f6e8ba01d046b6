"""Accent-insensitive full-text search over task text, on SQLite (FTS5) and PostgreSQL (tsvector).

The index is built by migration 0005 (see there for both backends).  The query
is folded here the way the index folds the text (no diacritics, đ→d, lower
case: :func:`fold`, the form of ``models.schema.fold``), split into words and rebuilt in the
backend's own syntax from those words only, so no input can be an FTS5 or
tsquery syntax error:

- ``ke hoach`` finds every task holding both words, in any order, with or
  without diacritics (``kế hoạch``, ``KẾ HOẠCH``);
- ``"dau tu cong"`` in double quotes finds the words next to each other;
- ``quy hoach*`` ending a word with ``*`` finds any word it begins.

Hits come from ``v_timeline``, so a plan kept in several renderings (TXT, DOCX,
PDF) answers once, and best matches first (bm25 on SQLite, ts_rank on PostgreSQL).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kehoach.models.text_forms import fold_diacritics
from sqlalchemy import Engine, text

SEARCH_COLUMNS = ["task_id", "plan", "lead", "due_text", "text"]
DEFAULT_LIMIT = 20
_TERM = re.compile(r'"([^"]*)"?|(\S+)')
_WORD = re.compile(r"[^\W_]+")  # letters and digits: what FTS5 and kehoach_fold keep as words


def fold(text: str) -> str:
    """``models.schema.fold`` (no diacritics, đ→d, lower case, single spaces) without loading the ORM it lives with."""
    return " ".join(fold_diacritics(text).split())


class SearchError(Exception):
    """A query with nothing to search for, or a database without the search index (one line for the user)."""


@dataclass(frozen=True)
class Term:
    """Words to find next to each other (one word for a plain term); ``prefix``: the last may begin a word."""

    words: tuple[str, ...]
    prefix: bool = False


def parse(query: str) -> list[Term]:
    """The folded terms of ``query``: quoted phrases, words, ``word*`` prefixes; punctuation is dropped."""
    terms: list[Term] = []
    for match in _TERM.finditer(query):
        phrase, bare = match.groups()
        folded = fold(phrase if phrase is not None else bare) or ""
        words = tuple(_WORD.findall(folded))
        if not words:
            continue
        if phrase is not None:
            terms.append(Term(words))
        else:  # "06-NQ/TW" is three words that must all be there; "hoach*" a prefix
            terms.extend(Term((word,)) for word in words[:-1])
            terms.append(Term((words[-1],), prefix=bare.endswith("*")))
    return terms


def fts5_query(terms: list[Term]) -> str:
    """The FTS5 MATCH expression: every term (AND), each a quoted phrase, ``*`` for a prefix."""
    return " ".join('"' + " ".join(t.words) + '"' + ("*" if t.prefix else "") for t in terms)


def tsquery(terms: list[Term]) -> str:
    """The PostgreSQL ``to_tsquery('simple', …)`` text: terms joined by ``&``, phrase words by ``<->``."""
    parts = []
    for term in terms:
        words = list(term.words)
        if term.prefix:
            words[-1] += ":*"
        parts.append("(" + " <-> ".join(words) + ")" if len(words) > 1 else words[0])
    return " & ".join(parts)


_SQLITE = """
    SELECT v.task_id, v.plan, v.lead, v.due_text, v.text
    FROM task_search s JOIN v_timeline v ON v.task_id = s.rowid
    WHERE task_search MATCH :q
    ORDER BY bm25(task_search), v.task_id
    LIMIT :limit
"""
_POSTGRES = """
    SELECT v.task_id, v.plan, v.lead, v.due_text, v.text
    FROM tasks k JOIN v_timeline v ON v.task_id = k.id
    WHERE to_tsvector('simple', kehoach_fold(k.text)) @@ to_tsquery('simple', :q)
    ORDER BY ts_rank(to_tsvector('simple', kehoach_fold(k.text)), to_tsquery('simple', :q)) DESC, v.task_id
    LIMIT :limit
"""


def search(engine: Engine, query: str, *, limit: int = DEFAULT_LIMIT) -> tuple[list[str], list[tuple[object, ...]]]:
    """(columns, rows) of the tasks matching ``query``: task id, plan, lead, due, text; best first."""
    terms = parse(query)
    if not terms:
        raise SearchError(f"nothing to search for in {query!r}: give at least one word")
    postgres = engine.dialect.name == "postgresql"
    sql, match = (_POSTGRES, tsquery(terms)) if postgres else (_SQLITE, fts5_query(terms))
    try:
        with engine.connect() as connection:
            rows = [tuple(row) for row in connection.execute(text(sql), {"q": match, "limit": limit})]
    except Exception as exc:
        missing = "kehoach_fold" if postgres else "task_search"
        if missing in str(exc):
            raise SearchError("this database has no search index yet: run kehoach db upgrade") from exc
        raise
    return SEARCH_COLUMNS, rows


def _folded_alike(text: str) -> str:
    """``text`` folded character by character, so that positions in it are positions in ``text``."""
    out = []
    for char in text:
        folded = fold(char) or " "
        out.append(folded[0])
    return "".join(out)


def excerpt(text: str, query: str, width: int = 100) -> str:
    """One line of ``text`` around the words of ``query`` (where most of them meet), about ``width`` characters.

    For the terminal table of ``kehoach search``: the task's first words are often its lead-in,
    while the reader wants to see why the task matched.
    """
    flat = " ".join(text.split())
    if len(flat) <= width:
        return flat
    folded = _folded_alike(flat)
    hits: list[tuple[int, int]] = []  # (position, term) of every occurrence of every term
    for i, term in enumerate(parse(query)):
        pattern = r"\b" + re.escape(" ".join(term.words)) + ("" if term.prefix else r"\b")
        hits.extend((found.start(), i) for found in re.finditer(pattern, folded))
    # the window that shows the most different terms, the earliest of those
    span = width * 3 // 4

    def shown(hit: tuple[int, int]) -> tuple[int, int]:
        return len({term for position, term in hits if hit[0] <= position < hit[0] + span}), -hit[0]

    best = max(hits, key=shown, default=(0, 0))
    begin = min(max(0, best[0] - width // 4), len(flat) - width)  # a window that ends the text fills the width
    if begin:
        space = flat.find(" ", begin)
        begin = space + 1 if 0 <= space < begin + 15 else begin
    end = min(len(flat), begin + width)
    return ("…" if begin else "") + flat[begin:end] + ("…" if end < len(flat) else "")
