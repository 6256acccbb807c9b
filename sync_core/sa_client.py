"""The Smart Assessor API client: the only code that knows SA's URLs and status codes.

Every SA answer is translated here, once, into the exception tree of ``sync_core.errors``:

    timeout, connection error, 408, 5xx   SaUnavailable(status)     transient
    429                                   SaRateLimited(retry_after) transient
    token endpoint refusing; any 401      ConfigurationError         fatal
    404                                   SaNotFound                 permanent
    other 4xx                             SaRejected(status, code, field)

Messages name the route, SA's record id, the status and SA's code and field; never a value sent
or received, as they end up in logs. Thread-safe: one instance serves every worker thread.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

import httpx

from sync_core.errors import (
    ConfigurationError,
    SaNotFound,
    SaRateLimited,
    SaRejected,
    SaUnavailable,
)
from sync_core.sa_auth import SaCredentials, SaTokenAuth

__all__ = ["ROUTES", "Route", "SaClient", "SaCredentials"]

Record = dict[str, Any]


@dataclass(frozen=True)
class Route:
    """One SA endpoint: method and path template (``{id}`` is SA's id of the record)."""

    method: str
    path: str

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    def url(self, resource_id: str | None = None) -> str:
        return self.path if resource_id is None else self.path.format(id=quote(resource_id, ""))


TOKEN = Route("POST", "/auth/token")
CREATE_LEARNER = Route("POST", "/learners")
GET_LEARNER = Route("GET", "/learners/{id}")
UPDATE_LEARNER = Route("PATCH", "/learners/{id}")
FIND_LEARNERS = Route("GET", "/learners")

#: Every endpoint this client calls; a test checks each is in the sandbox's OpenAPI document.
ROUTES = (TOKEN, CREATE_LEARNER, GET_LEARNER, UPDATE_LEARNER, FIND_LEARNERS)
PAGE_SIZE = 100
_JSON_BODY = {"Content-Type": "application/json"}


class SaClient:
    """Smart Assessor's API over one pooled ``httpx.Client``; records are SA's camelCase JSON."""

    def __init__(
        self,
        base_url: str,
        credentials: SaCredentials,
        *,
        timeout: float = 10.0,
        max_connections: int = 32,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._auth = SaTokenAuth(credentials, token_url=self.base_url + TOKEN.path)
        self._username = credentials.username
        self._http = httpx.Client(
            base_url=self.base_url,
            auth=self._auth,
            timeout=timeout,
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            headers={"Accept": "application/json"},
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"SaClient(base_url={self.base_url!r}, username={self._username!r})"

    def create_learner(self, fields: Mapping[str, Any]) -> Record:
        """POST /learners: the new learner, with the GUID SA gave it."""
        return _record(self._send(CREATE_LEARNER, body=fields), CREATE_LEARNER)

    def get_learner(self, sa_id: str) -> Record:
        return _record(self._send(GET_LEARNER, sa_id), GET_LEARNER)

    def find_learners(self, *, mis_id: str | None = None, uln: str | None = None) -> list[Record]:
        """Learners matching every criterion given, all pages; at least one criterion."""
        criteria = {name: v for name, v in (("misId", mis_id), ("uln", uln)) if v is not None}
        if not criteria:
            raise ValueError("find_learners needs mis_id or uln")
        return self._all_pages(FIND_LEARNERS, criteria)

    def update_learner(self, sa_id: str, fields: Mapping[str, Any]) -> Record:
        """PATCH /learners/{id}: only the keys in ``fields`` change; the updated learner."""
        return _record(self._send(UPDATE_LEARNER, sa_id, body=fields), UPDATE_LEARNER)

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

    def _all_pages(self, route: Route, criteria: Mapping[str, str]) -> list[Record]:
        records: list[Record] = []
        for page in itertools.count(1):
            params: dict[str, str | int] = {**criteria, "page": page, "pageSize": PAGE_SIZE}
            items, total = _page(self._send(route, params=params), route)
            records += items
            if not items or len(records) >= total:
                break
        return records

    def _send(
        self,
        route: Route,
        resource_id: str | None = None,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, str | int] | None = None,
    ) -> Any:
        """One call to SA; its JSON answer, or the translated error."""
        where = _where(route, resource_id)
        content = None if body is None else _encode(body)
        headers = None if body is None else _JSON_BODY
        with _unavailable_on_transport_error(where):
            response = self._http.request(
                route.method, route.url(resource_id), content=content, params=params, headers=headers
            )
        _raise_for_status(response, where, from_token_endpoint=response.url == self._auth.token_url)
        return _json(response, where)


@contextmanager
def _unavailable_on_transport_error(where: str) -> Iterator[None]:
    """httpx's timeouts and network errors (the token request's too) as SaUnavailable."""
    try:
        yield
    except httpx.TimeoutException as exc:
        raise SaUnavailable(f"Smart Assessor timed out on {where}") from exc
    except httpx.RequestError as exc:
        kind = type(exc).__name__
        raise SaUnavailable(f"Smart Assessor unreachable on {where} ({kind})") from exc


def _raise_for_status(response: httpx.Response, where: str, *, from_token_endpoint: bool) -> None:
    status = response.status_code
    if httpx.codes.is_success(status):
        return
    said = f"Smart Assessor answered {status} to {where}"
    if status == httpx.codes.TOO_MANY_REQUESTS:
        raise SaRateLimited(said, retry_after=_retry_after(response))
    if status >= 500 or status == httpx.codes.REQUEST_TIMEOUT:
        raise SaUnavailable(said, status=status)
    if from_token_endpoint or status == httpx.codes.UNAUTHORIZED:
        raise ConfigurationError(f"Smart Assessor refused the credentials: {said}")
    if status == httpx.codes.NOT_FOUND:
        raise SaNotFound(said)
    if httpx.codes.is_client_error(status):
        code, field = _error_code_and_field(response)
        detail = "".join([f" {code}" if code else "", f" (field {field})" if field else ""])
        raise SaRejected(said + detail, status=status, code=code, field=field)
    raise SaUnavailable(f"{said}, which this client does not expect", status=status)


def _error_code_and_field(response: httpx.Response) -> tuple[str | None, str | None]:
    """``code`` and ``field`` of SA's error body ``{code, message, field}``; SA's ``message``
    is left out, as it may quote the value refused."""
    try:
        body = response.json()
    except ValueError:
        return None, None
    if not isinstance(body, dict):
        return None, None
    code, field = body.get("code"), body.get("field")
    return (code if isinstance(code, str) else None), (field if isinstance(field, str) else None)


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds from ``Retry-After`` (delta-seconds or an HTTP date); None when absent or bad."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _json(response: httpx.Response, where: str) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        status = response.status_code
        raise SaUnavailable(f"Smart Assessor's answer to {where} is not JSON", status=status) from exc


def _record(body: Any, route: Route) -> Record:
    if not isinstance(body, dict):
        raise SaUnavailable(f"Smart Assessor's answer to {route} is not a record")
    return body


def _page(body: Any, route: Route) -> tuple[list[Record], int]:
    """``items`` and ``total`` of SA's page ``{items, page, pageSize, total}``."""
    items = body.get("items") if isinstance(body, dict) else None
    total = body.get("total") if isinstance(body, dict) else None
    if not isinstance(items, list) or not isinstance(total, int):
        raise SaUnavailable(f"Smart Assessor's answer to {route} is not a page")
    return [_record(item, route) for item in items], total


def _where(route: Route, resource_id: str | None) -> str:
    return str(route) if resource_id is None else f"{route} (id {resource_id})"


def _encode(fields: Mapping[str, Any]) -> bytes:
    return json.dumps(dict(fields), default=_json_default).encode()


def _json_default(value: object) -> object:
    """Dates as ``YYYY-MM-DD`` (datetimes ISO 8601), decimals as numbers."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"cannot send a {type(value).__name__} to Smart Assessor")
