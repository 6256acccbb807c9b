"""Smart Assessor's answers translated, once, into the exception tree of ``sync_core.errors``.

    read or write timeout, 504            SaTimedOut(status)        transient; SA may still apply it
    connect timeout, connection error,
    408, other 5xx                        SaUnavailable(status)     transient
    429                                   SaRateLimited(retry_after) transient
    token endpoint refusing; any 401      ConfigurationError         fatal
    404                                   SaNotFound                 permanent
    other 4xx                             SaRejected(status, code, field)
    2xx that is not the JSON expected     SaUnavailable(status)     transient

Part of the SA adapter: only ``sa_client`` calls these. Messages name the route, SA's record ids,
the status and SA's code and field; never a value sent or received, as they end up in logs, parked
reasons, the console and DLQ headers. SA's ``message`` is never taken (it may quote the value refused,
or a name, which no pattern can tell from a word). Its ``code`` and ``field`` may quote one too, so
each is scrubbed of what ``sync_core.redaction`` recognises (a date of birth, a phone number…), put
on one line and cut to ``SA_TEXT_LIMIT`` characters before anything keeps it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from sync_core.errors import (
    ConfigurationError,
    SaNotFound,
    SaRateLimited,
    SaRejected,
    SaTimedOut,
    SaUnavailable,
)
from sync_core.redaction import bounded

Record = dict[str, Any]
SA_TEXT_LIMIT = 64  # characters kept of SA's error code, and of its field


@contextmanager
def unavailable_on_transport_error(where: str) -> Iterator[None]:
    """httpx's timeouts and network errors (the token request's too) as SaUnavailable."""
    try:
        yield
    except (httpx.ConnectTimeout, httpx.PoolTimeout) as exc:  # the request never left: nothing in doubt
        raise SaUnavailable(f"Smart Assessor timed out on {where}") from exc
    except httpx.TimeoutException as exc:
        raise SaTimedOut(f"Smart Assessor timed out on {where}") from exc
    except httpx.RequestError as exc:
        kind = type(exc).__name__
        raise SaUnavailable(f"Smart Assessor unreachable on {where} ({kind})") from exc


def raise_for_status(response: httpx.Response, where: str, *, from_token_endpoint: bool) -> None:
    """Return for a 2xx; else raise the exception that decides what happens to the call."""
    status = response.status_code
    if httpx.codes.is_success(status):
        return
    said = f"Smart Assessor answered {status} to {where}"
    if status == httpx.codes.TOO_MANY_REQUESTS:
        raise SaRateLimited(said, retry_after=_retry_after(response))
    if status == httpx.codes.GATEWAY_TIMEOUT:  # the gateway gave up; SA behind it may still apply the call
        raise SaTimedOut(said, status=status)
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


def json_body(response: httpx.Response, where: str) -> Any:
    """The answer's JSON; SaUnavailable when it is none."""
    try:
        return response.json()
    except ValueError as exc:
        status = response.status_code
        raise SaUnavailable(f"Smart Assessor's answer to {where} is not JSON", status=status) from exc


def as_record(body: Any, where: str) -> Record:
    """SA's answer as one record (a JSON object)."""
    if not isinstance(body, dict):
        raise SaUnavailable(f"Smart Assessor's answer to {where} is not a record")
    return body


def as_page(body: Any, where: str) -> tuple[list[Record], int]:
    """``items`` and ``total`` of SA's page ``{items, page, pageSize, total}``."""
    items = body.get("items") if isinstance(body, dict) else None
    total = body.get("total") if isinstance(body, dict) else None
    if not isinstance(items, list) or not isinstance(total, int):
        raise SaUnavailable(f"Smart Assessor's answer to {where} is not a page")
    return [as_record(item, where) for item in items], total


def _error_code_and_field(response: httpx.Response) -> tuple[str | None, str | None]:
    """``code`` and ``field`` of SA's error body ``{code, message, field}``, each ``bounded``; SA's
    ``message`` is left out, as it may quote the value refused."""
    try:
        body = response.json()
    except ValueError:
        return None, None
    if not isinstance(body, dict):
        return None, None
    code, field = body.get("code"), body.get("field")
    return (
        bounded(code, SA_TEXT_LIMIT) if isinstance(code, str) else None,
        bounded(field, SA_TEXT_LIMIT) if isinstance(field, str) else None,
    )


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds from ``Retry-After`` (delta-seconds or an HTTP date); None when absent or bad."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:  # "inf" and "nan" parse as floats, and no wait can be built from them
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
