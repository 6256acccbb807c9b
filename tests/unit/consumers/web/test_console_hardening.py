"""The console against a hostile network, by plain HTTP on the real app: each attack refused, the operator served.

Contract: a POST from another origin is 403 with one line, whatever it carries; a POST without its
session's CSRF token is 403; a replayed expired (or signed-out) session is sent to sign in again
with nothing run; wrong tokens earn a growing 429 per client; a body over the cap is 413; every
response carries CSP (no inline script), X-Frame-Options, nosniff and Referrer-Policy; a message
shows once, from the session, and never from ``?message=``.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

import consumers.web.console as console_module
from consumers.web import guard, throttle
from consumers.web.actions import CSRF_REFUSED, EXPIRED
from consumers.web.auth import COOKIE
from tests.unit.consumers.web.console_app import (
    ORIGIN,
    TOKEN,
    Browser,
    Clock,
    FakeConsole,
    app_of,
    console,
    csrf_in,
    signed_in,
)

SAME = {"Origin": ORIGIN}
ACTIONS = ["/parked/7/redrive", "/parked/7/discard"]
EVERY_POST = [*ACTIONS, "/login", "/logout"]


@pytest.fixture
def fake() -> FakeConsole:
    return console()


@pytest.fixture
def http(fake: FakeConsole) -> Browser:
    return Browser(app_of(fake))


@pytest.mark.parametrize("path", EVERY_POST)
@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Origin": "https://evil.example"}, id="origin-evil"),
        pytest.param({"Origin": "http://console.test.evil.example"}, id="origin-suffix"),
        pytest.param({"Origin": "http://console.test:8443"}, id="origin-other-port"),
        pytest.param({"Origin": "null"}, id="origin-null"),
        pytest.param({"Referer": "https://evil.example/page"}, id="referer-evil"),
        pytest.param({"Referer": "not a url"}, id="referer-unreadable"),
    ],
)
def test_cross_origin_post_is_refused(fake: FakeConsole, http: Browser, path: str, headers: dict[str, str]) -> None:
    """Another site's POST is 403 with one line before anything runs, even with the session and its CSRF token."""
    csrf = signed_in(http)
    answer = http.post(path, data={"csrf": csrf, "token": TOKEN, "next": "/parked"}, headers=headers)
    assert (answer.status_code, answer.text) == (403, guard.CROSS_ORIGIN)
    assert answer.text.count("\n") == 1 and fake.done == []
    assert COOKIE not in answer.headers.get("set-cookie", "")


def test_same_origin_action_goes_through_and_says_so_once(fake: FakeConsole, http: Browser) -> None:
    """The console's own form (its Origin, its CSRF token) runs the action; the next page shows what it did, once."""
    csrf = signed_in(http)
    answer = http.post("/parked/7/discard", data={"csrf": csrf}, headers=SAME)
    assert (answer.status_code, answer.headers["location"]) == (303, "/parked")  # no message in the URL
    assert fake.done == [("discard", 7)]
    assert 'id="message">discarded parked event 7<' in http.get("/").text
    assert 'id="message"' not in http.get("/").text


def test_post_without_origin_or_referer_still_needs_the_csrf_token(fake: FakeConsole, http: Browser) -> None:
    """No Origin and no Referer (not a browser) passes the origin check, and the CSRF token is still asked for."""
    csrf = signed_in(http)
    assert http.post("/parked/7/redrive", data={}).status_code == 403
    assert http.post("/parked/7/redrive", data={"csrf": csrf}).status_code == 303
    assert fake.done == [("redrive", 7)]


@pytest.mark.parametrize("path", [*ACTIONS, "/logout"])
@pytest.mark.parametrize("csrf", [None, "", "forged-csrf-token"], ids=["missing", "empty", "forged"])
def test_post_without_its_csrf_token_is_refused(fake: FakeConsole, http: Browser, path: str, csrf: str | None) -> None:
    """A signed-in session's POST without its CSRF token is 403 with one line, and nothing runs."""
    signed_in(http)
    data = {} if csrf is None else {"csrf": csrf}
    answer = http.post(path, data=data, headers=SAME)
    assert (answer.status_code, answer.text) == (403, CSRF_REFUSED) and fake.done == []
    assert "Sign out" in http.get("/").text  # a refused sign-out ends nothing


@pytest.mark.parametrize("csrf", [None, "forged-csrf-token"], ids=["missing", "forged"])
def test_sign_in_without_its_csrf_token_is_refused(http: Browser, csrf: str | None) -> None:
    """Signing in needs the sign-in form's CSRF token, the right console token notwithstanding."""
    http.get("/login")
    data = {"token": TOKEN} | ({} if csrf is None else {"csrf": csrf})
    answer = http.post("/login", data=data, headers=SAME)
    assert (answer.status_code, answer.text) == (403, CSRF_REFUSED)
    assert "Sign out" not in http.get("/").text


def test_another_sessions_csrf_token_is_refused(fake: FakeConsole) -> None:
    """A CSRF token is its session's: one seen in another session (the attacker's own) is worth nothing."""
    app = app_of(fake)
    operator, attacker = Browser(app), Browser(app)
    signed_in(operator)
    theirs = signed_in(attacker)
    assert operator.post("/parked/7/discard", data={"csrf": theirs}, headers=SAME).status_code == 403
    assert fake.done == []


def test_replayed_expired_session_is_refused() -> None:
    """A session cookie replayed after its lifetime goes to sign-in with nothing run, and stays dead."""
    clock = Clock()
    fake = console(session_ttl_s=60, clock=clock)
    http = Browser(app_of(fake))
    csrf = signed_in(http)
    replayed = http.cookies[COOKIE]
    clock.advance(61)
    answer = http.post("/parked/7/discard", data={"csrf": csrf}, headers=SAME)
    assert (answer.status_code, answer.headers["location"]) == (303, "/login?next=%2Fparked")
    assert fake.done == [] and http.cookies[COOKIE] != replayed
    assert EXPIRED in http.get("/login").text
    http.cookies.set(COOKIE, replayed, domain="console.test")
    again = http.post("/parked/7/redrive", data={"csrf": csrf}, headers=SAME)
    assert again.status_code == 303 and again.headers["location"].startswith("/login") and fake.done == []


def test_session_lives_until_its_lifetime() -> None:
    """Up to its lifetime the session acts; the lifetime counts from sign-in, however busy."""
    clock = Clock()
    fake = console(session_ttl_s=60, clock=clock)
    http = Browser(app_of(fake))
    csrf = signed_in(http)
    clock.advance(59)
    assert http.post("/parked/7/redrive", data={"csrf": csrf}, headers=SAME).status_code == 303
    clock.advance(2)
    assert http.post("/parked/7/redrive", data={"csrf": csrf}, headers=SAME).headers["location"].startswith("/login")
    assert fake.done == [("redrive", 7)]


def test_signed_out_session_is_dead(fake: FakeConsole, http: Browser) -> None:
    """Sign-out ends the session on the server: its cookie replayed afterwards acts no more."""
    csrf = signed_in(http)
    replayed = http.cookies[COOKIE]
    assert http.post("/logout", data={"csrf": csrf}, headers=SAME).status_code == 303
    http.cookies.set(COOKIE, replayed, domain="console.test")
    answer = http.post("/parked/7/discard", data={"csrf": csrf}, headers=SAME)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login") and fake.done == []


def test_sign_in_replaces_the_anonymous_session(fake: FakeConsole, http: Browser) -> None:
    """The id a visitor had on the sign-in form is not the signed-in one, and no longer names a session."""
    before = http.get("/login")
    anonymous = http.cookies[COOKIE]
    http.post("/login", data={"csrf": csrf_in(before.text), "token": TOKEN}, headers=SAME)
    assert http.cookies[COOKIE] != anonymous and fake.auth.sessions.get(anonymous) is None


@pytest.fixture
def clock() -> Clock:
    return Clock()


def wrong_sign_in(http: Browser) -> httpx.Response:
    return http.post("/login", data={"csrf": csrf_in(http.get("/login").text), "token": "guess"}, headers=SAME)


def test_wrong_tokens_earn_a_growing_back_off(clock: Clock) -> None:
    """Five wrong tokens are free; then each shuts the client out twice as long, and while shut out even the right token gets 429."""
    http = Browser(app_of(console(clock=clock)))
    assert [wrong_sign_in(http).status_code for _ in range(throttle.FREE_FAILURES + 1)] == [403] * 6
    for wait in (1, 2, 4, 8):
        refused = http.post("/login", data={"csrf": csrf_in(http.get("/login").text), "token": TOKEN}, headers=SAME)
        assert (refused.status_code, refused.headers["retry-after"]) == (429, str(wait))
        assert "Too many wrong console tokens" in refused.text
        clock.advance(wait)
        assert wrong_sign_in(http).status_code == 403
    clock.advance(16)
    signed_in(http)  # the right token, once the wait is over, signs in and clears the record
    assert wrong_sign_in(http).status_code == 403


def test_back_off_is_per_client_and_covers_the_script_path(clock: Clock) -> None:
    """A guessing address is shut out, on the form and on an action's ``token`` field; another address is not."""
    fake = console(clock=clock)
    guesser, operator = Browser(app_of(fake), client=("10.0.0.66", 1)), Browser(app_of(fake), client=("10.0.0.7", 1))
    for _ in range(throttle.FREE_FAILURES + 1):
        assert guesser.post("/parked/7/discard", data={"token": "guess"}).status_code == 403
    assert guesser.post("/parked/7/discard", data={"token": TOKEN}).status_code == 429
    assert fake.done == []
    answer = operator.post("/parked/7/discard", data={"token": TOKEN})
    assert (answer.status_code, answer.text) == (200, "discarded parked event 7\n") and fake.done == [("discard", 7)]


def test_forgotten_after_the_window(clock: Clock) -> None:
    """Failures older than the window are forgotten."""
    http = Browser(app_of(console(clock=clock)))
    for _ in range(throttle.FREE_FAILURES):
        wrong_sign_in(http)
    clock.advance(throttle.WINDOW + 1)
    assert wrong_sign_in(http).status_code == 403
    assert wrong_sign_in(http).status_code == 403  # the count started again: still free


async def chunks(size: int) -> AsyncIterator[bytes]:
    """A body sent in pieces with no Content-Length (chunked), as a client that lies about nothing would."""
    sent = 0
    while sent < size:
        yield b"a" * 1024
        sent += 1024


@pytest.mark.parametrize("path", ["/login", "/parked/7/discard", "/logout", "/metrics", "/nowhere"])
def test_body_over_the_cap_is_413(fake: FakeConsole, http: Browser, path: str) -> None:
    """A body over MAX_BODY is 413, declared (Content-Length) or streamed (chunked), and no route sees it."""
    csrf = signed_in(http)
    declared = http.post(path, content=b"csrf=" + csrf.encode() + b"&x=" + b"a" * guard.MAX_BODY, headers=SAME)
    streamed = http.post(path, content=chunks(guard.MAX_BODY + 1024), headers=SAME)
    assert (declared.status_code, streamed.status_code) == (413, 413) and fake.done == []
    assert declared.text == guard.TOO_LARGE


def test_body_under_the_cap_is_read_whole(fake: FakeConsole, http: Browser) -> None:
    """A form just under the cap reaches the route in full (its last field is read)."""
    csrf = signed_in(http)
    padding = "a" * (guard.MAX_BODY - 200)
    answer = http.post("/parked/7/discard", content=f"pad={padding}&csrf={csrf}".encode(), headers=SAME)
    assert answer.status_code == 303 and fake.done == [("discard", 7)]


def headers_of(answer: httpx.Response) -> dict[str, str]:
    return {name.decode(): answer.headers.get(name.decode(), "") for name, _value in guard.SECURITY_HEADERS}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/", 200),
        ("GET", "/login", 200),
        ("GET", "/metrics", 200),
        ("GET", "/healthz", 200),
        ("GET", "/static/console.css", 200),
        ("GET", "/static/console.js", 200),
        ("GET", "/nowhere", 404),
        ("POST", "/parked/7/discard", 403),
    ],
)
def test_security_headers_on_every_response(http: Browser, method: str, path: str, status: int) -> None:
    """CSP without inline script, X-Frame-Options DENY, nosniff and Referrer-Policy on pages, metrics, files and errors."""
    answer = http.request(method, path, headers={"Origin": "https://evil.example"} if method == "POST" else {})
    assert answer.status_code == status
    found = headers_of(answer)
    csp = found["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "default-src 'none'" in csp
    assert (found["x-frame-options"], found["x-content-type-options"]) == ("DENY", "nosniff")
    assert found["referrer-policy"] in ("no-referrer", "strict-origin")


def test_static_files_have_their_types(http: Browser) -> None:
    """The style sheet and the script are served as CSS and JavaScript (nosniff needs the right type)."""
    assert http.get("/static/console.css").headers["content-type"].startswith("text/css")
    assert "javascript" in http.get("/static/console.js").headers["content-type"]


def inline_code(page: str) -> list[str]:
    """The script bodies, style elements or attributes and on… handlers in a page or template."""
    return re.findall(r"<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle=|\son[a-z]+=", page)


def test_pages_hold_no_inline_script_or_style(http: Browser) -> None:
    """No page or template carries a script body, a style element or attribute, or an on… handler: the CSP would block them."""
    signed_in(http)
    assert {path: inline_code(http.get(path).text) for path in ("/", "/login")} == {"/": [], "/login": []}
    templates = sorted((Path(console_module.__file__).parent / "templates").glob("*.html"))
    assert templates and {t.name: inline_code(t.read_text(encoding="utf-8")) for t in templates} == {
        t.name: [] for t in templates
    }


@pytest.mark.parametrize("path", ["/", "/login", "/login?next=/parked"])
def test_message_in_the_query_string_is_not_reflected(http: Browser, path: str) -> None:
    """``?message=<script>…`` shows nowhere on the page, escaped or not: messages come from the session."""
    payload = "<script>alert('pwned')</script>"
    page = http.get(path, params={"message": payload}).text
    assert "pwned" not in page and "alert(" not in page


def test_cookie_is_secure_over_https_or_when_configured() -> None:
    """The session cookie is Secure when the request came over https, or with PICS_SYNC_CONSOLE_HTTPS set."""
    over_tls = Browser(app_of(console()), base_url="https://console.test")
    assert "secure" in over_tls.get("/login").headers["set-cookie"].lower()
    configured = Browser(app_of(console(https=True)))
    assert "secure" in configured.get("/login").headers["set-cookie"].lower()
    assert "secure" not in Browser(app_of(console())).get("/login").headers["set-cookie"].lower()


def test_with_https_configured_a_plain_http_origin_is_refused() -> None:
    """Behind a TLS ingress (PICS_SYNC_CONSOLE_HTTPS) only the https:// origin of this host may post."""
    http = Browser(app_of(console(https=True)))  # plain http to the pod, as from an ingress that ended TLS
    form = http.get("/login")
    session = form.headers["set-cookie"].split(";")[0]  # Secure: the client's jar keeps it off plain http
    data = {"csrf": csrf_in(form.text), "token": TOKEN}
    plain = http.post("/login", data=data, headers={"Origin": "http://console.test", "Cookie": session})
    assert (plain.status_code, plain.text) == (403, guard.CROSS_ORIGIN)
    tls = http.post("/login", data=data, headers={"Origin": "https://console.test", "Cookie": session})
    assert tls.status_code == 303
