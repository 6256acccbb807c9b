"""The Smart Assessor API client: the only code that knows SA's URLs and status codes.

Learners, employers, assessors, the course catalogue, a learner's course enrolments and what the
daily pull reads of a learner (sessions, OTJ hours, Smart Coach); records are SA's camelCase JSON
as dicts. Every failure is raised as ``sa_errors`` translates it (its docstring has the table);
messages carry ids, never values. Endpoints are in ``endpoints``.
Thread-safe: one instance serves every worker thread.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from datetime import date, datetime
from decimal import Decimal
from types import TracebackType
from typing import Any, Self

import httpx

from sync_core.lru import Lru
from sync_core.smart_assessor import endpoints
from sync_core.smart_assessor.auth import SaCredentials, SaTokenAuth
from sync_core.smart_assessor.endpoints import ENDPOINTS, Endpoint
from sync_core.smart_assessor.errors import (
    as_page,
    as_record,
    json_body,
    raise_for_status,
    unavailable_on_transport_error,
)
from sync_core.smart_assessor.pools import sharded_transport
from sync_core.smart_assessor.rate_limit import TokenBucket

__all__ = ["ENDPOINTS", "Endpoint", "SaClient", "SaCredentials"]

Record = dict[str, Any]
SaId = int | str
PAGE_SIZE = 100
URLS_KEPT = 10_000  # parsed URLs of the records called lately: httpx parses and joins a path on every call
_JSON_BODY = {"Content-Type": "application/json"}
# Hears of every HTTP request: (route template such as "PATCH /learners/{id}", status code or
# "timeout"/"error", seconds). The template, never the URL: ids stay out of metric labels.
OnCall = Callable[[str, str, float], None]


class SaClient:
    """Smart Assessor's API over one ``httpx.Client``, its connections pooled per thread (``http_pools``)."""

    def __init__(
        self,
        base_url: str,
        credentials: SaCredentials,
        *,
        timeout: float = 10.0,
        max_connections: int = 32,
        max_concurrency: int | None = None,
        transport: httpx.BaseTransport | None = None,
        limiter: TokenBucket | None = None,
        on_call: OnCall | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._limiter = limiter  # paces every call when SA's rate limit is known
        self._on_call = on_call
        # Calls at once, whatever the number of threads calling: the cap SA is promised.
        self._slots = None if max_concurrency is None else threading.BoundedSemaphore(max_concurrency)
        self._auth = SaTokenAuth(credentials, token_url=self.base_url + endpoints.TOKEN.path)
        self._username = credentials.username
        self._urls: Lru[tuple[Endpoint, tuple[SaId, ...]], httpx.URL] = Lru(URLS_KEPT)
        self._http = _CookielessClient(
            auth=self._auth,
            timeout=timeout,
            headers={"Accept": "application/json"},
            transport=transport or sharded_transport(max_connections),
        )

    def __repr__(self) -> str:
        return f"SaClient(base_url={self.base_url!r}, username={self._username!r})"

    def create_learner(self, fields: Mapping[str, Any]) -> Record:
        """POST /learners: the new learner, with the GUID SA gave it. ``sendWelcomeEmail`` in
        ``fields`` has SA e-mail the learner (U7)."""
        return self._record(endpoints.CREATE_LEARNER, body=fields)

    def get_learner(self, sa_id: str) -> Record:
        return self._record(endpoints.GET_LEARNER, sa_id)

    def update_learner(self, sa_id: str, fields: Mapping[str, Any]) -> Record:
        """PATCH /learners/{id}: only the keys in ``fields`` change; the updated learner."""
        return self._record(endpoints.UPDATE_LEARNER, sa_id, body=fields)

    def find_learners(self, *, mis_id: str | None = None, uln: str | None = None) -> list[Record]:
        """Learners matching every criterion given, all pages; at least one criterion."""
        return self._search(endpoints.FIND_LEARNERS, misId=mis_id, uln=uln)

    def create_employer(self, fields: Mapping[str, Any]) -> Record:
        """POST /employers: the new employer, with the number SA gave it."""
        return self._record(endpoints.CREATE_EMPLOYER, body=fields)

    def get_employer(self, sa_id: SaId) -> Record:
        return self._record(endpoints.GET_EMPLOYER, sa_id)

    def update_employer(self, sa_id: SaId, fields: Mapping[str, Any]) -> Record:
        """PATCH /employers/{id}: only the keys in ``fields`` change; the updated employer."""
        return self._record(endpoints.UPDATE_EMPLOYER, sa_id, body=fields)

    def find_employers(
        self, *, mis_id: str | None = None, edrs_number: str | None = None, postcode: str | None = None
    ) -> list[Record]:
        """Employers matching every criterion given (SA ignores case and spaces in postcodes)."""
        return self._search(endpoints.FIND_EMPLOYERS, misId=mis_id, edrsNumber=edrs_number, postcode=postcode)

    def create_assessor(self, fields: Mapping[str, Any]) -> Record:
        """POST /assessors: the new assessor, with the number SA gave it."""
        return self._record(endpoints.CREATE_ASSESSOR, body=fields)

    def get_assessor(self, sa_id: SaId) -> Record:
        return self._record(endpoints.GET_ASSESSOR, sa_id)

    def update_assessor(self, sa_id: SaId, fields: Mapping[str, Any]) -> Record:
        """PATCH /assessors/{id}: only the keys in ``fields`` change; the updated assessor."""
        return self._record(endpoints.UPDATE_ASSESSOR, sa_id, body=fields)

    def find_assessors(self, *, mis_id: str | None = None, email: str | None = None) -> list[Record]:
        """Assessors matching every criterion given (SA ignores the e-mail address's case)."""
        return self._search(endpoints.FIND_ASSESSORS, misId=mis_id, email=email)

    def list_courses(self) -> list[Record]:
        """SA's whole course catalogue: ``{id, qanCode, title}`` each."""
        return self._all_pages(endpoints.LIST_COURSES, {})

    def enrol(self, learner_id: str, fields: Mapping[str, Any]) -> Record:
        """POST /learners/{id}/courses: the new enrolment, with its number and SA's progress."""
        return self._record(endpoints.ENROL, learner_id, body=fields)

    def list_enrolments(self, learner_id: str) -> list[Record]:
        """Every course enrolment of the learner."""
        return self._all_pages(endpoints.LIST_ENROLMENTS, {}, learner_id)

    def get_enrolment(self, learner_id: str, enrolment_id: SaId) -> Record:
        return self._record(endpoints.GET_ENROLMENT, learner_id, enrolment_id)

    def update_enrolment(self, learner_id: str, enrolment_id: SaId, fields: Mapping[str, Any]) -> Record:
        """PATCH /learners/{id}/courses/{enrolmentId}: only the keys in ``fields`` change."""
        return self._record(endpoints.UPDATE_ENROLMENT, learner_id, enrolment_id, body=fields)

    def list_sessions(self, learner_id: str) -> list[Record]:
        """Every session of the learner (P2): ``{id, type, start, durationMinutes, assessorId, status,
        actualStart}``, by start."""
        return self._all_pages(endpoints.LIST_SESSIONS, {}, learner_id)

    def get_otj(self, learner_id: str) -> Record:
        """The learner's off-the-job training hours (P6): ``{plannedHours, actualHours}``."""
        return self._record(endpoints.GET_OTJ, learner_id)

    def get_smart_coach(self, learner_id: str) -> Record:
        """The learner's Smart Coach risk (P8): ``{score, band}``, band High, Medium or Low."""
        return self._record(endpoints.GET_SMART_COACH, learner_id)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _record(self, route: Endpoint, *ids: SaId, body: Mapping[str, Any] | None = None) -> Record:
        return as_record(self._send(route, *ids, body=body), route.where(*ids))

    def _search(self, route: Endpoint, **criteria: str | None) -> list[Record]:
        """Every match of the criteria given (not None); ValueError when none is."""
        given = {name: value for name, value in criteria.items() if value is not None}
        if not given:
            raise ValueError(f"{route} needs one of the criteria {', '.join(criteria)}")
        return self._all_pages(route, given)

    def _all_pages(self, route: Endpoint, criteria: Mapping[str, str], *ids: SaId) -> list[Record]:
        records: list[Record] = []
        for page in itertools.count(1):
            params: dict[str, str | int] = {**criteria, "page": page, "pageSize": PAGE_SIZE}
            items, total = as_page(self._send(route, *ids, params=params), route.where(*ids))
            records += items
            if not items or len(records) >= total:
                break
        return records

    def _send(
        self,
        route: Endpoint,
        *ids: SaId,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, str | int] | None = None,
    ) -> Any:
        """One call to SA; its JSON answer, or the translated error."""
        where = route.where(*ids)
        content = None if body is None else _encode(body)
        headers = None if body is None else _JSON_BODY
        if self._limiter is not None:
            self._limiter.acquire()
        with unavailable_on_transport_error(where), self._slots or nullcontext():
            response = self._request(route, *ids, content=content, params=params, headers=headers)
        raise_for_status(response, where, from_token_endpoint=response.url == self._auth.token_url)
        return json_body(response, where)

    def _url(self, route: Endpoint, ids: tuple[SaId, ...]) -> httpx.URL:
        """The call's absolute URL, parsed once for each record."""
        url = self._urls.get((route, ids))
        if url is None:
            url = httpx.URL(self.base_url + route.url(*ids))
            self._urls.put((route, ids), url)
        return url

    def _request(self, route: Endpoint, *ids: SaId, **sent: Any) -> httpx.Response:
        """One HTTP request, timed for ``on_call`` (the token call it may need counts in its time)."""
        url = self._url(route, ids)
        if self._on_call is None:
            return self._http.request(route.method, url, **sent)
        started, status = time.perf_counter(), "error"
        try:
            response = self._http.request(route.method, url, **sent)
            status = str(response.status_code)
            return response
        except httpx.TimeoutException:
            status = "timeout"
            raise
        finally:
            self._on_call(str(route), status, time.perf_counter() - started)


class _NoCookies(httpx.Cookies):
    """SA is called with a bearer token: a cookie it sets is of no use, and keeping none saves reading the
    answer's headers into ``http.cookiejar`` on every call."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


class _CookielessClient(httpx.Client):
    """An ``httpx.Client`` that keeps no cookies (``_NoCookies``)."""

    _none = _NoCookies()

    @property
    def cookies(self) -> httpx.Cookies:
        return self._none

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        raise TypeError("the Smart Assessor client keeps no cookies")


def _encode(fields: Mapping[str, Any]) -> bytes:
    return json.dumps(dict(fields), default=_json_default).encode()


def _json_default(value: object) -> object:
    """Dates as ``YYYY-MM-DD`` (datetimes ISO 8601), decimals as numbers."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"cannot send a {type(value).__name__} to Smart Assessor")
