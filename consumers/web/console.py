"""The operator's console: server-rendered pages over the sync state, and the DLQ's two actions.

Pages: the overview (lag, rates, parked counts, the daily pull, what needs attention; from figures
cached a few seconds, ``overview``; charts of the last hours from ``samples``, which ``sampling``
takes), the parked events with Redrive and Discard, the drift record per run (``drift``), a
learner's timeline (ledger with each event's repairs, link, parked events) under its in-sync
indicator (``in_sync``; gathered by ``consumers.ops.learner_view``, which ``pics-sync learner`` prints)
and the integration settings. The pages show ids, event types, outcomes, reasons and field names,
never a learner's fields' values. Redrive and Discard run the same code as ``pics-sync dlq redrive
--id`` and ``dlq discard --id``, and need a signed-in session or the console
token (``auth``, ``actions``). What an action did is shown once on the next page, from the session
(a flash), never from the query string. ``guard`` puts the security headers on every response and
checks the origin and size of every POST.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from psycopg_pool import ConnectionPool

from consumers.metrics import state_of
from consumers.ops import learner_view
from consumers.ops.redrive import KeyReport, redrive, select
from consumers.ops.status import human
from consumers.service import Service
from consumers.web import drift, overview, queries
from consumers.web.actions import actions, sign_in
from consumers.web.auth import COOKIE, DISABLED, ConsoleAuth
from consumers.web.samples import Sampler, Samples, charts
from consumers.web.sessions import Session
from sync_core import settings
from sync_core.errors import SyncError
from sync_core.outcome import Kind
from sync_core.pipeline.process import RunMode
from sync_core.state.parked import ParkedEvents
from sync_core.state.settings_repo import SettingsRepository

log = structlog.get_logger("pics_sync.console")
TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
STATIC = Path(__file__).parent / "static"
PARKED_SHOWN = 500


@dataclass
class Console:
    """What the pages read and act on: the service, the console's sign-in, and this process's consumer if any."""

    service: Service
    auth: ConsoleAuth
    loop: Any = None  # the ParallelLoop serving beside the console, for its live state
    gather: Callable[[], overview.Overview] | None = None  # default: overview.gather on the service
    samples: Samples = field(default_factory=Samples)  # the charts' history (``sampling``)
    figures: overview.Cached[overview.Overview] = field(init=False)

    def __post_init__(self) -> None:
        self.figures = overview.Cached(self.gather or (lambda: overview.gather(self.service.config, self.pool)))

    def sampling(self) -> AbstractContextManager[Sampler]:
        """Sample the overview's figures for its charts until the block ends (``samples.every_s`` apart)."""
        return Sampler(self.figures, self.samples).running()

    @property
    def pool(self) -> ConnectionPool:
        """The sync-state database."""
        return self.service.pool

    def render(
        self, request: Request, page: str, status_code: int = 200, session: Session | None = None, **context: Any
    ) -> HTMLResponse:
        """A page, with what every page needs: may the reader act, its CSRF token, and its flash message.

        ``session``: the reader's, when the caller has it (a new one gets its cookie set here).
        """
        session = session or self.auth.session(request.cookies)
        shared = {"page": page, "signed_in": session is not None and session.signed_in, "actions": self.auth.enabled,
                  "disabled": DISABLED, "csrf": session.csrf if session else "",
                  "message": self.auth.sessions.take_flash(session) if session else None}  # fmt: skip
        response = TEMPLATES.TemplateResponse(request, f"{page}.html", {**shared, **context}, status_code=status_code)
        if session is not None and request.cookies.get(COOKIE) != session.id:
            response.set_cookie(COOKIE, session.id, **self.auth.cookie(request))
        return response

    def live(self) -> dict[str, Any] | None:
        """This process's consumer: its circuit, pending work and partitions with their lag."""
        if self.loop is None:
            return None
        lags = state_of(self.loop.consumer).lags
        return {"circuit": self.loop.breaker.state.value, "pending": self.loop.tracker.pending,
                "partitions": sorted(lags.items())}  # fmt: skip

    def redrive(self, parked_id: int) -> str:
        """``dlq redrive --id``: the whole key of that parked event, in order; a line saying what happened."""
        self.figures.forget()
        refs = select(ParkedEvents(self.service.pool), parked_id=parked_id)
        if not refs:
            return f"no parked event {parked_id}: it was redriven or discarded already"
        try:
            reports = redrive(self.service, refs, RunMode())
        except SyncError as failed:
            return f"not redriven: {failed}"
        log.info("console.redriven", parked_id=parked_id, **{k.value: sum(r.count(k) for r in reports) for k in Kind})
        return "; ".join(_report_line(report) for report in reports)

    def discard(self, parked_id: int) -> str:
        """``dlq discard --id``: that parked event, for good."""
        self.figures.forget()
        discarded = ParkedEvents(self.service.pool).discard([parked_id])
        log.info("console.discarded", parked_id=parked_id, discarded=discarded)
        return f"discarded parked event {parked_id}" if discarded else f"no parked event {parked_id}"


def _report_line(report: KeyReport) -> str:
    counts = ", ".join(f"{kind.value} {n}" for kind in Kind if (n := report.count(kind)))
    line = f"{report.key or '(no key)'}: redriven {len(report.outcomes)} ({counts})"
    if report.parked_again:
        line += f"; parked again: {report.reason}; {report.still_parked} still parked"
    return line


def router(console: Console) -> APIRouter:
    """The console's pages and actions."""
    routes = APIRouter()
    _pages(routes, console)
    drift.pages(routes, console)
    actions(routes, console)
    sign_in(routes, console)
    return routes


def _pages(routes: APIRouter, console: Console) -> None:
    @routes.get("/", response_class=HTMLResponse)
    def overview_page(request: Request) -> HTMLResponse:
        figures = console.figures.get()
        outcomes = [kind.value for kind in Kind if kind is not Kind.DUPLICATE]  # the ledger records no duplicates
        return console.render(request, "overview", report=figures.report, counts=figures.counts, live=console.live(),
                              outcomes=outcomes, tiles=overview.TILES, recent=human(queries.RECENT),
                              charts=charts(console.samples.all(), console.samples.every_s),
                              every=human(timedelta(seconds=console.samples.every_s)),
                              kept=human(console.samples.keep))  # fmt: skip

    @routes.get("/parked", response_class=HTMLResponse)
    def parked(request: Request, key: str | None = None, reason: str | None = None) -> HTMLResponse:
        events = queries.parked_rows(console.pool, key or None, reason or None, PARKED_SHOWN)
        return console.render(request, "parked", events=events, key=key or "", reason=reason or "", limit=PARKED_SHOWN)

    @routes.get("/learner", response_class=HTMLResponse)
    def learner(request: Request, key: str = "") -> HTMLResponse:
        key = key.strip()
        if not key:
            return console.render(request, "learner", key="")
        view = learner_view.gather(console.pool, key)
        return console.render(request, "learner", key=key, ledger=view.ledger, links=view.links,
                              parked=view.parked_count, repairs=view.repairs, state=view.state)  # fmt: skip

    @routes.get("/settings", response_class=HTMLResponse)
    def integration_settings(request: Request) -> HTMLResponse:
        repository = SettingsRepository(console.pool)
        stored = repository.stored()
        rows = [(d.id, d.name, stored.get(d.name, str(d.default)), d.name not in stored) for d in settings.DEFINITIONS]
        return console.render(request, "settings", rows=rows, review_types=sorted(repository.review_types().items()))
