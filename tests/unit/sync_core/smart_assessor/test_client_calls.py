"""The SA client's employer, assessor, course and enrolment calls over httpx.MockTransport: what
each sends (method, path, query, body) and what it does with odd answers."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from sync_core.errors import SaRejected, SaUnavailable
from sync_core.smart_assessor.client import PAGE_SIZE, SaClient, SaCredentials

BASE_URL = "https://sa.example.test/api"
PAGED = {"page": "1", "pageSize": str(PAGE_SIZE)}
Call = Callable[[SaClient], object]


class RecordingSa:
    """Issues a token, records every other request and answers it with ``answer`` (a record or,
    for a paged GET, an empty page)."""

    def __init__(self, answer: Callable[[httpx.Request], httpx.Response] | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.answer = answer or self.ok

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/auth/token"):
            return httpx.Response(200, json={"accessToken": "t", "tokenType": "Bearer", "expiresIn": 600})
        self.requests.append(request)
        return self.answer(request)

    @staticmethod
    def ok(request: httpx.Request) -> httpx.Response:
        if "page" in request.url.params:
            return httpx.Response(200, json={"items": [], "page": 1, "pageSize": PAGE_SIZE, "total": 0})
        return httpx.Response(200, json={"id": 1})


@pytest.fixture
def connect() -> Iterator[Callable[[RecordingSa], SaClient]]:
    """Makes SaClients on a fake SA and closes them after the test."""
    clients: list[SaClient] = []

    def make(fake: RecordingSa) -> SaClient:
        credentials = SaCredentials("integration", "secret", "key")
        clients.append(SaClient(BASE_URL, credentials, transport=httpx.MockTransport(fake)))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


EMPLOYER = {"misId": "ORG-1", "name": "Acme"}
ENROLMENT = {"courseId": 101, "misId": "Q-1"}
CALLS = [
    pytest.param(lambda c: c.create_employer(EMPLOYER), "POST", "/employers", {}, EMPLOYER, id="U2-create-employer"),
    pytest.param(lambda c: c.get_employer(1001), "GET", "/employers/1001", {}, None, id="U2-get-employer"),
    pytest.param(lambda c: c.update_employer("1001", {"name": "B"}), "PATCH", "/employers/1001", {}, {"name": "B"}, id="G1-update-employer"),
    pytest.param(lambda c: c.find_employers(mis_id="ORG-1"), "GET", "/employers", {"misId": "ORG-1", **PAGED}, None, id="U2-find-employer-by-mis-id"),
    pytest.param(lambda c: c.find_employers(edrs_number="123", postcode="SW1A 1AA"), "GET", "/employers", {"edrsNumber": "123", "postcode": "SW1A 1AA", **PAGED}, None, id="U2-find-employer-by-edrs-postcode"),
    pytest.param(lambda c: c.create_assessor({"misId": "O-1"}), "POST", "/assessors", {}, {"misId": "O-1"}, id="U3-create-assessor"),
    pytest.param(lambda c: c.get_assessor(5001), "GET", "/assessors/5001", {}, None, id="U3-get-assessor"),
    pytest.param(lambda c: c.update_assessor(5001, {"email": None}), "PATCH", "/assessors/5001", {}, {"email": None}, id="O1-update-assessor"),
    pytest.param(lambda c: c.find_assessors(email="a@b.org"), "GET", "/assessors", {"email": "a@b.org", **PAGED}, None, id="U3-find-assessor-by-email"),
    pytest.param(lambda c: c.list_courses(), "GET", "/courses", PAGED, None, id="U5-list-courses"),
    pytest.param(lambda c: c.enrol("guid-1", ENROLMENT), "POST", "/learners/guid-1/courses", {}, ENROLMENT, id="U5-enrol"),
    pytest.param(lambda c: c.list_enrolments("guid-1"), "GET", "/learners/guid-1/courses", PAGED, None, id="U10-list-enrolments"),
    pytest.param(lambda c: c.get_enrolment("guid-1", 9001), "GET", "/learners/guid-1/courses/9001", {}, None, id="get-enrolment"),
    pytest.param(lambda c: c.update_enrolment("guid-1", 9001, {"outcome": 1}), "PATCH", "/learners/guid-1/courses/9001", {}, {"outcome": 1}, id="A1-update-enrolment"),
    pytest.param(lambda c: c.create_learner({"misId": "L-1", "sendWelcomeEmail": True}), "POST", "/learners", {}, {"misId": "L-1", "sendWelcomeEmail": True}, id="U7-welcome-email-flag-sent"),
]  # fmt: skip


@pytest.mark.parametrize(("call", "method", "path", "params", "body"), CALLS)
def test_each_call_sends_its_request(
    connect: Callable[[RecordingSa], SaClient],
    call: Call,
    method: str,
    path: str,
    params: dict[str, str],
    body: dict[str, Any] | None,
) -> None:
    """Each method makes one request: its method, path, query and JSON body, nothing more."""
    fake = RecordingSa()
    call(connect(fake))
    (sent,) = fake.requests
    assert (sent.method, sent.url.path.removeprefix("/api")) == (method, path)
    assert dict(sent.url.params) == params
    assert (json.loads(sent.content) if sent.content else None) == body


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda c: c.find_employers(), id="employers"),
        pytest.param(lambda c: c.find_assessors(mis_id=None, email=None), id="assessors"),
    ],
)
def test_search_without_criteria_is_refused(connect: Callable[[RecordingSa], SaClient], call: Call) -> None:
    """A search with no criterion would list everyone: it raises before any request."""
    fake = RecordingSa()
    with pytest.raises(ValueError, match="needs one of the criteria"):
        call(connect(fake))
    assert fake.requests == []


def test_list_enrolments_follows_pages(connect: Callable[[RecordingSa], SaClient]) -> None:
    """list_enrolments reads page after page until it holds SA's total."""
    everyone = [{"id": 9001 + n} for n in range(150)]

    def pages(request: httpx.Request) -> httpx.Response:
        page, size = int(request.url.params["page"]), int(request.url.params["pageSize"])
        items = everyone[(page - 1) * size : page * size]
        return httpx.Response(200, json={"items": items, "page": page, "pageSize": size, "total": 150})

    fake = RecordingSa(pages)
    assert connect(fake).list_enrolments("guid-1") == everyone
    assert [r.url.params["page"] for r in fake.requests] == ["1", "2"]


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param([{"id": 101}], id="list-not-page"),
        pytest.param({"items": [{"id": 101}], "total": "1"}, id="total-not-int"),
        pytest.param({"items": ["101"], "total": 1}, id="item-not-record"),
    ],
)
def test_malformed_catalogue_is_unavailable(connect: Callable[[RecordingSa], SaClient], answer: Any) -> None:
    """A 200 that is not SA's page is SaUnavailable, naming the route."""
    fake = RecordingSa(lambda request: httpx.Response(200, json=answer))
    with pytest.raises(SaUnavailable, match="GET /courses"):
        connect(fake).list_courses()


def test_enrolment_errors_name_both_ids_and_no_values(connect: Callable[[RecordingSa], SaClient]) -> None:
    """An enrolment refusal names the learner and enrolment ids, SA's code and field; no value."""
    body = {"code": "invalid_value", "message": "7 is no completion status", "field": "completionStatus"}
    fake = RecordingSa(lambda request: httpx.Response(422, json=body))
    with pytest.raises(SaRejected) as raised:
        connect(fake).update_enrolment("guid-1", 9001, {"completionStatus": 7, "actualEndDate": "2031-07-07"})
    message = str(raised.value)
    assert "id guid-1, enrolmentId 9001" in message and "completionStatus" in message
    assert "2031" not in message and " 7 " not in message
    assert (raised.value.code, raised.value.field) == ("invalid_value", "completionStatus")


def test_unknown_course_is_rejected_with_its_code(connect: Callable[[RecordingSa], SaClient]) -> None:
    """SA's 422 unknown_course on courseId reaches the caller as SaRejected with that code and field."""
    body = {"code": "unknown_course", "message": "No course has id 999.", "field": "courseId"}
    fake = RecordingSa(lambda request: httpx.Response(422, json=body))
    with pytest.raises(SaRejected) as raised:
        connect(fake).enrol("guid-1", {"courseId": 999, "misId": "Q-1"})
    assert (raised.value.status, raised.value.code, raised.value.field) == (422, "unknown_course", "courseId")


def test_calls_at_once_keep_to_the_cap_however_many_threads_call(connect: Callable[[RecordingSa], SaClient]) -> None:
    """Issue #5: more workers than the SA cap (their ledger round trips need no SA slot); SA still sees
    no more calls at once than ``max_concurrency``."""
    lock, at_once, most = threading.Lock(), [0], [0]

    def slow(_request: httpx.Request) -> httpx.Response:
        with lock:
            at_once[0] += 1
            most[0] = max(most[0], at_once[0])
        time.sleep(0.02)
        with lock:
            at_once[0] -= 1
        return httpx.Response(200, json={"id": 1})

    fake = RecordingSa(slow)
    credentials = SaCredentials("integration", "secret", "key")
    with SaClient(BASE_URL, credentials, transport=httpx.MockTransport(fake), max_concurrency=3) as client:
        threads = [threading.Thread(target=client.update_employer, args=(7, {"phoneNumber": "1"})) for _ in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(fake.requests) == 12
    assert most[0] == 3


def test_a_cookie_sa_sets_is_never_sent_back(connect: Callable[[RecordingSa], SaClient]) -> None:
    """The client calls with a bearer token and keeps no cookies (none sent, and none read into a jar: that
    read cost about a third of each call's CPU, BENCHMARKS.md)."""

    def with_cookie(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"id": 1}, headers={"Set-Cookie": "session=abc; Path=/"})

    fake = RecordingSa(with_cookie)
    client = connect(fake)
    client.get_assessor(7)
    client.get_assessor(7)
    assert [request.headers.get("cookie") for request in fake.requests] == [None, None]


def test_a_record_called_again_gets_the_same_url_each_time(connect: Callable[[RecordingSa], SaClient]) -> None:
    """URLs are parsed once per record and kept: the second call of each goes where the first went."""
    fake = RecordingSa()
    client = connect(fake)
    for _ in range(2):
        client.get_assessor("a/b c")
        client.update_assessor(7, {"mobileNumber": "07700900000"})
    paths = [f"{request.method} {request.url.raw_path.decode()}" for request in fake.requests]
    assert paths == ["GET /api/assessors/a%2Fb%20c", "PATCH /api/assessors/7"] * 2
