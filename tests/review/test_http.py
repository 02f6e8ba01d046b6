"""The review app over HTTP, on SQLite and PostgreSQL: pages, corrections, and what the views then show."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from kehoach.pipeline.db import make_engine
from sqlalchemy import text

from tests.review.conftest import RAW, csrf_of, ingest, make_client

LARGEST = "002_bd6398dc606c56db.txt"
"""The largest sample plan (33,770 characters, 43 tasks, many 2025/2030 targets)."""


def _one(url: str, sql: str, **params: object):  # noqa: ANN202 - a scalar
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()
    finally:
        engine.dispose()


def _rows(url: str, sql: str, **params: object) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql), params).mappings())
    finally:
        engine.dispose()


def _document(url: str, name: str) -> int:
    return _one(url, "SELECT id FROM documents WHERE source_path LIKE :p", p=f"%/{name}")


def _numbers(row: str) -> list[int]:
    """The count cells of a plans-page row (some are links to the plan's filtered task table)."""
    return [int(n) for n in re.findall(r'<td class="n[^"]*">(?:<a [^>]*>)?(\d+)(?:</a>)?</td>', row)]


def _cell(row: str, css: str) -> str:
    """The text of a task-table cell, tags dropped."""
    found = re.search(rf'<td class="{css}">(.*?)</td>', row, re.S)
    assert found, css
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def _plan_rows(page: str) -> list[str]:
    return re.findall(r'<tr data-plan="(\d+)">', page)


def test_review_plans_page_has_one_row_per_plan(client, sample_url: str) -> None:
    page = client.get("/")
    assert page.status_code == 200
    plans = _one(sample_url, "SELECT count(*) FROM plans")
    documents = _one(sample_url, "SELECT count(*) FROM documents")
    assert len(_plan_rows(page.text)) == plans < documents  # TXT, DOCX and PDF renderings folded


def test_review_plans_counts_match_the_views(client, sample_url: str) -> None:
    page = client.get("/").text
    document_id = _document(sample_url, LARGEST)
    plan_id = _one(sample_url, "SELECT plan_id FROM documents WHERE id = :d", d=document_id)
    row = re.search(rf'<tr data-plan="{plan_id}">(.*?)</tr>', page, re.S).group(1)
    numbers = _numbers(row)
    tasks = _one(sample_url, "SELECT count(*) FROM v_tasks WHERE plan_id = :p", p=plan_id)
    no_lead = _one(sample_url, "SELECT count(*) FROM v_tasks WHERE plan_id = :p AND lead IS NULL", p=plan_id)
    no_due = _one(sample_url, "SELECT count(*) FROM v_tasks WHERE plan_id = :p AND due_on IS NULL", p=plan_id)
    assert numbers[:4] == [tasks, no_lead, no_due, 0]
    assert tasks > 30


def _plan_of(url: str, name: str) -> str:
    return str(_one(url, "SELECT plan_id FROM documents WHERE source_path LIKE :p", p=f"%/{name}"))


@pytest.mark.parametrize("query", ["bac kan", "Bắc Kạn", "BAC KẠN", "  bắc   kan "])
def test_review_plans_search_ignores_accents_and_case(client, sample_url: str, query: str) -> None:
    shown = set(_plan_rows(client.get("/", params={"q": query}).text))
    assert shown == {_plan_of(sample_url, "001_2669dedac0f2a879.txt")}  # the one Bắc Kạn plan


def test_review_plans_search_needs_every_word(client, sample_url: str) -> None:
    plain = set(_plan_rows(client.get("/", params={"q": "quy hoach tinh lang son"}).text))
    accented = set(_plan_rows(client.get("/", params={"q": "Quy hoạch tỉnh Lạng Sơn"}).text))
    assert plain == accented
    assert {_plan_of(sample_url, "000_8544ea3e62a3c3aa.txt"), _plan_of(sample_url, "004_0e992517d986f7c1.txt")} <= plain
    assert _plan_of(sample_url, "001_2669dedac0f2a879.txt") not in plain  # Bắc Kạn, not Lạng Sơn
    assert not _plan_rows(client.get("/", params={"q": "quy hoach tinh ha giang"}).text)


def test_review_plans_filters_by_year_and_lead(client, sample_url: str) -> None:
    years = {r["y"] for r in _rows(sample_url, "SELECT issued_on AS y FROM plans WHERE issued_on IS NOT NULL")}
    year = str(sorted(years)[0])[:4]
    shown = _plan_rows(client.get("/", params={"year": year}).text)
    want = _rows(
        sample_url,
        "SELECT p.id FROM plans p JOIN documents d ON d.id = p.primary_document_id WHERE d.issued_on >= :a"
        " AND d.issued_on <= :b",
        a=f"{year}-01-01",
        b=f"{year}-12-31",
    )
    assert sorted(shown) == sorted(str(r["id"]) for r in want) and shown
    led = _rows(sample_url, "SELECT DISTINCT plan_id FROM v_tasks WHERE lead LIKE :n", n="%Sở Xây dựng%")
    shown = _plan_rows(client.get("/", params={"lead": "Sở Xây dựng"}).text)
    assert sorted(shown) == sorted(str(r["plan_id"]) for r in led) and shown


def test_review_plan_page_highlights_every_kind_of_span(client, sample_url: str) -> None:
    document_id = _document(sample_url, LARGEST)
    page = client.get(f"/plans/{document_id}")
    assert page.status_code == 200
    tasks = _rows(sample_url, "SELECT id, rule FROM tasks WHERE document_id = :d", d=document_id)
    for task in tasks:
        assert f'id="task-{task["id"]}"' in page.text and f'id="row-{task["id"]}"' in page.text
    for target in _rows(sample_url, "SELECT id FROM targets WHERE document_id = :d", d=document_id):
        assert f'id="tg-{target["id"]}"' in page.text and f'href="#tg-{target["id"]}"' in page.text
    for css in ("ag-lead", "ag-coord", "ag-other", "tm", "tg", "rf"):
        assert re.search(rf'<span class="[^"]*\b{css}\b', page.text), css
    assert "task.list_item" in page.text or "task.table_row" in page.text  # rule ids beside the tasks
    assert '<datalist id="agencies">' in page.text and '<option value="Sở Tài chính">' in page.text  # autocomplete
    reasons = re.findall(r'<span class="who" title="([^"]+)">', page.text)
    assert reasons and all(r.startswith("written “") for r in reasons)  # why each agency has its role
    assert float(page.headers["server-timing"].split("dur=")[1]) > 0


def test_review_pdf_page_image_is_one_click_away(client, sample_url: str) -> None:
    pdf = _document(sample_url, "003_3286ee62c434ea9b.pdf")
    page = client.get(f"/plans/{pdf}").text
    assert f'href="/plans/{pdf}/page/1.png"' in page
    image = client.get(f"/plans/{pdf}/page/1.png")
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")
    assert client.get(f"/plans/{pdf}/page/99.png").status_code == 404
    txt = _document(sample_url, LARGEST)
    assert client.get(f"/plans/{txt}/page/1.png").status_code == 404


def test_review_other_renderings_point_to_the_primary_one(client, sample_url: str) -> None:
    renderings = _rows(
        sample_url, "SELECT document_id, is_primary FROM v_documents WHERE source_path LIKE '%003_3286ee62c434ea9b%'"
    )
    primary = next(r["document_id"] for r in renderings if r["is_primary"])
    assert 'id="not-primary"' not in client.get(f"/plans/{primary}").text
    for other in (r["document_id"] for r in renderings if not r["is_primary"]):
        page = client.get(f"/plans/{other}").text
        assert 'id="not-primary"' in page and f'<a href="/plans/{primary}">' in page


def _first_led_task(url: str, document_id: int) -> dict:
    return _rows(
        url,
        "SELECT task_id, lead, coordinating, due_text FROM v_tasks_all WHERE document_id = :d AND lead IS NOT NULL"
        " ORDER BY span_start",
        d=document_id,
    )[0]


def test_review_lead_correction_is_kept_shown_and_undone(client, sample_url: str) -> None:
    document_id = _document(sample_url, LARGEST)
    task = _first_led_task(sample_url, document_id)
    page = client.get(f"/plans/{document_id}").text
    form = _task_form(page, task, lead="Sở Tài chính")
    answer = client.post(f"/plans/{document_id}/tasks/{task['task_id']}", data=form)
    assert answer.status_code == 303 and answer.headers["location"].endswith(f"#task-{task['task_id']}")
    now = _rows(sample_url, "SELECT lead, corrected FROM v_tasks_all WHERE task_id = :t", t=task["task_id"])[0]
    assert (now["lead"], now["corrected"]) == ("Sở Tài chính", 1)
    assert _one(sample_url, "SELECT count(*) FROM corrections WHERE document_id = :d", d=document_id) == 1
    page = client.get(f"/plans/{document_id}").text
    row = re.search(rf'<tr id="row-{task["task_id"]}"(.*?)</tr>\s*(?=<tr id="row-|</tbody>)', page, re.S).group(1)
    assert _cell(row, "lead") == "Sở Tài chính" and "corrected" in row
    assert 'title="set by a correction"' in row
    correction = re.search(rf'action="/plans/{document_id}/corrections/(\d+)/undo"', page).group(1)
    undo = client.post(f"/plans/{document_id}/corrections/{correction}/undo", data={"csrf": csrf_of(page)})
    assert undo.status_code == 303
    back = _rows(sample_url, "SELECT lead, corrected FROM v_tasks_all WHERE task_id = :t", t=task["task_id"])[0]
    assert (back["lead"], back["corrected"]) == (task["lead"], 0)


def _task_form(page: str, task: dict, **changes: str) -> dict:
    form = {
        "csrf": csrf_of(page),
        "lead": (task["lead"] or "").split("; "),
        "lead_was": task["lead"] or "",
        "coordinating": (task["coordinating"] or "").split("; "),
        "coordinating_was": task["coordinating"] or "",
        "start": "",
        "start_was": "",
        "due": task["due_text"] or "",
        "due_was": task["due_text"] or "",
    }
    form.update(changes)
    return form


def test_review_due_as_written_is_normalised(client, sample_url: str) -> None:
    document_id = _document(sample_url, LARGEST)
    task = _first_led_task(sample_url, document_id)
    page = client.get(f"/plans/{document_id}").text
    client.post(f"/plans/{document_id}/tasks/{task['task_id']}", data=_task_form(page, task, due="Quý III/2026"))
    now = _rows(sample_url, "SELECT due_text, due_last_day FROM v_tasks_all WHERE task_id = :t", t=task["task_id"])
    assert now[0]["due_text"] == "2026-09" and str(now[0]["due_last_day"]) == "2026-09-30"
    assert _one(sample_url, "SELECT count(*) FROM corrections") == 1  # only the changed field


def test_review_bad_date_is_one_line_and_writes_nothing(client, sample_url: str) -> None:
    document_id = _document(sample_url, LARGEST)
    task = _first_led_task(sample_url, document_id)
    page = client.get(f"/plans/{document_id}").text
    answer = client.post(
        f"/plans/{document_id}/tasks/{task['task_id']}",
        data=_task_form(page, task, lead="Sở Tài chính", due="không rõ khi nào"),
    )
    assert answer.status_code == 303 and "kehoach_review_error=" in answer.headers["set-cookie"]
    assert _one(sample_url, "SELECT count(*) FROM corrections") == 0  # the lead of the same form is not kept either
    shown = client.get(answer.headers["location"].split("#")[0]).text
    assert re.search(r'<p class="error" role="alert">[^<\n]+</p>', shown)
    again = client.get(answer.headers["location"].split("#")[0]).text
    assert 'class="error"' not in again  # shown once
    forged = client.get(f"/plans/{document_id}", params={"error": "Call 0900 to verify your account"}).text
    assert "0900" not in forged  # no address makes the app say something


def test_review_not_a_task_and_a_missed_task(client, sample_url: str) -> None:
    document_id = _document(sample_url, LARGEST)
    task = _first_led_task(sample_url, document_id)
    before = _one(sample_url, "SELECT count(*) FROM v_tasks_all WHERE document_id = :d", d=document_id)
    page = client.get(f"/plans/{document_id}").text
    client.post(f"/plans/{document_id}/tasks/{task['task_id']}", data={"csrf": csrf_of(page), "not_task": "1"})
    assert _one(sample_url, "SELECT count(*) FROM v_tasks_all WHERE document_id = :d", d=document_id) == before - 1
    page = client.get(f"/plans/{document_id}").text
    assert re.search(rf'<tr id="row-{task["task_id"]}" class="task-row not-task', page)
    hidden = re.search(rf'action="/plans/{document_id}/corrections/(\d+)/undo"', page).group(1)
    client.post(f"/plans/{document_id}/corrections/{hidden}/undo", data={"csrf": csrf_of(page)})
    assert _one(sample_url, "SELECT count(*) FROM v_tasks_all WHERE document_id = :d", d=document_id) == before
    client.post(f"/plans/{document_id}/tasks/{task['task_id']}", data={"csrf": csrf_of(page), "not_task": "1"})
    page = client.get(f"/plans/{document_id}").text

    content = _one(sample_url, "SELECT content FROM documents WHERE id = :d", d=document_id)
    missed = "Sở Xây dựng"  # any stretch of the text will do; the analyst decides
    start = content.index(missed)
    answer = client.post(
        f"/plans/{document_id}/tasks",
        data={"csrf": csrf_of(page), "span_start": start, "span_end": start + len(missed), "selected": missed},
    )
    assert answer.status_code == 303
    new_id = int(answer.headers["location"].rsplit("#task-", 1)[1])
    added = _rows(sample_url, "SELECT text, span_start FROM v_tasks_all WHERE task_id = :t", t=new_id)
    assert added == [{"text": missed, "span_start": start}]
    wrong = client.post(
        f"/plans/{document_id}/tasks",
        data={"csrf": csrf_of(page), "span_start": start, "span_end": start + len(missed), "selected": "khác"},
    )
    assert "kehoach_review_error=" in wrong.headers["set-cookie"]


def test_review_target_fix(client, sample_url: str) -> None:
    document_id = _document(sample_url, LARGEST)
    target = _rows(
        sample_url, "SELECT target_id, max_value, year FROM v_targets_all WHERE document_id = :d", d=document_id
    )[0]
    page = client.get(f"/plans/{document_id}").text
    answer = client.post(
        f"/plans/{document_id}/targets/{target['target_id']}",
        data={"csrf": csrf_of(page), "max_value": "99,5", "max_value_was": "", "year": "2031", "year_was": ""},
    )
    assert answer.status_code == 303
    now = _rows(
        sample_url, "SELECT max_value, year, corrected FROM v_targets_all WHERE target_id = :t", t=target["target_id"]
    )[0]
    assert (now["max_value"], now["year"], now["corrected"]) == (99.5, 2031, 1)


# --------------------------------------------------------------------------- safe by default


def test_review_writes_need_the_csrf_token(client, sample_url: str) -> None:
    document_id = _document(sample_url, LARGEST)
    task = _first_led_task(sample_url, document_id)
    url = f"/plans/{document_id}/tasks/{task['task_id']}"
    client.get(f"/plans/{document_id}")
    assert client.post(url, data={"not_task": "1"}).status_code == 403
    assert client.post(url, data={"not_task": "1", "csrf": "forged"}).status_code == 403
    page = client.get(f"/plans/{document_id}").text
    cross = client.post(
        url, data={"not_task": "1", "csrf": csrf_of(page)}, headers={"origin": "http://attacker.example"}
    )
    assert cross.status_code == 403
    refused = client.get(url)
    assert refused.status_code == 405 and "text/html" in refused.headers["content-type"]  # a write is never a GET
    assert client.get("/plans/not-a-number").status_code == 404
    assert client.get("/plans/999999").status_code == 404
    assert _one(sample_url, "SELECT count(*) FROM corrections") == 0


def test_review_read_only_serves_without_corrections(sqlite_url: str) -> None:
    document_id = _document(sqlite_url, LARGEST)
    with make_client(sqlite_url, read_only=True) as client:
        page = client.get(f"/plans/{document_id}").text
        assert "read-only" in page and 'method="post"' not in page
        task = _first_led_task(sqlite_url, document_id)
        refused = client.post(f"/plans/{document_id}/tasks/{task['task_id']}", data={"not_task": "1"})
        assert refused.status_code == 403
    assert _one(sqlite_url, "SELECT count(*) FROM corrections") == 0


def test_review_token_guards_every_request(sqlite_url: str) -> None:
    token = "t0ken-for-the-review-test"
    with make_client(sqlite_url, token=token, loopback_only=False) as client:
        assert client.get("/").status_code == 401
        assert client.get("/static/review.css").status_code == 401
        assert client.get("/", params={"token": "wrong-token-of-same-size"}).status_code == 401
        entry = client.get("/", params={"token": token, "q": "lang son"})
        assert entry.status_code == 303 and entry.headers["location"] == "/?q=lang+son"
        assert client.get("/").status_code == 200  # the cookie now carries it
    with make_client(sqlite_url, token=token, loopback_only=False) as client:
        assert client.get("/", headers={"authorization": f"Bearer {token}"}).status_code == 200


def test_review_loopback_server_refuses_foreign_host_names(sqlite_url: str) -> None:
    with make_client(sqlite_url) as client:
        assert client.get("/", headers={"host": "rebind.attacker.example"}).status_code == 400
        assert client.get("/", headers={"host": "127.0.0.1:8000"}).status_code == 200
        page = client.get("/")
        assert "script-src 'self'" in page.headers["content-security-policy"]


def test_review_document_text_is_escaped(sqlite_url: str, tmp_path: Path) -> None:
    plan = tmp_path / "hostile.txt"
    plan.write_text(
        "ỦY BAN NHÂN DÂN TỈNH LẠNG SƠN\nKẾ HOẠCH <script>alert('kehoach')</script> <b>đậm</b>\n"
        "1. Sở Xây dựng chủ trì rà soát <img src=x onerror=alert(1)> quy hoạch đô thị, hoàn thành trong quý III/2026.\n"
        "2. Sở Tài chính chủ trì bố trí kinh phí thực hiện kế hoạch trong năm 2026.\n",
        encoding="utf-8",
    )
    ingest(sqlite_url, plan)
    document_id = _document(sqlite_url, "hostile.txt")
    with make_client(sqlite_url) as client:
        for url in (f"/plans/{document_id}", "/"):
            page = client.get(url).text
            assert "<script>alert" not in page and "<img src=x" not in page and "<b>đậm" not in page
        page = client.get(f"/plans/{document_id}").text
        assert "&lt;script&gt;alert(" in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_review_unmatched_corrections_are_listed_not_dropped(client, sample_url: str) -> None:
    document_id = _document(sample_url, LARGEST)
    task = _first_led_task(sample_url, document_id)
    page = client.get(f"/plans/{document_id}").text
    client.post(f"/plans/{document_id}/tasks/{task['task_id']}", data=_task_form(page, task, lead="Sở Tài chính"))
    assert 'id="unmatched"' not in client.get("/").text
    engine = make_engine(sample_url)
    with engine.begin() as conn:  # what re-extraction does to a correction whose task text is gone
        conn.execute(text("UPDATE corrections SET status = 'unmatched'"))
    engine.dispose()
    listed = client.get("/").text
    assert 'id="unmatched"' in listed and f'href="/plans/{document_id}#corrections">lead</a>' in listed
    assert "unmatched" in client.get(f"/plans/{document_id}").text


def test_review_correction_survives_re_extraction(client, sample_url: str) -> None:
    """``kehoach ingest --force`` extracts the plan again: the page still shows the analyst's lead."""
    document_id = _document(sample_url, LARGEST)
    task = _first_led_task(sample_url, document_id)
    text_before = _one(sample_url, "SELECT text FROM tasks WHERE id = :t", t=task["task_id"])
    page = client.get(f"/plans/{document_id}").text
    client.post(f"/plans/{document_id}/tasks/{task['task_id']}", data=_task_form(page, task, lead="Sở Tài chính"))
    ingest(sample_url, RAW / LARGEST, "--force")
    now = _rows(
        sample_url,
        "SELECT task_id, lead, corrected FROM v_tasks_all WHERE document_id = :d AND text = :x",
        d=document_id,
        x=text_before,
    )
    assert [(r["lead"], r["corrected"]) for r in now] == [("Sở Tài chính", 1)]
    page = client.get(f"/plans/{document_id}").text
    row = re.search(rf'<tr id="row-{now[0]["task_id"]}"(.*?)</tr>', page, re.S).group(1)
    assert _cell(row, "lead") == "Sở Tài chính"
    assert re.search(r'<tr class="correction" data-correction="\d+">.*?<td>matched</td>', page, re.S)


def test_review_pages_read_through_an_engine_that_cannot_write(client, sample_url: str) -> None:
    from sqlalchemy.exc import DBAPIError

    reader, _writer = client.app.state.engines
    with pytest.raises(DBAPIError), reader.begin() as conn:
        conn.execute(text("DELETE FROM corrections"))
    with pytest.raises(DBAPIError), reader.begin() as conn:
        conn.execute(text("CREATE TABLE intruder (a INTEGER)"))


def test_review_plans_page_marks_versions(client, sample_url: str) -> None:
    plan_id = _plan_of(sample_url, "000_8544ea3e62a3c3aa.txt")
    assert "superseded by its signed version" not in client.get("/").text
    engine = make_engine(sample_url)
    with engine.begin() as conn:  # what storing the signed version of a draft does to the draft's plan
        conn.execute(text("UPDATE plans SET superseded = :t WHERE id = :p"), {"t": True, "p": int(plan_id)})
    engine.dispose()
    row = re.search(rf'<tr data-plan="{plan_id}">(.*?)</tr>', client.get("/").text, re.S).group(1)
    assert "draft, superseded by its signed version" in row
    tasks = _one(sample_url, "SELECT count(*) FROM tasks t JOIN plans p ON p.primary_document_id = t.document_id"
                 " WHERE p.id = :p", p=int(plan_id))  # fmt: skip
    assert _numbers(row)[0] == tasks > 0  # hidden by the views, not here


def test_review_plans_page_lists_a_bounded_number_of_rows(client, monkeypatch: pytest.MonkeyPatch) -> None:
    from kehoach.pipeline.review import app

    monkeypatch.setattr(app, "MAX_PLAN_ROWS", 2)
    page = client.get("/").text
    assert len(_plan_rows(page)) == 2 and "the first 2 are listed, narrow the search" in page
    assert len(_plan_rows(client.get("/", params={"q": "bac kan"}).text)) == 1


def test_review_plan_page_filters_its_task_table(client, sample_url: str) -> None:
    document_id = _document(sample_url, LARGEST)
    plan_id = _one(sample_url, "SELECT plan_id FROM documents WHERE id = :d", d=document_id)
    row = re.search(rf'<tr data-plan="{plan_id}">(.*?)</tr>', client.get("/").text, re.S).group(1)
    assert f'href="/plans/{document_id}?only=without_due"' in row
    for only, sql in (
        ("without_lead", "lead IS NULL"),
        ("without_due", "due_on IS NULL"),
        ("flagged", "flags IS NOT NULL AND flags <> ''"),
    ):
        want = _rows(sample_url, f"SELECT task_id FROM v_tasks_all WHERE document_id = :d AND {sql}", d=document_id)
        page = client.get(f"/plans/{document_id}", params={"only": only}).text
        shown = re.findall(r'<tr id="row-(\d+)"', page)
        assert sorted(map(int, shown)) == sorted(r["task_id"] for r in want), only
        assert page.count('<a class="anchor" id="task-') > len(shown)  # the text keeps every task
    everything = client.get(f"/plans/{document_id}", params={"only": "nonsense"}).text
    assert len(re.findall(r'<tr id="row-', everything)) == _one(
        sample_url, "SELECT count(*) FROM tasks WHERE document_id = :d", d=document_id
    )


@pytest.mark.postgres
def test_review_correction_refused_by_the_database_is_one_line(postgres_server: str, postgres_sample_url: str) -> None:
    """Served with the analysts' reader role (``kehoach db create-reader-role``): the page says the database refused
    the write, nothing is written, no traceback."""
    import subprocess
    import uuid

    from sqlalchemy.engine import make_url

    from tests.review.conftest import KEHOACH

    url = make_url(postgres_sample_url)
    role = f"reader_{uuid.uuid4().hex[:8]}"
    admin = f"{postgres_server}/{url.database}"
    subprocess.run([*KEHOACH, "db", "create-reader-role", role, "--db", admin], check=True, capture_output=True)
    reader_url = url.set(username=role).render_as_string(hide_password=False)
    document_id = _document(postgres_sample_url, LARGEST)
    task = _first_led_task(postgres_sample_url, document_id)
    with make_client(reader_url) as client:
        page = client.get(f"/plans/{document_id}").text
        form = _task_form(page, task, lead="Sở Tài chính")
        assert client.post(f"/plans/{document_id}/tasks/{task['task_id']}", data=form).status_code == 303
        shown = client.get(f"/plans/{document_id}").text
        assert re.search(r'<p class="error" role="alert">the database refused the correction: [^<\n]+</p>', shown)
    assert _one(postgres_sample_url, "SELECT count(*) FROM corrections") == 0


def test_review_lost_database_is_one_line(sqlite_url: str) -> None:
    with make_client(sqlite_url) as client:
        assert client.get("/").status_code == 200
        Path(sqlite_url.removeprefix("sqlite:///")).unlink()
        gone = client.get("/")
        assert gone.status_code == 503 and "the database failed: " in gone.text and "Traceback" not in gone.text


def test_review_pages_do_not_wait_for_an_ingest(sqlite_url: str) -> None:
    """SQLite: while ``kehoach ingest --force`` rewrites every document, the pages keep answering (WAL readers)."""
    import subprocess
    import time

    from tests.review.conftest import KEHOACH

    document_id = _document(sqlite_url, LARGEST)
    with make_client(sqlite_url) as client:
        writer = subprocess.Popen(
            [*KEHOACH, "ingest", str(RAW), "--db", sqlite_url, "--force", "--no-progress", "--workers", "1"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        slowest, answered = 0.0, 0
        try:
            while writer.poll() is None:
                started = time.perf_counter()
                for url in ("/", f"/plans/{document_id}"):
                    assert client.get(url).status_code == 200
                slowest = max(slowest, time.perf_counter() - started)
                answered += 1
        finally:
            writer.wait(timeout=300)
        assert writer.returncode == 0 and answered > 0
        assert slowest < 5, f"a page waited {slowest:.1f} s for the ingest"


def test_review_mark_a_plan_reviewed_without_changes(client, sample_url: str, tmp_path: Path) -> None:
    """A plan found right as extracted is gold too: the mark shows on both pages and export-gold writes it."""
    import subprocess

    from tests.review.conftest import KEHOACH

    document_id = _document(sample_url, LARGEST)
    plan_id = _plan_of(sample_url, LARGEST)
    page = client.get(f"/plans/{document_id}").text
    assert 'id="reviewed-mark"' not in page
    answer = client.post(f"/plans/{document_id}/reviewed", data={"csrf": csrf_of(page), "reviewed": "1"})
    assert answer.status_code == 303
    page = client.get(f"/plans/{document_id}").text
    assert 'id="reviewed-mark"' in page and "Take back the reviewed mark" in page
    row = re.search(rf'<tr data-plan="{plan_id}">(.*?)</tr>', client.get("/").text, re.S).group(1)
    assert '<td class="n reviewed">✓</td>' in row and _numbers(row)[3] == 0  # a mark is no correction
    assert _plan_rows(client.get("/", params={"reviewed": "yes"}).text) == [plan_id]
    assert plan_id not in _plan_rows(client.get("/", params={"reviewed": "no"}).text)

    def export(folder: Path) -> list[str]:
        subprocess.run(
            [*KEHOACH, "review", "export-gold", str(folder), "--db", sample_url], check=True, capture_output=True
        )
        return [p.name for p in folder.glob("*.json")]

    assert export(tmp_path / "gold") == [f"{LARGEST}.json"]

    client.post(f"/plans/{document_id}/reviewed", data={"csrf": csrf_of(page), "reviewed": "0"})
    assert 'id="reviewed-mark"' not in client.get(f"/plans/{document_id}").text
    assert export(tmp_path / "again") == []
