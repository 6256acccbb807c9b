"""Liveness and readiness: ``/healthz`` answers while the process runs and its poll thread polls;
``/readyz`` runs the checks.

A check is a function that returns None when all is well, or the reason it is not; either answer is
503 with a JSON body naming each check that failed. The checks are cheap and bounded by short
timeouts, so a scrape of a sick process still answers quickly.

Liveness asks only what a restart cures: a poll thread stuck somewhere. A database or broker that is
away fails readiness, not liveness: restarting every consumer would not bring it back.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from psycopg_pool import ConnectionPool

from consumers.metrics import WatchedConsumer, state_of
from sync_core.smart_assessor.circuit import CircuitBreaker, State

if TYPE_CHECKING:
    from consumers.loop import ParallelLoop

Check = Callable[[], str | None]  # None: fine; otherwise why not
TIMEOUT_S = 2.0


@dataclass(frozen=True)
class Readiness:
    """The named checks ``/readyz`` runs, in order, and those ``/healthz`` runs (``alive``)."""

    checks: Mapping[str, Check]
    alive: Mapping[str, Check] = field(default_factory=dict)

    def run(self) -> tuple[bool, dict[str, Any]]:
        """(ready, the JSON body): every check's result, and the names of those that failed."""
        return _run(self.checks, "ready", "not ready")

    def live(self) -> tuple[bool, dict[str, Any]]:
        """(alive, the JSON body): ``{"status": "alive"}``, or the liveness checks that failed."""
        alive, body = _run(self.alive, "alive", "stuck")
        return alive, {"status": "alive"} if alive else body


def _run(checks: Mapping[str, Check], good: str, bad: str) -> tuple[bool, dict[str, Any]]:
    results = {name: _safely(check) for name, check in checks.items()}
    failed = [name for name, problem in results.items() if problem is not None]
    body = {"status": bad if failed else good, "failed": failed,
            "checks": {name: problem or "ok" for name, problem in results.items()}}  # fmt: skip
    return not failed, body


def _safely(check: Check) -> str | None:
    try:
        return check()
    except Exception as failed:  # a check that raises has failed; its class says how
        return f"{type(failed).__name__}: {failed}"


def database(pool: ConnectionPool, timeout: float = TIMEOUT_S) -> Check:
    """The sync-state database answers a query."""

    def check() -> str | None:
        with pool.connection(timeout=timeout) as conn:
            conn.execute("SELECT 1")
        return None

    return check


def broker(client: Any, timeout: float = TIMEOUT_S) -> Check:
    """A Kafka broker answers a metadata request (``client``: a consumer or producer)."""

    def check() -> str | None:
        client.list_topics(timeout=timeout)
        return None

    return check


def partitions(consumer: Any, stale_after: float = 30.0) -> Check:
    """The poll thread is polling (its copy of the state is fresh) and the group gave it a partition."""

    def check() -> str | None:
        state = state_of(consumer)
        if state.taken_at is None:
            return "the consume loop has not polled yet"
        if time.monotonic() - state.taken_at > stale_after:
            return f"the consume loop has not polled for {stale_after:.0f} s"
        return None if state.lags else "no partitions assigned"

    return check


def polling(consumer: WatchedConsumer, stuck_after: float, clock: Callable[[], float] = time.monotonic) -> Check:
    """The poll thread is not stuck: it polled within ``stuck_after`` seconds (before its first poll,
    counted from now)."""
    since = clock()

    def check() -> str | None:
        taken_at = state_of(consumer).taken_at
        idle = clock() - (since if taken_at is None else taken_at)
        return None if idle <= stuck_after else f"the consume loop has not polled for {idle:.0f} s"

    return check


def circuit(breaker: CircuitBreaker) -> Check:
    """SA's circuit breaker is closed: calls flow."""
    return lambda: None if (state := breaker.state) is State.CLOSED else f"SA circuit breaker is {state.value}"


def progress(loop: ParallelLoop, stall_s: float) -> Check:
    """Work moves: while events are pending, one finished in the last ``stall_s`` seconds.

    A consumer whose workers are stuck answers every other check; this one turns it unready, so an
    orchestrator restarts it (PICS_SYNC_STALL_S).
    """

    def check() -> str | None:
        stalled = loop.stalled_for()
        if stalled <= stall_s:
            return None
        return f"no event finished for {stalled:.0f} s while {loop.tracker.pending} are pending"

    return check


def for_loop(pool: ConnectionPool, loop: ParallelLoop, kafka: Any, stall_s: float = 120.0) -> Readiness:
    """A consumer is ready when broker and database answer, it has partitions, its work moves, and SA's
    circuit is closed; alive while its poll thread polls at least every ``stall_s`` seconds.

    ``kafka`` asks the broker: a client of its own (a producer), since the loop's consumer admits one
    thread at a time (see ``WatchedConsumer``). A revoke holds the poll thread on purpose while its
    partitions' work ends (``revoke_grace_s``, then ``fence_wait_s``): not a stuck loop.
    """
    ready = {
        "broker": broker(kafka),
        "database": database(pool),
        "partitions": partitions(loop.consumer),
        "progress": progress(loop, stall_s),
        "circuit": circuit(loop.breaker),
    }
    if not isinstance(loop.consumer, WatchedConsumer):  # its poll times are not known
        return Readiness(ready)
    stuck_after = max(stall_s, loop.revoke_grace_s + loop.fence_wait_s)
    return Readiness(ready, {"polling": polling(loop.consumer, stuck_after)})


def router(readiness: Readiness) -> APIRouter:
    """``/healthz`` and ``/readyz``."""
    routes = APIRouter()

    @routes.get("/healthz")
    def healthz() -> JSONResponse:
        alive, body = readiness.live()
        return JSONResponse(body, status_code=200 if alive else 503)

    @routes.get("/readyz")
    def readyz() -> JSONResponse:
        ready, body = readiness.run()
        return JSONResponse(body, status_code=200 if ready else 503)

    return routes
