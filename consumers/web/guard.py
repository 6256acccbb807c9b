"""What every request passes before a route sees it, and what every response carries: plain ASGI.

- Every response has a Content-Security-Policy that runs no inline script or style (the pages load
  ``/static/console.css`` and ``console.js``), cannot be framed (``frame-ancestors 'none'`` and
  ``X-Frame-Options: DENY``), is never sniffed into another type (``nosniff``) and tells other
  sites no more than this console's origin (``Referrer-Policy: strict-origin``; ``no-referrer``
  would make browsers send ``Origin: null`` on the console's own forms, which the check below
  refuses).
- A POST (any unsafe method) whose ``Origin``, or ``Referer`` when there is no Origin, is not this
  console's is 403 before its body is read. This console is ``http(s)://<Host header>``; with
  ``https`` set (a TLS ingress in front) only ``https://`` counts. A request with neither header
  is not a browser's (every browser sends Origin on a POST): it passes here, and the CSRF token
  still guards a session (``console``).
- A request body over ``MAX_BODY`` bytes is 413, read no further than that.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import structlog
from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger("pics_sync.http")

MAX_BODY = 16 * 1024  # a console form is a few hundred bytes
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self';"
    " frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = (
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin"),
)
CROSS_ORIGIN = "Refused: this POST comes from another site, not from this console's own pages.\n"
TOO_LARGE = f"Refused: a request body may hold at most {MAX_BODY} bytes.\n"


class Guard:
    """The headers, the Origin check and the body cap around ``app``."""

    def __init__(self, app: ASGIApp, *, https: bool = False, max_body: int = MAX_BODY) -> None:
        self.app, self.https, self.max_body = app, https, max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = with_headers(send)
        if scope["method"] in UNSAFE:
            if not same_origin(Headers(scope=scope), scope.get("scheme", "http"), self.https):
                log.warning("http.cross_origin_refused", path=scope["path"])
                await PlainTextResponse(CROSS_ORIGIN, status_code=403)(scope, receive, send)
                return
            body = await _capped_body(scope, receive, self.max_body)
            if body is None:
                await PlainTextResponse(TOO_LARGE, status_code=413)(scope, receive, send)
                return
            receive = _replay(body, receive)
        await self.app(scope, receive, send)


def same_origin(headers: Headers, scheme: str, https: bool) -> bool:
    """True when the request's Origin (or Referer) is this console, or it names none."""
    given = headers.get("origin") or _origin_of(headers.get("referer"))
    if given is None:
        return True
    allowed = {"https"} if https else {"https", scheme}  # an https origin of this host: a TLS proxy in front
    given_scheme, _, netloc = given.lower().partition("://")
    host = headers.get("host", "").lower()
    return bool(host) and netloc == host and given_scheme in allowed


def _origin_of(referer: str | None) -> str | None:
    if not referer:
        return None
    try:
        parts = urlsplit(referer)
    except ValueError:
        return "null"  # unreadable: counted as another site
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else "null"


def with_headers(send: Send) -> Send:
    """``send`` adding the security headers (and ``no-store``) to a response that lacks them."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            present = {name.lower() for name, _ in headers}
            if b"cache-control" not in present:
                headers.append((b"cache-control", b"no-store"))  # pages hold CSRF tokens and live figures
            message = {**message, "headers": headers + [h for h in SECURITY_HEADERS if h[0] not in present]}
        await send(message)

    return sending


async def _capped_body(scope: Scope, receive: Receive, cap: int) -> bytes | None:
    """The whole body, or None once it is known to be over ``cap`` (from Content-Length or as it comes)."""
    declared = Headers(scope=scope).get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        return None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"") if message["type"] == "http.request" else b""
        size += len(chunk)
        if size > cap:
            return None
        chunks.append(chunk)
        if message["type"] != "http.request" or not message.get("more_body"):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app the body read already, then whatever comes next (a disconnect)."""
    pending: list[Any] = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed
