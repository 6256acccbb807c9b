"""The real console app over a service no test here reaches, and a client that keeps cookies as a browser does."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from consumers.metrics import Metrics
from consumers.ops.status import StatusReport
from consumers.web import health
from consumers.web.app import build_app
from consumers.web.auth import ConsoleAuth
from consumers.web.console import Console
from consumers.web.overview import Overview

TOKEN = "console-token-of-the-unit-tests-0123456789"
ORIGIN = "http://console.test"  # the base URL the clients below call


class NoService:
    """A service no test here reaches: pages and actions that would need it are faked below."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the console touched the service ({name})")


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class FakeConsole(Console):
    """The real console, its actions recorded instead of run, its overview from ``gathered``."""

    done: list[tuple[str, int]] = field(default_factory=list)

    def redrive(self, parked_id: int) -> str:
        self.done.append(("redrive", parked_id))
        return f"redriven {parked_id}"

    def discard(self, parked_id: int) -> str:
        self.done.append(("discard", parked_id))
        return f"discarded parked event {parked_id}"


def empty_overview() -> Overview:
    return Overview(StatusReport(datetime.now(UTC), ()), {})


def console(token: str | None = TOKEN, **auth: Any) -> FakeConsole:
    """A console with that token (None: actions disabled); ``auth``: ConsoleAuth's keywords."""
    sign_in = ConsoleAuth(None if token is None else SecretStr(token), **auth)
    return FakeConsole(NoService(), sign_in, gather=empty_overview)  # type: ignore[arg-type]


def app_of(fake: Console) -> FastAPI:
    return build_app(Metrics(CollectorRegistry()), health.Readiness({}), fake)


class Browser:
    """Calls an ASGI app in-process over httpx, keeping the cookies it is given between calls."""

    def __init__(self, app: Any, base_url: str = ORIGIN, client: tuple[str, int] = ("127.0.0.1", 50000)) -> None:
        self.app, self.base_url, self.client = app, base_url, client
        self.cookies = httpx.Cookies()

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        kwargs.setdefault("follow_redirects", False)
        return self.request("POST", url, **kwargs)

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def call() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app, client=self.client)
            async with httpx.AsyncClient(transport=transport, base_url=self.base_url, cookies=self.cookies) as http:
                answer = await http.request(method, url, **kwargs)
                self.cookies = httpx.Cookies(http.cookies)
                return answer

        return asyncio.run(call())


def csrf_in(page: str) -> str:
    """The CSRF token of the first form on a page."""
    found = re.search(r'name="csrf" value="([^"]*)"', page)
    assert found, "no CSRF field on the page"
    return found.group(1)


def signed_in(browser: Browser, token: str = TOKEN) -> str:
    """Sign in through the form as a browser does; returns the signed-in session's CSRF token."""
    form = browser.get("/login")
    answer = browser.post("/login", data={"csrf": csrf_in(form.text), "token": token, "next": "/parked"},
                          headers={"Origin": browser.base_url})  # fmt: skip
    assert answer.status_code == 303, answer.text
    return csrf_in(browser.get("/login").text)
