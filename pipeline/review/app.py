"""The review web app: FastAPI routes over the database, pages rendered by Jinja2 on the server.

Reads go through a read-only engine (SQLite ``mode=ro``; PostgreSQL
read-only transactions), so a page can never write and never waits for an
ingest that holds SQLite's write lock.  Writes go through
:mod:`kehoach.pipeline.corrections`, one transaction per form: a correction
that the data layer refuses (a date it cannot read, an unknown task) comes
back to the page as one line of error, and nothing is written.  With
``read_only`` there is no writing engine at all: the forms are not drawn
and every POST answers 403.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from kehoach.pipeline.db import DatabaseError, make_engine, schema_is_current, session_scope, upgrade
from kehoach.pipeline.readonly import limit_statements
from kehoach.pipeline.review import data, forms
from kehoach.pipeline.review.gold import document_gold
from kehoach.pipeline.review.page_image import PageUnavailable, page_png
from kehoach.pipeline.review.security import CSRF_FIELD, csrf_ok, csrf_token, make_guard
from kehoach.pipeline.review.spans import render
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException

HERE = Path(__file__).resolve().parent
Change = Callable[[Session, FormData, str | None], object]
"""What one correction form does: (session, submitted form, author) → an anchor to go back to, or anything else."""
FLASH_COOKIE = "kehoach_review_error"
"""The one-line error of a refused correction, shown once by the page the browser is sent back to."""
TASK_FILTERS = {"without_lead": "without a lead", "without_due": "without a due date", "flagged": "flagged"}
"""The plan page's ``?only=`` choices: the task table shows just those rows (the text keeps every span)."""
MAX_PLAN_ROWS = 500
"""Rows the plans page draws at most; past that the analyst narrows the search (the counts say how many match)."""


@dataclass(frozen=True)
class Settings:
    """How one server runs: which database, whether it writes, who signs the corrections."""

    url: str
    read_only: bool = False
    token: str | None = None
    loopback_only: bool = True
    author: str | None = None


def show_number(value: float | None) -> str:
    """30.0 → "30", 2.5 → "2.5", None → "" (what a form field should hold)."""
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def show_value(value: object) -> str:
    """A correction's old or new value as one line."""
    if value is None or value == [] or value == "":
        return "—"
    if isinstance(value, list):
        return "; ".join(map(str, value))
    if isinstance(value, dict):
        return ", ".join(f"{k}={show_value(v)}" for k, v in value.items())
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _first_line(exc: SQLAlchemyError) -> str:
    """The driver's own message, first line (SQLAlchemy appends the SQL and a link)."""
    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return lines[0] if lines else exc.__class__.__name__


def _refused(location: str, message: str) -> RedirectResponse:
    """Back to the page with one line of error, carried by a short-lived cookie rather than the address,
    so that no link can make the app display a message of its own."""
    response = RedirectResponse(location, 303)
    response.set_cookie(FLASH_COOKIE, quote(message[:500]), max_age=60, httponly=True, samesite="strict")
    return response


def _reader(url: str) -> Engine:
    """The engine pages read through: it cannot write (SQLite ``mode=ro``; PostgreSQL read-only transactions).

    On PostgreSQL it keeps a pool, unlike ``kehoach query``'s engine: that one runs analysts' arbitrary SQL,
    which may change session settings, so its sessions are never reused; the app runs only its own queries.
    Reconnecting for every page cost more than half of the plan page's time.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        options = {"options": "-c default_transaction_read_only=on"}
        return limit_statements(create_engine(parsed, pool_pre_ping=True, connect_args=options))
    return limit_statements(make_engine(url, read_only=True))  # the query time limit, as for kehoach query


def _engines(settings: Settings) -> tuple[Engine, Engine | None]:
    writer = None if settings.read_only else make_engine(settings.url)
    if writer is not None and not schema_is_current(writer):
        upgrade(writer)
    reader = _reader(settings.url)
    if writer is None and not schema_is_current(reader):
        raise DatabaseError("the database schema is out of date: run kehoach db upgrade (or serve without --read-only)")
    return reader, writer


def create_app(settings: Settings) -> FastAPI:
    """The ASGI app for ``settings`` (the database is opened, and upgraded if writable, here)."""
    reader, writer = _engines(settings)
    app = FastAPI(title="kehoach review", docs_url=None, redoc_url=None, openapi_url=None)
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals.update(read_only=settings.read_only, csrf_field=CSRF_FIELD)
    templates.env.filters.update(num=show_number, show=show_value)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.middleware("http")(make_guard(settings.token, loopback_only=settings.loopback_only))

    @app.middleware("http")
    async def server_timing(request: Request, call_next):  # noqa: ANN001, ANN202 - Starlette callback types
        started = time.perf_counter()
        response = await call_next(request)
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        return response

    def page(request: Request, name: str, context: dict, status_code: int = 200) -> HTMLResponse:
        context = {**context, "csrf": csrf_token(request)}
        return templates.TemplateResponse(request, name, context, status_code=status_code)

    @app.get("/", response_class=HTMLResponse)
    def plans(
        request: Request, q: str = "", issuer: str = "", doc_type: str = "", year: str = "", lead: str = "",
        reviewed: str = "",
    ):  # fmt: skip
        filters = data.PlanFilters(q=q, issuer=issuer, doc_type=doc_type, year=year, lead=lead, reviewed=reviewed)
        with session_scope(reader) as session:
            rows = data.plan_rows(session)
            unmatched = data.unmatched_corrections(session)
        shown = [row for row in rows if filters.keep(row)]
        context = {
            "rows": shown[:MAX_PLAN_ROWS],
            "matching": len(shown),
            "total": len(rows),
            "filters": filters,
            "facets": data.facet_values(rows),
        }
        return page(request, "plans.html", {**context, "unmatched": unmatched})

    @app.get("/plans/{document_id}", response_class=HTMLResponse)
    def plan(request: Request, document_id: int, only: str = ""):
        with session_scope(reader) as session:
            found = data.plan_page(session, document_id)
            agencies = [] if settings.read_only else data.agency_names(session)
        if found is None:
            raise HTTPException(404, f"no document {document_id}")
        link = f"/plans/{document_id}/page/{{page}}.png" if found.has_page_images else None
        response = page(
            request,
            "plan.html",
            {
                "p": found,
                "d": found.document,
                "text_html": render(found.document["content"], found.spans, page_link=link),
                "agencies": agencies,
                "only": only if only in TASK_FILTERS else "",
                "filters": TASK_FILTERS,
                "counts": {key: sum(t.missing(key) for t in found.tasks) for key in TASK_FILTERS},
                "error": unquote(request.cookies.get(FLASH_COOKIE, ""))[:500],
            },
        )
        response.delete_cookie(FLASH_COOKIE)
        return response

    @app.get("/plans/{document_id}/gold.json")
    def gold(document_id: int) -> Response:
        """This document as ``export-gold`` writes it (the extraction with its corrections), to save or diff."""
        with session_scope(reader) as session:
            if data.plan_page_source(session, document_id) is None:
                raise HTTPException(404, f"no document {document_id}")
            payload = document_gold(session, document_id)
        body = json.dumps(payload, ensure_ascii=False, indent=1) + "\n"
        disposition = f"attachment; filename*=UTF-8''{quote(payload['file'] + '.json')}"
        return Response(body, media_type="application/json", headers={"Content-Disposition": disposition})

    @app.get("/plans/{document_id}/page/{number}.png")
    def page_image(document_id: int, number: int) -> Response:
        with session_scope(reader) as session:
            found = data.plan_page_source(session, document_id)
        if found is None:
            raise HTTPException(404, f"no document {document_id}")
        try:
            png = page_png(found["source_path"], found["sha256"], number)
        except PageUnavailable as exc:
            raise HTTPException(404, str(exc)) from exc
        return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=300"})

    async def write(request: Request, document_id: int, anchor: str, change: Change) -> RedirectResponse:
        """Run ``change(session, form, author)`` in one transaction and go back to the plan page at ``anchor``
        (or at the anchor ``change`` returns, e.g. a new task's)."""
        if writer is None:
            raise HTTPException(403, "this server is read-only")
        form = await request.form()
        if not csrf_ok(request, str(form.get(CSRF_FIELD) or "")):
            raise HTTPException(403, "missing or wrong CSRF token: reload the page and try again")
        target = f"/plans/{document_id}"

        def transaction() -> object:
            with session_scope(writer) as session:
                return change(session, form, settings.author)

        try:  # in a worker thread: an SQLite writer may wait for an ingest's lock, the event loop must not
            result = await run_in_threadpool(transaction)
        except ValueError as exc:
            return _refused(f"{target}#{anchor}", str(exc))
        except SQLAlchemyError as exc:  # a reader role without INSERT, a lock held past the timeout, a lost server
            return _refused(f"{target}#{anchor}", f"the database refused the correction: {_first_line(exc)}")
        return RedirectResponse(f"{target}#{result if isinstance(result, str) else anchor}", 303)

    @app.post("/plans/{document_id}/tasks/{task_id}")
    async def correct_task(request: Request, document_id: int, task_id: int) -> RedirectResponse:
        return await write(
            request,
            document_id,
            f"task-{task_id}",
            lambda s, f, a: forms.correct_task(s, document_id, task_id, f, author=a),
        )

    @app.post("/plans/{document_id}/tasks")
    async def add_task(request: Request, document_id: int) -> RedirectResponse:
        return await write(
            request, document_id, "text", lambda s, f, a: f"task-{forms.add_task(s, document_id, f, author=a)}"
        )

    @app.post("/plans/{document_id}/targets/{target_id}")
    async def correct_target(request: Request, document_id: int, target_id: int) -> RedirectResponse:
        return await write(
            request,
            document_id,
            f"target-{target_id}",
            lambda s, f, a: forms.correct_target(s, document_id, target_id, f, author=a),
        )

    @app.post("/plans/{document_id}/reviewed")
    async def reviewed(request: Request, document_id: int) -> RedirectResponse:
        return await write(
            request, document_id, "top", lambda s, f, a: forms.mark_reviewed(s, document_id, f, author=a)
        )

    @app.post("/plans/{document_id}/corrections/{correction_id}/undo")
    async def undo(request: Request, document_id: int, correction_id: int) -> RedirectResponse:
        return await write(
            request, document_id, "corrections", lambda s, _f, _a: forms.undo(s, document_id, correction_id)
        )

    @app.exception_handler(StarletteHTTPException)  # ours, and the router's 404 and 405
    async def http_error(request: Request, exc: StarletteHTTPException) -> HTMLResponse:
        return page(request, "error.html", {"status": exc.status_code, "detail": exc.detail}, exc.status_code)

    @app.exception_handler(RequestValidationError)  # /plans/abc: a page that does not exist, not a JSON dump
    async def bad_address(request: Request, exc: RequestValidationError) -> HTMLResponse:
        return page(request, "error.html", {"status": 404, "detail": f"no such page: {request.url.path}"}, 404)

    @app.exception_handler(SQLAlchemyError)  # the server went away, a file was removed: one line, not a traceback
    async def database_error(request: Request, exc: SQLAlchemyError) -> HTMLResponse:
        return page(request, "error.html", {"status": 503, "detail": f"the database failed: {_first_line(exc)}"}, 503)

    app.state.settings = settings
    app.state.engines = (reader, writer)
    return app
