"""The overview's figures: gathered once per few seconds however many ask, at once or one after another."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest
from pydantic import SecretStr

import consumers.web.console as console_module
from consumers.web.auth import ConsoleAuth
from consumers.web.console import Console
from consumers.web.overview import Cached, Overview
from tests.unit.consumers.web.console_app import ORIGIN, TOKEN, Browser, Clock, app_of, empty_overview, signed_in


def test_cached_within_its_lifetime_and_gathered_after() -> None:
    """Within ``ttl_s`` the same value comes back; after it, a new gathering; ``forget`` asks for one now."""
    clock, gathered = Clock(), []
    cache = Cached(lambda: gathered.append(1) or len(gathered), ttl_s=5, clock=clock)
    assert [cache.get(), cache.get()] == [1, 1]
    clock.advance(5)
    assert cache.get() == 2
    cache.forget()
    assert cache.get() == 3


def test_one_gathering_at_a_time_the_others_served_the_last_value() -> None:
    """While one request gathers, the others get the stale value at once instead of gathering too."""
    clock, started, release = Clock(), threading.Event(), threading.Event()
    calls: list[int] = []

    def slow() -> int:
        calls.append(1)
        if len(calls) > 1:
            started.set()
            release.wait(5)
        return len(calls)

    cache = Cached(slow, ttl_s=5, clock=clock)
    assert cache.get() == 1
    clock.advance(10)
    gatherer = threading.Thread(target=cache.get)
    gatherer.start()
    assert started.wait(5)
    assert [cache.get() for _ in range(20)] == [1] * 20  # stale, not blocked, not gathered again
    release.set()
    gatherer.join(5)
    assert cache.get() == 2 and len(calls) == 2


def test_first_requests_wait_for_the_one_gathering() -> None:
    """With no value yet, concurrent requests wait for a single gathering and share it."""
    calls: list[int] = []

    def slow() -> int:
        calls.append(1)
        time.sleep(0.2)
        return 42

    cache = Cached(slow, ttl_s=5)
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(cache.get())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert results == [42] * 8 and len(calls) == 1


class DiscardsAny:
    """``ParkedEvents`` as Discard sees it: every id is there once."""

    def __init__(self, pool: object) -> None:
        pass

    def discard(self, ids: list[int]) -> int:
        return len(ids)


def test_overview_page_gathers_once_for_many_loads_and_again_after_an_action(monkeypatch: pytest.MonkeyPatch) -> None:
    """Twenty loads of / cost one gathering (so one round of Kafka clients); a Discard makes the next load gather."""
    monkeypatch.setattr(console_module, "ParkedEvents", DiscardsAny)
    gathered: list[Overview] = []

    def gather() -> Overview:
        gathered.append(empty_overview())
        return gathered[-1]

    real = Console(SimpleNamespace(pool=None), ConsoleAuth(SecretStr(TOKEN)), gather=gather)  # type: ignore[arg-type]
    http = Browser(app_of(real))
    assert all(http.get("/").status_code == 200 for _ in range(20)) and len(gathered) == 1
    csrf = signed_in(http)
    assert http.post("/parked/7/discard", data={"csrf": csrf}, headers={"Origin": ORIGIN}).status_code == 303
    assert "discarded parked event 7" in http.get("/").text and len(gathered) == 2
