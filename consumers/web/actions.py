"""The console's POST routes: redrive, discard, sign-in and sign-out, each refused unless it proves itself.

Before a route runs, ``guard`` has refused another site's POST and a body over the cap. Here:

- an action needs a live signed-in session and that session's CSRF token in the form field ``csrf``
  (403 without it), or the console token in the field ``token`` (a script; it is answered with the
  line saying what happened, as text);
- a cookie naming a session that expired (or that this process never made: it restarted) is refused
  by sending the browser to sign in again, with nothing run;
- sign-in needs the CSRF token of the form it was given, and a client shut out for its wrong
  tokens (``throttle``) is answered 429 before its token is looked at.

What an action did is kept in the session and shown once on the page it goes back to.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlencode

import structlog
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from consumers.web.auth import COOKIE, DISABLED
from consumers.web.sessions import Session

if TYPE_CHECKING:
    from consumers.web.console import Console

log = structlog.get_logger("pics_sync.console")
SIGN_IN_FIRST = "Sign in with the console token first."
EXPIRED = "Your session has expired: sign in again."
WRONG_TOKEN = "That is not the console token."
CSRF_REFUSED = "Refused: this form's CSRF token is missing or wrong. Reload the page and try again.\n"


async def _form(request: Request) -> dict[str, str]:
    """An urlencoded form's fields (the last value of each); ``guard`` has capped the body."""
    fields = parse_qs((await request.body()).decode("utf-8", "replace"))
    return {name: values[-1] for name, values in fields.items()}


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _local(path: str | None) -> str:
    """Only a path on this server: a sign-in never sends the browser elsewhere."""
    if path and path.startswith("/") and not path.startswith("//") and "\\" not in path:
        return path
    return "/parked"


def _sign_in_again(console: Console, request: Request, message: str, next_path: str = "/parked") -> Response:
    """To the sign-in form, in a new anonymous session that shows ``message`` there."""
    session = console.auth.sessions.new(signed_in=False)
    console.auth.sessions.flash(session, message)
    response = RedirectResponse(f"/login?{urlencode({'next': next_path})}", status_code=303)
    response.set_cookie(COOKIE, session.id, **console.auth.cookie(request))
    return response


def _login_page(console: Console, request: Request, status: int, problem: str | None, next_path: str) -> HTMLResponse:
    """The sign-in form with a problem, in the reader's session (a new anonymous one when it has none)."""
    session = console.auth.session(request.cookies)
    if session is None and console.auth.enabled:
        session = console.auth.sessions.new(signed_in=False)
    return console.render(request, "login", status_code=status, session=session, problem=problem, next=next_path)


def _session_for_action(console: Console, request: Request, form: dict[str, str]) -> Session | Response:
    """The signed-in session an action runs in, or the answer refusing it."""
    session = console.auth.session(request.cookies)
    if session is None and console.auth.stale(request.cookies):
        log.info("console.session_expired")
        return _sign_in_again(console, request, EXPIRED)
    if session is None or not session.signed_in:
        return _login_page(console, request, 403, SIGN_IN_FIRST, "/parked")
    if not session.csrf_ok(form.get("csrf")):
        log.warning("console.csrf_refused")
        return PlainTextResponse(CSRF_REFUSED, status_code=403)
    return session


async def _by_script(console: Console, request: Request, action: Callable[[int], str], parked_id: int) -> Response:
    """An action whose form carries the console token: the answer is the line saying what happened."""
    form, client = await _form(request), _client(request)
    if wait := console.auth.throttle.wait_s(client):
        return _too_many(wait)
    if not console.auth.try_token(client, form.get("token")):
        return _login_page(console, request, 403, SIGN_IN_FIRST, "/parked")
    return PlainTextResponse(await run_in_threadpool(action, parked_id) + "\n")


def _too_many(wait_s: float) -> PlainTextResponse:
    seconds = math.ceil(wait_s)
    line = f"Too many wrong console tokens from your address: try again in {seconds} s.\n"
    return PlainTextResponse(line, status_code=429, headers={"Retry-After": str(seconds)})


def actions(routes: APIRouter, console: Console) -> None:
    """Redrive and Discard."""

    async def act(request: Request, action: Callable[[int], str], parked_id: int) -> Response:
        form = await _form(request)
        if not console.auth.enabled:
            return console.render(request, "login", status_code=403, problem=DISABLED, next="/parked")
        if "token" in form:
            return await _by_script(console, request, action, parked_id)
        session = _session_for_action(console, request, form)
        if isinstance(session, Response):
            return session
        console.auth.sessions.flash(session, await run_in_threadpool(action, parked_id))
        return RedirectResponse("/parked", status_code=303)

    @routes.post("/parked/{parked_id}/redrive")
    async def redrive_key(request: Request, parked_id: int) -> Response:
        return await act(request, console.redrive, parked_id)

    @routes.post("/parked/{parked_id}/discard")
    async def discard_one(request: Request, parked_id: int) -> Response:
        return await act(request, console.discard, parked_id)


def sign_in(routes: APIRouter, console: Console) -> None:
    """The sign-in form, signing in and signing out."""

    @routes.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str = "/parked") -> HTMLResponse:
        return _login_page(console, request, 200, None if console.auth.enabled else DISABLED, _local(next))

    @routes.post("/login")
    async def login(request: Request) -> Response:
        form = await _form(request)
        next_path = _local(form.get("next"))
        if not console.auth.enabled:
            return console.render(request, "login", status_code=403, problem=DISABLED, next=next_path)
        session = console.auth.session(request.cookies)
        if session is None and console.auth.stale(request.cookies):
            return _sign_in_again(console, request, EXPIRED, next_path)
        if session is None or not session.csrf_ok(form.get("csrf")):
            log.warning("console.csrf_refused")
            return PlainTextResponse(CSRF_REFUSED, status_code=403)
        return _check_token(console, request, session, form.get("token"), next_path)

    @routes.post("/logout")
    async def logout(request: Request) -> Response:
        session = console.auth.session(request.cookies)
        if session is not None and not session.csrf_ok((await _form(request)).get("csrf")):
            return PlainTextResponse(CSRF_REFUSED, status_code=403)
        if session is not None:
            console.auth.sessions.drop(session)
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(COOKIE, httponly=True, samesite="strict", secure=console.auth.cookie(request)["secure"])
        return response


def _check_token(console: Console, request: Request, session: Session, token: str | None, next_path: str) -> Response:
    """Sign in when ``token`` is right and the client is not shut out; the form again with why not."""
    client = _client(request)
    if wait := console.auth.throttle.wait_s(client):
        log.warning("console.sign_in_throttled")
        problem = f"Too many wrong console tokens from your address: try again in {math.ceil(wait)} s."
        page = console.render(request, "login", status_code=429, session=session, problem=problem, next=next_path)
        page.headers["Retry-After"] = str(math.ceil(wait))
        return page
    if not console.auth.try_token(client, token):
        log.warning("console.sign_in_refused")
        return console.render(request, "login", status_code=403, session=session, problem=WRONG_TOKEN, next=next_path)
    signed_in = console.auth.sign_in(session)
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(COOKIE, signed_in.id, **console.auth.cookie(request))
    log.info("console.signed_in")
    return response
