"""Read-only SQL for analysts (exports of every table and view: :mod:`pipeline.exports`).

What keeps ``kehoach query`` from changing data is the session, not the
text: :mod:`pipeline.readonly` runs the statement on a connection that
cannot write (see there for each backend).  The statement is also read here
first, only to answer the usual mistakes ("DELETE …", two statements) with a
clear message before a connection is opened; that reading is never what
makes a query safe, and what it lets through the database still refuses.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from kehoach.pipeline.readonly import QUERY_TIMEOUT_S, QueryFailed, QueryRejected, execute_read_only
from sqlalchemy import Engine

if TYPE_CHECKING:  # pandas costs ~0.3 s to import: only the functions that build frames load it
    import pandas as pd

__all__ = ["QueryFailed", "QueryRejected", "check_read_only", "run_query"]

_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$")


def _quoted_end(sql: str, start: int, quote: str, *, backslash: bool) -> int:
    """Index just past the literal opened at ``start`` (doubled quotes, and backslashes in ``E''``, escape)."""
    i, n = start + 1, len(sql)
    while i < n:
        escaped = backslash and sql[i] == "\\"
        if escaped or (sql[i] == quote and sql.startswith(quote * 2, i)):
            i += 2
        elif sql[i] == quote:
            return i + 1
        else:
            i += 1
    return n


def _word_before(sql: str, i: int) -> bool:
    """Whether ``sql[i]`` continues a word (``name'…'`` is not an ``E''`` string, ``a$1$`` no dollar quote)."""
    return i > 0 and (sql[i - 1].isalnum() or sql[i - 1] == "_")


def _block_comment_end(sql: str, start: int, *, nested: bool) -> int:
    depth, i, n = 0, start, len(sql)
    while i < n:
        if sql.startswith("/*", i):
            depth = depth + 1 if nested or depth == 0 else depth
            i += 2
        elif sql.startswith("*/", i):
            depth -= 1
            i += 2
            if depth == 0:
                return i
        else:
            i += 1
    return n


def _strip_comments_and_literals(sql: str, dialect: str = "postgresql") -> str:
    """``sql`` with comments removed and literals blanked, for the friendly keyword check only.

    PostgreSQL's grammar: nested ``/* */`` comments, ``E'…'`` strings with
    backslash escapes, ``$$…$$`` and ``$tag$…$tag$`` strings.  SQLite's:
    flat comments, ``[…]`` and backtick identifiers, ``$name`` parameters.
    """
    postgres = dialect == "postgresql"
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        char = sql[i]
        if sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end < 0 else end
        elif sql.startswith("/*", i):
            i = _block_comment_end(sql, i, nested=postgres)
            out.append(" ")
        elif postgres and char in "eE" and sql.startswith("'", i + 1) and not _word_before(sql, i):
            i = _quoted_end(sql, i + 1, "'", backslash=True)
            out.append("''")
        elif postgres and char == "$" and (tag := _DOLLAR_TAG.match(sql, i)) and not _word_before(sql, i):
            end = sql.find(tag.group(), tag.end())
            i = n if end < 0 else end + len(tag.group())
            out.append("''")
        elif char in "'\"" or (not postgres and char == "`"):
            i = _quoted_end(sql, i, char, backslash=False)
            out.append(char * 2)
        elif not postgres and char == "[":
            end = sql.find("]", i)
            i = n if end < 0 else end + 1
            out.append('""')
        else:
            out.append(char)
            i += 1
    return "".join(out)


def check_read_only(sql: str, dialect: str = "postgresql") -> str:
    """Return the statement without a trailing ";" or raise :class:`QueryRejected` with the reason.

    A friendly first answer, not a guard: see the module docstring.
    """
    bare = _strip_comments_and_literals(sql, dialect).strip().rstrip(";").strip()
    if not bare:
        raise QueryRejected("empty query")
    if ";" in bare:
        raise QueryRejected("one statement at a time")
    first = bare.split(None, 1)[0].upper()
    if first not in {"SELECT", "WITH"}:
        raise QueryRejected(f"only SELECT (or WITH … SELECT) queries are allowed, not {first}")
    return sql.strip().rstrip(";")


def run_query(engine: Engine, sql: str, *, timeout_s: float = QUERY_TIMEOUT_S) -> pd.DataFrame:
    """Run one read-only query on a read-only session (``make_engine(url, read_only=True)``); a DataFrame."""
    import pandas as pd

    statement = check_read_only(sql, engine.dialect.name)
    columns, rows = execute_read_only(engine, statement, timeout_s=timeout_s)
    return pd.DataFrame(rows, columns=columns)
