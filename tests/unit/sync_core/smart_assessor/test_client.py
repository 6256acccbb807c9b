"""The SA client over httpx.MockTransport: error translation, token handling, paging, secrecy."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from sync_core.errors import (
    ConfigurationError,
    SaNotFound,
    SaRateLimited,
    SaRejected,
    SaTimedOut,
    SaUnavailable,
    SyncError,
)
from sync_core.smart_assessor.auth import SaTokenAuth
from sync_core.smart_assessor.client import SaClient, SaCredentials
from sync_core.smart_assessor.errors import SA_TEXT_LIMIT

BASE_URL = "https://sa.example.test/api"
CREDENTIALS = SaCredentials("integration", "p@ss-SECRET-1", "client-KEY-2")
Handler = Callable[[httpx.Request], httpx.Response]


class FakeSa:
    """SA's token endpoint for real; every other call answered by ``answer``, behind the token."""

    def __init__(self, answer: Handler, *, expires_in: float = 600, token_delay_s: float = 0) -> None:
        self.answer, self.expires_in, self.token_delay_s = answer, expires_in, token_delay_s
        self.token_calls = 0
        self.live: set[str] = set()
        self.requests: list[httpx.Request] = []
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/auth/token"):
            return self._issue(request)
        if request.headers.get("Authorization", "").removeprefix("Bearer ") not in self.live:
            return httpx.Response(401, json={"code": "invalid_token", "message": "", "field": None})
        self.requests.append(request)
        return self.answer(request)

    def revoke_all(self) -> None:
        self.live.clear()

    def _issue(self, request: httpx.Request) -> httpx.Response:
        time.sleep(self.token_delay_s)
        with self._lock:
            self.token_calls += 1
            token = f"token-{self.token_calls}"
        self.live.add(token)
        body = {"accessToken": token, "tokenType": "Bearer", "expiresIn": self.expires_in}
        return httpx.Response(200, json=body)


def learner(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"id": request.url.path.rsplit("/", 1)[-1], "misId": "L1"})


@pytest.fixture
def client_for() -> Iterator[Callable[[Handler], SaClient]]:
    """Makes SaClients on a mock transport and closes them after the test."""
    clients: list[SaClient] = []

    def make(handler: Handler) -> SaClient:
        clients.append(SaClient(BASE_URL, CREDENTIALS, transport=httpx.MockTransport(handler)))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


def answering(status: int, body: Any = None, **headers: str) -> Handler:
    return lambda request: httpx.Response(status, json=body, headers=headers)


def raising(exc: type[httpx.TransportError]) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc("boom", request=request)

    return handler


ERROR_TABLE = [
    pytest.param(answering(503), SaUnavailable, {"status": 503}, id="503-unavailable"),
    pytest.param(answering(500, {"code": "oops"}), SaUnavailable, {"status": 500}, id="500-unavailable"),
    pytest.param(raising(httpx.ReadTimeout), SaTimedOut, {"status": None}, id="read-timeout-in-doubt"),
    pytest.param(raising(httpx.ConnectTimeout), SaUnavailable, {"status": None}, id="connect-timeout-unavailable"),
    pytest.param(answering(504), SaTimedOut, {"status": 504}, id="504-in-doubt"),
    pytest.param(raising(httpx.ConnectError), SaUnavailable, {"status": None}, id="connect-error-unavailable"),
    pytest.param(answering(429, **{"Retry-After": "7"}), SaRateLimited, {"retry_after": 7.0}, id="429-retry-after-seconds"),
    pytest.param(answering(429), SaRateLimited, {"retry_after": None}, id="429-no-retry-after"),
    pytest.param(answering(404, {"code": "not_found"}), SaNotFound, {}, id="404-not-found"),
    pytest.param(
        answering(422, {"code": "invalid_value", "message": "'12' is no ULN", "field": "uln"}),
        SaRejected, {"status": 422, "code": "invalid_value", "field": "uln"}, id="422-rejected-with-field",
    ),
    pytest.param(
        answering(409, {"code": "duplicate_mis_id", "message": "taken", "field": "misId"}),
        SaRejected, {"status": 409, "code": "duplicate_mis_id", "field": "misId"}, id="409-duplicate-mis-id",
    ),
    pytest.param(answering(403, "not json object"), SaRejected, {"status": 403, "code": None}, id="403-rejected-without-body"),
    pytest.param(answering(401), ConfigurationError, {}, id="401-after-renewal-is-configuration"),
]  # fmt: skip


@pytest.mark.parametrize(("handler", "error", "attributes"), ERROR_TABLE)
def test_sa_answers_become_our_exceptions(
    client_for: Callable[[Handler], SaClient],
    handler: Handler,
    error: type[SyncError],
    attributes: dict[str, Any],
) -> None:
    """Each SA failure is raised as the one exception class (and attributes) that decides the action."""
    with pytest.raises(error) as raised:
        client_for(FakeSa(handler)).get_learner("guid-1")
    assert type(raised.value) is error
    assert {name: getattr(raised.value, name) for name in attributes} == attributes


def test_retry_after_as_http_date_becomes_seconds(client_for: Callable[[Handler], SaClient]) -> None:
    """A Retry-After given as an HTTP date is turned into the seconds until then."""
    with pytest.raises(SaRateLimited) as raised:
        in_a_minute = format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True)
        client_for(FakeSa(answering(429, **{"Retry-After": in_a_minute}))).get_learner("guid-1")
    assert raised.value.retry_after is not None
    assert 50 < raised.value.retry_after <= 60


@pytest.mark.parametrize(
    ("status", "error"),
    [
        pytest.param(401, ConfigurationError, id="401-credentials-refused"),
        pytest.param(400, ConfigurationError, id="400-credentials-refused"),
        pytest.param(503, SaUnavailable, id="503-token-endpoint-down"),
        pytest.param(429, SaRateLimited, id="429-token-endpoint-rate-limited"),
    ],
)
def test_token_endpoint_failures(
    client_for: Callable[[Handler], SaClient], status: int, error: type[SyncError]
) -> None:
    """A token endpoint refusing the credentials is a configuration error; being down is transient."""
    client = client_for(lambda request: httpx.Response(status, json={"code": "x"}))
    with pytest.raises(error):
        client.create_learner({"misId": "L1"})


def test_token_fetched_once_for_many_calls(client_for: Callable[[Handler], SaClient]) -> None:
    """The token is fetched on first use and reused while it is live."""
    fake = FakeSa(learner)
    client = client_for(fake)
    for n in range(5):
        client.get_learner(f"guid-{n}")
    assert fake.token_calls == 1


def test_token_renewed_once_after_a_401(client_for: Callable[[Handler], SaClient]) -> None:
    """A 401 on a live-looking token renews it once and resends the call, which then succeeds."""
    fake = FakeSa(learner)
    client = client_for(fake)
    client.get_learner("guid-1")
    fake.revoke_all()
    assert client.get_learner("guid-2")["id"] == "guid-2"
    assert fake.token_calls == 2
    assert [r.url.path for r in fake.requests] == ["/api/learners/guid-1", "/api/learners/guid-2"]


def test_token_renewed_before_it_expires() -> None:
    """A token is renewed shortly before its expiresIn runs out, without waiting for a 401."""
    now = [1000.0]
    fake = FakeSa(learner, expires_in=100)
    auth = SaTokenAuth(CREDENTIALS, f"{BASE_URL}/auth/token", clock=lambda: now[0])
    with httpx.Client(auth=auth, transport=httpx.MockTransport(fake)) as http:
        http.get(f"{BASE_URL}/learners/a")
        now[0] += 89
        http.get(f"{BASE_URL}/learners/b")
        now[0] += 2  # past 100 s less a tenth
        http.get(f"{BASE_URL}/learners/c")
    assert fake.token_calls == 2


def test_concurrent_threads_renew_once(client_for: Callable[[Handler], SaClient]) -> None:
    """Threads that all need a token at once cause one token request between them."""
    fake = FakeSa(learner, token_delay_s=0.05)
    client = client_for(fake)
    threads = [threading.Thread(target=client.get_learner, args=(f"guid-{n}",)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert fake.token_calls == 1
    assert len(fake.requests) == 16


def test_find_learners_follows_pages(client_for: Callable[[Handler], SaClient]) -> None:
    """find_learners reads page after page until it holds SA's total."""
    everyone = [{"id": f"guid-{n}", "misId": "L1"} for n in range(230)]

    def pages(request: httpx.Request) -> httpx.Response:
        page, size = int(request.url.params["page"]), int(request.url.params["pageSize"])
        items = everyone[(page - 1) * size : page * size]
        return httpx.Response(200, json={"items": items, "page": page, "pageSize": size, "total": 230})

    fake = FakeSa(pages)
    assert client_for(fake).find_learners(mis_id="L1") == everyone
    assert [r.url.params["page"] for r in fake.requests] == ["1", "2", "3"]
    assert {r.url.params["misId"] for r in fake.requests} == {"L1"}


def test_update_learner_patches_only_the_given_keys(client_for: Callable[[Handler], SaClient]) -> None:
    """update_learner sends a PATCH of exactly the given keys, dates as YYYY-MM-DD."""
    fake = FakeSa(learner)
    client_for(fake).update_learner("guid-1", {"dateOfBirth": date(2001, 2, 3), "email": None})
    (sent,) = fake.requests
    assert (sent.method, sent.url.path) == ("PATCH", "/api/learners/guid-1")
    assert json.loads(sent.content) == {"dateOfBirth": "2001-02-03", "email": None}


def test_credentials_never_in_reprs() -> None:
    """The password and client key appear in no repr of the credentials, the auth or the client."""
    with SaClient(BASE_URL, CREDENTIALS, transport=httpx.MockTransport(learner)) as client:
        shown = " ".join(map(repr, (CREDENTIALS, client, client._auth)))
    assert "integration" in shown
    assert CREDENTIALS.password not in shown
    assert CREDENTIALS.client_key not in shown


def test_messages_carry_no_personal_data(client_for: Callable[[Handler], SaClient]) -> None:
    """Errors name route, id, status, code and field; never a value sent or SA's message."""
    refused = answering(422, {"code": "invalid_value", "message": "Ada Lovelace 1234567890", "field": "uln"})
    client = client_for(FakeSa(refused))
    with pytest.raises(SaRejected) as on_update:
        client.update_learner("guid-1", {"firstName": "Ada", "uln": "1234567890"})
    with pytest.raises(SaRejected) as on_find:
        client.find_learners(uln="1234567890")
    messages = f"{on_update.value} | {on_find.value}"
    assert "guid-1" in messages and "invalid_value" in messages and "uln" in messages
    assert "Ada" not in messages and "1234567890" not in messages


def test_sa_code_and_field_echoing_values_are_scrubbed_and_capped(client_for: Callable[[Handler], SaClient]) -> None:
    """SA's code and field, which may echo a date of birth or a phone number, are scrubbed and cut to the limit
    in the message and attributes, so parked reasons, the console and DLQ headers get them bounded."""
    echo = {"code": "invalid_dateOfBirth_2001-02-03_" + "x" * 5000, "field": "mobileNumber=07700 900123\r\nX: 1",
            "message": "Ada Lovelace born 2001-02-03"}  # fmt: skip
    client = client_for(FakeSa(answering(422, echo)))
    with pytest.raises(SaRejected) as refused:
        client.update_learner("guid-1", {"dateOfBirth": "2001-02-03", "mobileNumber": "07700 900123"})
    error = refused.value
    shown = f"{error} {error.code} {error.field}"
    assert "2001-02-03" not in shown and "900123" not in shown and "Ada" not in shown and "\n" not in shown
    assert (
        error.code is not None
        and error.code.startswith("invalid_dateOfBirth_[date]")
        and len(error.code) == SA_TEXT_LIMIT
    )
    assert error.field == "mobileNumber=[phone] X: 1" and len(str(error)) < 300


def test_refused_credentials_message_holds_no_secret(client_for: Callable[[Handler], SaClient]) -> None:
    """The configuration error for refused credentials shows neither password nor client key."""
    with pytest.raises(ConfigurationError) as raised:
        client_for(answering(401)).get_learner("guid-1")
    assert CREDENTIALS.password not in str(raised.value)
    assert CREDENTIALS.client_key not in str(raised.value)


def test_failed_token_request_releases_the_lock(client_for: Callable[[Handler], SaClient]) -> None:
    """A token request that fails on the network leaves the token lock free for the next call."""
    fake = FakeSa(learner)
    failures = [httpx.ConnectError("down")]

    def flaky(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/auth/token") and failures:
            raise failures.pop()
        return fake(request)

    client = client_for(flaky)
    with pytest.raises(SaUnavailable):
        client.get_learner("guid-1")
    second = threading.Thread(target=client.get_learner, args=("guid-2",), daemon=True)
    second.start()
    second.join(timeout=5)
    assert not second.is_alive()
    assert [r.url.path for r in fake.requests] == ["/api/learners/guid-2"]
