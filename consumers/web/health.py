"""Liveness and readiness: ``/healthz`` answers while the process runs; ``/readyz`` runs the checks.

A check is a function that returns None when all is well, or the reason it is not; the readiness
answer is 503 with a JSON body naming each check that failed. The checks are cheap and bounded by
short timeouts, so a scrape of a sick process still answers quickly.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from psycopg_pool import ConnectionPool

from consumers.metrics import state_of
from sync_core.smart_assessor.circuit import CircuitBreaker, State

if TYPE_CHECKING:
    from consumers.loop import ParallelLoop

Check = Callable[[], str | None]  # None: fine; otherwise why not
TIMEOUT_S = 2.0


@dataclass(frozen=True)
class Readiness:
    """The named checks ``/readyz`` runs, in order."""

    checks: Mapping[str, Check]

    def run(self) -> tuple[bool, dict[str, Any]]:
        """(ready, the JSON body): every check's result, and the names of those that failed."""
        results = {name: _safely(check) for name, check in self.checks.items()}
        failed = [name for name, problem in results.items() if problem is not None]
        body = {"status": "not ready" if failed else "ready", "failed": failed,
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
    circuit is closed.

    ``kafka`` asks the broker: a client of its own (a producer), since the loop's consumer admits one
    thread at a time (see ``WatchedConsumer``).
    """
    return Readiness(
        {
            "broker": broker(kafka),
            "database": database(pool),
            "partitions": partitions(loop.consumer),
            "progress": progress(loop, stall_s),
            "circuit": circuit(loop.breaker),
        }
    )


def router(readiness: Readiness) -> APIRouter:
    """``/healthz`` and ``/readyz``."""
    routes = APIRouter()

    @routes.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @routes.get("/readyz")
    def readyz() -> JSONResponse:
        ready, body = readiness.run()
        return JSONResponse(body, status_code=200 if ready else 503)

    return routes
