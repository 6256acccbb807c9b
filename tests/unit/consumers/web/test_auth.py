"""The console token: actions need a signed-in session (or the token itself); with no token they are disabled."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from consumers.web.auth import COOKIE, DISABLED, ConsoleAuth
from tests.unit.consumers.web.console_app import ORIGIN, TOKEN, Browser, app_of, console, csrf_in, signed_in


def browser(token: str | None = TOKEN) -> Browser:
    return Browser(app_of(console(token)))


@pytest.mark.parametrize(
    ("given", "ok"),
    [
        pytest.param(TOKEN, True, id="the-token"),
        pytest.param(TOKEN + "x", False, id="longer"),
        pytest.param(TOKEN[:-1], False, id="shorter"),
        pytest.param("", False, id="empty"),
        pytest.param(None, False, id="none"),
        pytest.param("é" * 5, False, id="not-ascii"),
    ],
)
def test_token_check(given: str | None, ok: bool) -> None:
    """Only the exact token passes."""
    assert ConsoleAuth(SecretStr(TOKEN)).token_ok(given) is ok


def test_no_token_configured_disables_everything() -> None:
    """With PICS_SYNC_CONSOLE_TOKEN unset, even an empty token or an empty cookie passes nothing."""
    auth = ConsoleAuth(None)
    assert not auth.enabled and not auth.token_ok("") and not auth.signed_in({COOKIE: ""})
    assert not ConsoleAuth(SecretStr("")).enabled


def test_session_cookie_holds_no_token() -> None:
    """The cookie is a random session id, not the token nor anything made from it; a forged cookie passes nothing."""
    http = browser()
    signed_in(http)
    cookie = http.cookies[COOKIE]
    assert TOKEN not in cookie and len(cookie) >= 40
    auth = ConsoleAuth(SecretStr(TOKEN))
    assert not auth.signed_in({COOKIE: "0" * 64}) and not auth.signed_in({COOKIE: "é"})


@pytest.mark.parametrize("action", ["redrive", "discard"])
def test_action_without_token_is_forbidden(action: str) -> None:
    """A redrive or discard posted with no cookie and a wrong token is refused with 403 before anything runs."""
    fake = console()
    answer = Browser(app_of(fake)).post(f"/parked/1/{action}", data={"token": "wrong"})
    assert answer.status_code == 403 and "Sign in with the console token" in answer.text
    assert fake.done == []


def test_action_with_no_token_configured_says_actions_are_disabled() -> None:
    """With no console token, an action is refused with the message telling how to enable actions."""
    answer = browser(None).post("/parked/1/redrive", data={"token": ""})
    assert answer.status_code == 403 and "PICS_SYNC_CONSOLE_TOKEN" in answer.text
    assert DISABLED.split(":")[0] in answer.text


def test_sign_in_sets_an_http_only_strict_expiring_cookie() -> None:
    """Signing in with the token sets the session cookie (HttpOnly, SameSite=Strict, Max-Age) and goes back where asked."""
    http = browser()
    form = http.get("/login")
    answer = http.post("/login", data={"csrf": csrf_in(form.text), "token": TOKEN, "next": "/parked"})
    assert (answer.status_code, answer.headers["location"]) == (303, "/parked")
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "max-age=3600" in cookie
    assert TOKEN.lower() not in cookie and "secure" not in cookie  # plain http, PICS_SYNC_CONSOLE_HTTPS unset


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example/", ""])
def test_sign_in_never_redirects_off_site(target: str) -> None:
    """A ``next`` that is not a path on this server sends the operator to the parked events instead."""
    http = browser()
    form = http.get("/login")
    answer = http.post("/login", data={"csrf": csrf_in(form.text), "token": TOKEN, "next": target})
    assert answer.headers["location"] == "/parked"


def test_wrong_token_sets_no_cookie() -> None:
    """A wrong token is a 403 and no new cookie: the visitor's session stays anonymous."""
    http = browser()
    form = http.get("/login")
    answer = http.post("/login", data={"csrf": csrf_in(form.text), "token": "guess"}, headers={"Origin": ORIGIN})
    assert answer.status_code == 403 and "set-cookie" not in answer.headers
    assert "That is not the console token." in answer.text
