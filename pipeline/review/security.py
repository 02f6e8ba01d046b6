"""Safe by default: who may open the review app, and which requests may write.

* **Binding.** The app listens on 127.0.0.1 unless told otherwise; any other
  address needs an operator token (:func:`check_binding`), because a review
  server on a shared network would otherwise let anyone rewrite the
  database.
* **Token.** With a token, every request must carry it: once as
  ``?token=…`` (answered with an HttpOnly cookie and a redirect that drops
  it from the address bar), or as ``Authorization: Bearer …``.  Compared in
  constant time.
* **Host header.** On a loopback address only loopback host names are served,
  which defeats DNS rebinding (a web page that points its own host name at
  127.0.0.1 to reach the app from the user's browser).
* **CSRF.** Every write is a POST whose form carries the token of a
  ``SameSite=Strict`` cookie (double submit); a POST whose ``Origin`` is
  another site is refused even before that.
* **Headers.** A Content-Security-Policy allows only the app's own scripts
  and styles, so even text that escaped escaping could not run.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

if TYPE_CHECKING:  # the CLI checks the binding before the web stack is imported
    from starlette.requests import Request
    from starlette.responses import Response

TOKEN_ENV = "KEHOACH_REVIEW_TOKEN"
TOKEN_COOKIE = "kehoach_review_token"
CSRF_COOKIE = "kehoach_csrf"
CSRF_FIELD = "csrf"
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1", "[::1]")
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class BindingRefused(Exception):
    """Serving on this address without a token is refused (printed as one line)."""


def is_loopback(host: str) -> bool:
    if host.strip("[]") in ("localhost", *LOOPBACK_NAMES):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_binding(host: str, token: str | None) -> None:
    """Refuse to listen on a non-loopback address without an operator token."""
    if not is_loopback(host) and not token:
        raise BindingRefused(
            f"refusing to serve on {host} without a token: pass --token or set {TOKEN_ENV} (or use 127.0.0.1)"
        )
    if token is not None and len(token) < 16:
        raise BindingRefused("the review token must be at least 16 characters")


def csrf_token(request: Request) -> str:
    """This browser's CSRF token (made on its first visit; the middleware sets the cookie)."""
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if not token:
        token = request.state.new_csrf = secrets.token_urlsafe(32)
    return token


def csrf_ok(request: Request, submitted: str | None) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE)
    return bool(cookie and submitted) and hmac.compare_digest(cookie, submitted)  # type: ignore[arg-type]


def _host_name(header: str) -> str:
    """The name part of a Host header ("127.0.0.1:8000" → "127.0.0.1", "[::1]:8000" → "[::1]")."""
    if header.startswith("["):
        return header.split("]", 1)[0] + "]"
    return header.rsplit(":", 1)[0]


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host")


def make_guard(
    token: str | None, *, loopback_only: bool
) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    """The HTTP middleware that enforces the token, the host names, the origin of writes and the headers."""
    from starlette.responses import PlainTextResponse, RedirectResponse

    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if loopback_only and _host_name(request.headers.get("host", "")) not in (*LOOPBACK_NAMES, "testserver"):
            return PlainTextResponse("kehoach review: unknown host name", status_code=400)
        if token is not None:
            given = request.query_params.get("token")
            if given is not None and hmac.compare_digest(given, token):
                rest = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "token"])
                response: Response = RedirectResponse(request.url.path + (f"?{rest}" if rest else ""), 303)
                response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
                return response
            bearer = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
            presented = request.cookies.get(TOKEN_COOKIE) or bearer
            if not (presented and hmac.compare_digest(presented, token)):
                return PlainTextResponse(
                    "kehoach review: this server needs its token (open the address with ?token=…)", status_code=401
                )
        if request.method not in ("GET", "HEAD") and not _same_origin(request):
            return PlainTextResponse("kehoach review: cross-site request refused", status_code=403)
        response = await call_next(request)
        new_csrf = getattr(request.state, "new_csrf", None)
        if new_csrf and not request.cookies.get(CSRF_COOKIE):
            response.set_cookie(CSRF_COOKIE, new_csrf, httponly=True, samesite="strict")
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    return guard
