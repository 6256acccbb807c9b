"""The operator's console against a hostile page, in a real headless Chromium, on the real broker, PostgreSQL and SA sandbox.

Contract: with the operator signed in, a form on another origin (here another port of the same
host: same site, so Chromium sends the SameSite=Strict cookie along) that posts Discard is refused
403 with one line, even carrying the session's real CSRF token; the console's own Discard form with
its CSRF field taken out is refused 403; a session cookie replayed after its lifetime lands on the
sign-in page saying the session expired; ``?message=<script>`` runs nothing and shows nothing. In
each case the parked event is still there.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from prometheus_client import CollectorRegistry
from pydantic import SecretStr
from selenium import webdriver
from selenium.webdriver.common.by import By

from consumers.metrics import Metrics
from consumers.producer import EventProducer
from consumers.service import Service
from consumers.web import guard, health
from consumers.web.actions import CSRF_REFUSED, EXPIRED
from consumers.web.app import build_app
from consumers.web.auth import COOKIE, ConsoleAuth
from consumers.web.console import Console
from consumers.web.server import HttpServer
from sync_core.outcome import Tally
from sync_core.state.settings_repo import SettingsRepository
from tests.browser.test_console_chromium import PUSH_SETTINGS, TOKEN, free_port, scalar, sign_in, text, wait_for
from tests.learners import new_learner, parking_on_unknown_status, send

pytestmark = pytest.mark.integration

TTL_S = 3.0
PARKED = "SELECT count(*) FROM sync.parked_events"


@pytest.fixture
def console(service: Service) -> Iterator[str]:
    """The console on this test's service, its sessions living ``TTL_S`` seconds; yields its base URL."""
    auth = ConsoleAuth(SecretStr(TOKEN), session_ttl_s=TTL_S)
    app = build_app(Metrics(CollectorRegistry()), health.Readiness({}), Console(service, auth))
    with HttpServer(app, "127.0.0.1", free_port()).start() as server:
        yield server.url


@pytest.fixture
def parked(service: Service, producer: EventProducer, drain: Callable[[], Tally]) -> int:
    """One event parked (an unknown completion status, A1); its id."""
    SettingsRepository(service.pool).set_many(PUSH_SETTINGS)
    send(producer, "L-WEB-HOSTILE", parking_on_unknown_status(service, new_learner(31, "L-WEB-HOSTILE")))
    drain()
    assert scalar(service, PARKED) == 1
    return scalar(service, "SELECT id FROM sync.parked_events")


def hostile_site(target: str, fields: dict[str, str]) -> FastAPI:
    """Another origin's page: a form that posts ``fields`` to ``target`` when its button is pressed."""
    app = FastAPI()
    hidden = "".join(f'<input type="hidden" name="{name}" value="{value}">' for name, value in fields.items())
    page = f'<!doctype html><form method="post" action="{target}">{hidden}<button id="go">Win a prize</button></form>'

    @app.get("/", response_class=HTMLResponse)
    def prize() -> str:
        return page

    return app


def signed_in_on_parked(browser: webdriver.Chrome, console: str) -> str:
    """Sign in from the Parked page; the CSRF token its forms carry."""
    browser.delete_all_cookies()
    browser.get(console + "/parked")
    sign_in(browser, console)
    return str(browser.find_element(By.CSS_SELECTOR, "#parked form input[name=csrf]").get_attribute("value"))


def body(browser: webdriver.Chrome) -> str:
    return text(browser, "body")


def test_cross_origin_discard_is_refused(
    browser: webdriver.Chrome, console: str, service: Service, parked: int
) -> None:
    """Another origin's form posting Discard with the operator's cookie, even with the real CSRF token, is 403 and discards nothing."""
    csrf = signed_in_on_parked(browser, console)
    evil = hostile_site(f"{console}/parked/{parked}/discard", {"csrf": csrf})
    with HttpServer(evil, "127.0.0.1", free_port()).start() as site:
        browser.get(site.url + "/")
        browser.find_element(By.CSS_SELECTOR, "#go").click()
        wait_for(browser, lambda b: b.current_url.startswith(console))
        assert body(browser) == guard.CROSS_ORIGIN.strip()
    assert scalar(service, PARKED) == 1
    browser.get(console + "/parked")  # the operator's session is still good for the console's own pages
    assert browser.find_elements(By.CSS_SELECTOR, "#sign-out")


def test_discard_without_its_csrf_token_is_refused(
    browser: webdriver.Chrome, console: str, service: Service, parked: int
) -> None:
    """The console's own Discard form with its CSRF field taken out is 403 and discards nothing."""
    signed_in_on_parked(browser, console)
    browser.execute_script("document.querySelectorAll('#parked input[name=csrf]').forEach(field => field.remove())")
    browser.find_element(By.CSS_SELECTOR, "#parked button.discard").click()
    browser.switch_to.alert.accept()
    wait_for(browser, lambda b: CSRF_REFUSED.strip() in body(b))
    assert scalar(service, PARKED) == 1


def test_replayed_expired_session_goes_to_sign_in(
    browser: webdriver.Chrome, console: str, service: Service, parked: int
) -> None:
    """A session cookie put back after its lifetime is refused: the browser is sent to sign in, nothing is discarded."""
    signed_in_on_parked(browser, console)
    stolen = browser.get_cookie(COOKIE)
    assert stolen is not None and stolen["httpOnly"] and stolen["sameSite"] == "Strict"
    time.sleep(TTL_S + 0.5)
    browser.delete_cookie(COOKIE)
    replay: dict[str, Any] = {k: stolen[k] for k in ("name", "value", "path", "httpOnly", "sameSite")}
    browser.add_cookie(replay)  # no expiry: Chromium keeps it, as a thief's browser would
    browser.find_element(By.CSS_SELECTOR, "#parked button.discard").click()  # the page from before expiry
    browser.switch_to.alert.accept()
    wait_for(browser, lambda b: "/login" in b.current_url and b.find_elements(By.CSS_SELECTOR, "#message"))
    assert text(browser, "#message") == EXPIRED
    assert browser.get_cookie(COOKIE)["value"] != stolen["value"]  # type: ignore[index]
    assert scalar(service, PARKED) == 1


def test_message_in_the_url_runs_and_shows_nothing(browser: webdriver.Chrome, console: str) -> None:
    """``?message=<script>…`` on any page neither runs nor shows."""
    browser.get(console + "/parked?message=<script>window.pwned=1</script><b id=pwned>pwned</b>")
    assert browser.execute_script("return window.pwned") is None
    assert not browser.find_elements(By.CSS_SELECTOR, "#pwned, #message") and "pwned" not in browser.page_source
