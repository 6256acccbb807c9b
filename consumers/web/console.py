"""The operator's console: server-rendered pages over the sync state, and the DLQ's two actions.

Pages: the overview (lag, rates, parked counts, the daily pull, what needs attention), the parked
events with Redrive and Discard, a learner's timeline (ledger, link, parked events) and the
integration settings. The pages show ids, event types, outcomes and reasons, never a learner's
fields. Redrive and Discard run the same code as ``pics-sync dlq redrive --id`` and
``dlq discard --id``, and need the console token (``auth``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import structlog
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from psycopg_pool import ConnectionPool

from consumers.metrics import state_of
from consumers.ops.redrive import KeyReport, redrive, select
from consumers.ops.status import StatusReport, collect_status, human
from consumers.service import Service
from consumers.web import queries
from consumers.web.auth import COOKIE, DISABLED, ConsoleAuth
from sync_core import settings
from sync_core.errors import SyncError
from sync_core.outcome import Kind
from sync_core.pipeline.process import RunMode
from sync_core.state.parked import ParkedEvents, ParkedFilter
from sync_core.state.settings_repo import SettingsRepository

log = structlog.get_logger("pics_sync.console")
TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
PARKED_SHOWN = 500


@dataclass
class Console:
    """What the pages read and act on: the service, the console token, and this process's consumer if any."""

    service: Service
    auth: ConsoleAuth
    loop: Any = None  # the ParallelLoop serving beside the console, for its live state
    status: Callable[[], StatusReport] | None = None  # default: collect_status on the service's config and pool

    @property
    def pool(self) -> ConnectionPool:
        """The sync-state database."""
        return self.service.pool

    def report(self) -> StatusReport:
        """Where the integration stands now."""
        return self.status() if self.status else collect_status(self.service.config, self.service.pool)

    def render(self, request: Request, page: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        """A page, with what every page needs: may the reader act, and the message of the last action."""
        shared = {"page": page, "signed_in": self.auth.signed_in(request.cookies), "actions": self.auth.enabled,
                  "disabled": DISABLED, "message": request.query_params.get("message")}  # fmt: skip
        return TEMPLATES.TemplateResponse(request, f"{page}.html", {**shared, **context}, status_code=status_code)

    def live(self) -> dict[str, Any] | None:
        """This process's consumer: its circuit, pending work and partitions with their lag."""
        if self.loop is None:
            return None
        lags = state_of(self.loop.consumer).lags
        return {"circuit": self.loop.breaker.state.value, "pending": self.loop.tracker.pending,
                "partitions": sorted(lags.items())}  # fmt: skip

    def redrive(self, parked_id: int) -> str:
        """``dlq redrive --id``: the whole key of that parked event, in order; a line saying what happened."""
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
        discarded = ParkedEvents(self.service.pool).discard([parked_id])
        log.info("console.discarded", parked_id=parked_id, discarded=discarded)
        return f"discarded parked event {parked_id}" if discarded else f"no parked event {parked_id}"


def _report_line(report: KeyReport) -> str:
    counts = ", ".join(f"{kind.value} {n}" for kind in Kind if (n := report.count(kind)))
    line = f"{report.key or '(no key)'}: redriven {len(report.outcomes)} ({counts})"
    if report.parked_again:
        line += f"; parked again: {report.reason}; {report.still_parked} still parked"
    return line


async def _form(request: Request) -> dict[str, str]:
    """An urlencoded form's fields (the last value of each)."""
    fields = parse_qs((await request.body()).decode("utf-8", "replace"))
    return {name: values[-1] for name, values in fields.items()}


def _back(path: str, message: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?{urlencode({'message': message})}", status_code=303)


def router(console: Console) -> APIRouter:
    """The console's pages and actions."""
    routes = APIRouter()
    _pages(routes, console)
    _actions(routes, console)
    _sign_in(routes, console)
    return routes


def _pages(routes: APIRouter, console: Console) -> None:
    @routes.get("/", response_class=HTMLResponse)
    def overview(request: Request) -> HTMLResponse:
        report, counts = console.report(), queries.outcome_counts(console.pool)
        outcomes = [kind.value for kind in Kind if kind is not Kind.DUPLICATE]  # the ledger records no duplicates
        return console.render(request, "overview", report=report, counts=counts, live=console.live(),
                              outcomes=outcomes, recent=human(queries.RECENT))  # fmt: skip

    @routes.get("/parked", response_class=HTMLResponse)
    def parked(request: Request, key: str | None = None, reason: str | None = None) -> HTMLResponse:
        where = ParkedFilter(key=key or None, reason=reason or None)
        events = ParkedEvents(console.pool).find(where, PARKED_SHOWN)
        return console.render(request, "parked", events=events, key=key or "", reason=reason or "", limit=PARKED_SHOWN)

    @routes.get("/learner", response_class=HTMLResponse)
    def learner(request: Request, key: str = "") -> HTMLResponse:
        key = key.strip()
        if not key:
            return console.render(request, "learner", key="")
        ledger, links = queries.ledger_of(console.pool, key), queries.learner_links(console.pool, key)
        parked = ParkedEvents(console.pool).find(ParkedFilter(key=key))
        return console.render(request, "learner", key=key, ledger=ledger, links=links, parked=parked)

    @routes.get("/settings", response_class=HTMLResponse)
    def integration_settings(request: Request) -> HTMLResponse:
        repository = SettingsRepository(console.pool)
        stored = repository.stored()
        rows = [(d.id, d.name, stored.get(d.name, str(d.default)), d.name not in stored) for d in settings.DEFINITIONS]
        return console.render(request, "settings", rows=rows, review_types=sorted(repository.review_types().items()))


def _actions(routes: APIRouter, console: Console) -> None:
    async def act(request: Request, action: Callable[[int], str], parked_id: int) -> Response:
        if not console.auth.allows(request.cookies, await _form(request)):
            reason = DISABLED if not console.auth.enabled else "Sign in with the console token first."
            return console.render(request, "login", status_code=403, problem=reason, next="/parked")
        return _back("/parked", await run_in_threadpool(action, parked_id))

    @routes.post("/parked/{parked_id}/redrive")
    async def redrive_key(request: Request, parked_id: int) -> Response:
        return await act(request, console.redrive, parked_id)

    @routes.post("/parked/{parked_id}/discard")
    async def discard_one(request: Request, parked_id: int) -> Response:
        return await act(request, console.discard, parked_id)


def _sign_in(routes: APIRouter, console: Console) -> None:
    @routes.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str = "/parked") -> HTMLResponse:
        problem = None if console.auth.enabled else DISABLED
        return console.render(request, "login", problem=problem, next=_local(next))

    @routes.post("/login")
    async def login(request: Request) -> Response:
        form = await _form(request)
        if not console.auth.token_ok(form.get("token")):
            problem = DISABLED if not console.auth.enabled else "That is not the console token."
            return console.render(request, "login", status_code=403, problem=problem, next=_local(form.get("next")))
        response = RedirectResponse(_local(form.get("next")), status_code=303)
        response.set_cookie(COOKIE, console.auth.session(), httponly=True, samesite="strict")
        log.info("console.signed_in")
        return response

    @routes.post("/logout")
    def logout() -> Response:
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(COOKIE, httponly=True, samesite="strict")
        return response


def _local(path: str | None) -> str:
    """Only a path on this server: a sign-in never sends the browser elsewhere."""
    if path and path.startswith("/") and not path.startswith("//") and "\\" not in path:
        return path
    return "/parked"
