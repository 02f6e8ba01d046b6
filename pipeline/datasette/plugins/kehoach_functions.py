"""Datasette plugin (loaded by ``kehoach serve`` with ``--plugins-dir``): kehoach's folding as SQL functions.

SQLite folds ASCII only, so the canned queries cannot compare "Sở Xây dựng" with
``agencies.name_folded`` or build an accent-insensitive MATCH by themselves.  These
functions are the same Python code the command line uses:

- ``fold(text)``: no diacritics, đ→d, lower case, single spaces (``models.schema.fold``);
- ``kehoach_match(words)``: the FTS5 MATCH expression ``kehoach search`` sends for ``words``
  (quoted phrases, ``word*`` prefixes, punctuation dropped), so no input is a syntax error.
"""

from __future__ import annotations

from datasette import hookimpl
from kehoach.models.schema import fold
from kehoach.pipeline.search import fts5_query, parse


def kehoach_match(words: str | None) -> str:
    terms = parse(words or "")
    return fts5_query(terms) if terms else '""'  # matches nothing, instead of an FTS5 syntax error


@hookimpl
def prepare_connection(conn) -> None:  # noqa: ANN001 - sqlite3.Connection
    conn.create_function("fold", 1, fold, deterministic=True)
    conn.create_function("kehoach_match", 1, kehoach_match, deterministic=True)
