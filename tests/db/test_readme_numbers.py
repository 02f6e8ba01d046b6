"""The README's row counts are what a real ingest of data/raw gives, on SQLite and on PostgreSQL.

The numbers are read from the README itself (the "(N rows on the samples"
of each analyst question, and the row-count table after the sample ingest),
so a change in extraction or in the views that moves them fails here until the
README says the new numbers.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from kehoach.pipeline.db import make_engine
from sqlalchemy import text

import kehoach

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
RAW = ROOT / "data" / "raw"


def section(title: str) -> str:
    start = README.index(title)
    following = re.search(r"^#{2,4} ", README[start + len(title) :], re.M)
    return README[start : start + len(title) + (following.start() if following else len(README))]


def analyst_questions() -> list[tuple[str, str, int]]:
    """(question number, SQL, rows the README states) for every question that states a count.

    A question may add "with `FROM` and `TO`, N rows": the same SQL with its two date literals
    replaced (earlier by FROM, later by TO) must give N rows.
    """
    found = []
    items = re.split(r"^(\d)\. ", section("### Five analyst questions in SQL"), flags=re.M)[1:]
    for number, body in zip(items[::2], items[1::2], strict=True):
        sql = re.search(r"```sql\n(.*?)```", body, re.S).group(1).strip().rstrip(";")  # type: ignore[union-attr]
        stated = re.search(r"\((\d+) rows? on the samples", body)
        if stated:
            found.append((number, sql, int(stated.group(1))))
        other = re.search(r"with `(\d{4}-\d\d-\d\d)` and `(\d{4}-\d\d-\d\d)`, (\d+) rows?", body)
        if other:
            literals = sorted(set(re.findall(r"'(\d{4}-\d\d-\d\d)'", sql)))
            assert len(literals) == 2, sql
            swapped = sql.replace(literals[0], other.group(1)).replace(literals[1], other.group(2))
            found.append((f"{number} ({other.group(1)}…{other.group(2)})", swapped, int(other.group(3))))
    return found


def row_count_table() -> dict[str, int]:
    """Relation → rows from the README's table of row counts after the sample ingest."""
    table = section("Row counts after that ingest")
    counts = {}
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 2 or not cells[0] or cells[0] in {"table", "---"}:
            continue
        for name, value in zip(cells[::2], cells[1::2], strict=False):
            number = re.match(r"[\d,]+", value)
            if name and number:
                counts[name.strip("`")] = int(number.group(0).replace(",", ""))
    return counts


@pytest.mark.slow
def test_readme_counts_match_a_real_ingest_of_data_raw(db_url: str) -> None:
    questions, counts = analyst_questions(), row_count_table()
    assert len(questions) >= 4 and {"documents", "tasks", "v_tasks"} <= set(counts)
    summary = kehoach.ingest([RAW], db=db_url, workers=1)
    if shutil.which("tesseract") is None:
        pytest.skip("the README's counts include the OCR-ed scan: needs Tesseract")
    assert not summary.failures, summary.failures
    engine = make_engine(db_url, read_only=True)
    wrong = []
    with engine.connect() as connection:
        for number, sql, stated in questions:
            got = len(connection.execute(text(sql)).all())
            if got != stated:
                wrong.append(f"question {number}: README says {stated} rows, the database gives {got}")
        for name, stated in counts.items():
            got = connection.execute(text(f"SELECT count(*) FROM {name}")).scalar_one()
            if got != stated:
                wrong.append(f"{name}: README says {stated} rows, the database has {got}")
    engine.dispose()
    assert not wrong, "README is out of date:\n" + "\n".join(wrong)
