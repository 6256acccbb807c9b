"""The SA client's calls for the daily pull (sessions, OTJ, Smart Coach) over httpx.MockTransport:
what each sends and what it makes of SA's answers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from sync_core.errors import SaNotFound, SaRateLimited, SaUnavailable
from sync_core.smart_assessor.client import PAGE_SIZE, SaClient, SaCredentials

BASE_URL = "https://sa.example.test/api"
TOKEN = {"accessToken": "t", "tokenType": "Bearer", "expiresIn": 600}
Answer = Callable[[httpx.Request], httpx.Response]
SESSION = {"id": 20001, "type": "Formal Review", "start": "2025-01-31T09:30:00Z", "durationMinutes": 60,
           "assessorId": 5001, "status": "attended", "actualStart": "2025-01-31T09:35:00Z"}  # fmt: skip


class FakeSa:
    """Issues a token; records every other request and answers it with ``answer``."""

    def __init__(self, answer: Answer) -> None:
        self.requests: list[httpx.Request] = []
        self.answer = answer

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/auth/token"):
            return httpx.Response(200, json=TOKEN)
        self.requests.append(request)
        return self.answer(request)


@pytest.fixture
def connect() -> Iterator[Callable[[Answer], tuple[SaClient, FakeSa]]]:
    """Makes SaClients on a fake SA answering with the given function; closes them after the test."""
    clients: list[SaClient] = []

    def make(answer: Answer) -> tuple[SaClient, FakeSa]:
        fake = FakeSa(answer)
        credentials = SaCredentials("integration", "secret", "key")
        clients.append(SaClient(BASE_URL, credentials, transport=httpx.MockTransport(fake)))
        return clients[-1], fake

    yield make
    for client in clients:
        client.close()


def paged(items: list[dict[str, Any]]) -> Answer:
    """SA's pages of ``items``, as the request asks for them."""

    def answer(request: httpx.Request) -> httpx.Response:
        page, size = int(request.url.params["page"]), int(request.url.params["pageSize"])
        body = {"items": items[(page - 1) * size : page * size], "page": page, "pageSize": size, "total": len(items)}
        return httpx.Response(200, json=body)

    return answer


def test_list_sessions_follows_pages(connect: Callable[[Answer], tuple[SaClient, FakeSa]]) -> None:
    """P2: list_sessions GETs /learners/{id}/sessions page after page until it holds SA's total."""
    sessions = [{**SESSION, "id": 20001 + n} for n in range(PAGE_SIZE + 20)]
    client, fake = connect(paged(sessions))
    assert client.list_sessions("guid-1") == sessions
    assert {(r.method, r.url.path) for r in fake.requests} == {("GET", "/api/learners/guid-1/sessions")}
    assert [dict(r.url.params) for r in fake.requests] == [
        {"page": "1", "pageSize": str(PAGE_SIZE)},
        {"page": "2", "pageSize": str(PAGE_SIZE)},
    ]


@pytest.mark.parametrize(
    ("call", "path", "answer"),
    [
        pytest.param(lambda c: c.get_otj("guid-1"), "/learners/guid-1/otj", {"plannedHours": 278.0, "actualHours": 12.5}, id="P6-otj"),
        pytest.param(lambda c: c.get_otj("guid-1"), "/learners/guid-1/otj", {"plannedHours": None, "actualHours": 0.0}, id="P6-otj-no-plan"),
        pytest.param(lambda c: c.get_smart_coach("guid-1"), "/learners/guid-1/smart-coach", {"score": 0.71, "band": "High"}, id="P8-smart-coach"),
        pytest.param(lambda c: c.get_smart_coach("a/b c"), "/learners/a%2Fb%20c/smart-coach", {"score": 0.1, "band": "Low"}, id="id-percent-encoded"),
    ],
)  # fmt: skip
def test_each_read_gets_its_record(
    connect: Callable[[Answer], tuple[SaClient, FakeSa]],
    call: Callable[[SaClient], object],
    path: str,
    answer: dict[str, Any],
) -> None:
    """get_otj and get_smart_coach make one GET without query or body and return SA's record."""
    client, fake = connect(lambda request: httpx.Response(200, json=answer))
    assert call(client) == answer
    (sent,) = fake.requests
    assert (sent.method, sent.url.raw_path.decode().removeprefix("/api"), sent.content) == ("GET", path, b"")


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda c: c.list_sessions("guid-9"), id="sessions"),
        pytest.param(lambda c: c.get_otj("guid-9"), id="otj"),
        pytest.param(lambda c: c.get_smart_coach("guid-9"), id="smart-coach"),
    ],
)
def test_unknown_learner_is_not_found(
    connect: Callable[[Answer], tuple[SaClient, FakeSa]], call: Callable[[SaClient], object]
) -> None:
    """A 404 for the learner is SaNotFound naming the route and the learner id."""
    body = {"code": "not_found", "message": "No learner has id guid-9.", "field": None}
    client, _ = connect(lambda request: httpx.Response(404, json=body))
    with pytest.raises(SaNotFound, match=r"/learners/\{id\}/.* \(id guid-9\)"):
        call(client)


def test_rate_limited_read_carries_retry_after(connect: Callable[[Answer], tuple[SaClient, FakeSa]]) -> None:
    """A 429 on a pull read is SaRateLimited with SA's Retry-After in seconds."""
    refusal = {"code": "rate_limited", "message": "Too many requests.", "field": None}
    client, _ = connect(lambda request: httpx.Response(429, json=refusal, headers={"Retry-After": "1"}))
    with pytest.raises(SaRateLimited) as raised:
        client.get_otj("guid-1")
    assert raised.value.retry_after == 1.0


@pytest.mark.parametrize(
    ("call", "answer", "route"),
    [
        pytest.param(lambda c: c.get_otj("guid-1"), [1, 2], "GET /learners/{id}/otj", id="otj-not-record"),
        pytest.param(lambda c: c.get_smart_coach("guid-1"), "High", "GET /learners/{id}/smart-coach", id="smart-coach-not-record"),
        pytest.param(lambda c: c.list_sessions("guid-1"), [SESSION], "GET /learners/{id}/sessions", id="sessions-not-page"),
    ],
)  # fmt: skip
def test_malformed_answer_is_unavailable(
    connect: Callable[[Answer], tuple[SaClient, FakeSa]],
    call: Callable[[SaClient], object],
    answer: Any,
    route: str,
) -> None:
    """A 200 that is not the record or page expected is SaUnavailable, naming the route."""
    client, _ = connect(lambda request: httpx.Response(200, json=answer))
    with pytest.raises(SaUnavailable, match=route.replace("{", r"\{").replace("}", r"\}")):
        call(client)
