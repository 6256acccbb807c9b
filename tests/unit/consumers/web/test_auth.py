"""The console token: actions need it (or the session cookie a sign-in sets); with no token they are disabled."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from consumers.metrics import Metrics
from consumers.web import health
from consumers.web.app import build_app
from consumers.web.auth import COOKIE, DISABLED, ConsoleAuth
from consumers.web.console import Console
from tests.unit.asgi import AsgiClient

TOKEN = "s3cret-console-token"


class NoService:
    """A service no test here reaches: every request below stops at the token check."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the console touched the service ({name}) before checking the token")


def client(token: str | None) -> AsgiClient:
    console = Console(NoService(), ConsoleAuth(None if token is None else SecretStr(token)))  # type: ignore[arg-type]
    return AsgiClient(build_app(Metrics(CollectorRegistry()), health.Readiness({}), console))


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
    assert not auth.enabled and not auth.token_ok("") and not auth.allows({COOKIE: ""}, {"token": ""})
    assert not ConsoleAuth(SecretStr("")).enabled


def test_session_cookie_holds_no_token() -> None:
    """The cookie is an HMAC of the token, not the token; a forged cookie passes nothing."""
    auth = ConsoleAuth(SecretStr(TOKEN))
    assert TOKEN not in auth.session() and auth.signed_in({COOKIE: auth.session()})
    assert not auth.signed_in({COOKIE: "0" * 64}) and not auth.signed_in({COOKIE: "é"})


@pytest.mark.parametrize("action", ["redrive", "discard"])
def test_action_without_token_is_forbidden(action: str) -> None:
    """A redrive or discard posted with no cookie and no token is refused with 403 before anything runs."""
    http = client(TOKEN)
    answer = http.post(f"/parked/1/{action}", data={"token": "wrong"})
    assert answer.status_code == 403 and "Sign in with the console token" in answer.text


def test_action_with_no_token_configured_says_actions_are_disabled() -> None:
    """With no console token, an action is refused with the message telling how to enable actions."""
    http = client(None)
    answer = http.post("/parked/1/redrive", data={"token": ""})
    assert answer.status_code == 403 and "PICS_SYNC_CONSOLE_TOKEN" in answer.text
    assert DISABLED.split(":")[0] in answer.text


def test_sign_in_sets_an_http_only_strict_cookie() -> None:
    """Signing in with the token sets the session cookie (HttpOnly, SameSite=Strict) and goes back where asked."""
    http = client(TOKEN)
    answer = http.post("/login", data={"token": TOKEN, "next": "/parked"}, follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/parked")
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and TOKEN.lower() not in cookie


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example/", ""])
def test_sign_in_never_redirects_off_site(target: str) -> None:
    """A ``next`` that is not a path on this server sends the operator to the parked events instead."""
    http = client(TOKEN)
    answer = http.post("/login", data={"token": TOKEN, "next": target}, follow_redirects=False)
    assert answer.headers["location"] == "/parked"


def test_wrong_token_sets_no_cookie() -> None:
    """A wrong token is a 403 and no cookie."""
    http = client(TOKEN)
    answer = http.post("/login", data={"token": "guess"}, follow_redirects=False)
    assert answer.status_code == 403 and "set-cookie" not in answer.headers
