"""The SA client against the SA sandbox over real HTTP: the sandbox is the contract the client keeps."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sandbox.sa.process import SaSandboxProcess
from sync_core.errors import SaNotFound, SaRateLimited, SaRejected, SaUnavailable
from sync_core.smart_assessor.client import ENDPOINTS, SaClient, SaCredentials

pytestmark = pytest.mark.integration

ADA = {"misId": "L-1001", "firstName": "Ada", "surname": "Lovelace", "uln": "1234567899"}


def client_of(sa: SaSandboxProcess, **options: Any) -> SaClient:
    return SaClient(sa.base_url, SaCredentials(sa.username, sa.password, sa.client_key), **options)


@pytest.fixture
def client(sa: SaSandboxProcess) -> Iterator[SaClient]:
    """A fresh client (no token yet) of the emptied sandbox."""
    with client_of(sa) as fresh:
        yield fresh


def test_learner_round_trip(client: SaClient, sa: SaSandboxProcess) -> None:
    """A created learner is found by id, misId and ULN; a PATCH changes only the keys sent."""
    created = client.create_learner({**ADA, "email": "ada@example.org"})
    assert client.get_learner(created["id"]) == created
    assert client.find_learners(mis_id="L-1001") == [created]
    assert client.find_learners(uln="1234567899") == [created]
    updated = client.update_learner(created["id"], {"email": "countess@example.org", "postcode": None})
    assert updated == {
        **created,
        "email": "countess@example.org",
        "updatedAt": updated["updatedAt"],
        "modifiedAt": updated["modifiedAt"],
    }
    assert sa.learners() == [updated]
    assert client.find_learners(mis_id="L-404") == []


def test_find_follows_pages(client: SaClient) -> None:
    """A search with more matches than a page returns every match, oldest first."""
    created = [client.create_learner({**ADA, "misId": f"L-{n}"}) for n in range(120)]
    assert [found["id"] for found in client.find_learners(uln=ADA["uln"])] == [c["id"] for c in created]


def test_duplicate_mis_id_is_rejected(client: SaClient) -> None:
    """U10: SA refuses a second learner with a misId it holds (409 duplicate_mis_id)."""
    client.create_learner(ADA)
    with pytest.raises(SaRejected) as raised:
        client.create_learner({**ADA, "uln": None})
    assert (raised.value.status, raised.value.code, raised.value.field) == (409, "duplicate_mis_id", "misId")


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        pytest.param({**ADA, "uln": "12345"}, "invalid_value", "uln", id="uln-not-10-digits"),
        pytest.param({**ADA, "dateOfBirth": "2001-02-30"}, "invalid_value", "dateOfBirth", id="impossible-date"),
        pytest.param({**ADA, "nickname": "Ada"}, "unknown_field", "nickname", id="unknown-key"),
        pytest.param({"misId": "L-1"}, "missing_field", "firstName", id="missing-first-name"),
    ],
)
def test_invalid_learner_is_rejected_with_its_field(
    client: SaClient, fields: dict[str, Any], code: str, field: str
) -> None:
    """An invalid learner is a 422 naming SA's code and the field at fault."""
    with pytest.raises(SaRejected) as raised:
        client.create_learner(fields)
    assert (raised.value.status, raised.value.code, raised.value.field) == (422, code, field)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        pytest.param({"dateOfBirth": "2404-03-13"}, "dateOfBirth", id="born-in-the-future"),
        pytest.param({"startDate": "1066-10-14"}, "startDate", id="date-before-1900"),
        pytest.param({"email": "not-an-email"}, "email", id="email-without-domain"),
        pytest.param({"email": "ada@localhost"}, "email", id="email-domain-without-dot"),
        pytest.param({"niNumber": "x"}, "niNumber", id="ni-number-not-one"),
        pytest.param({"niNumber": "GB123456A"}, "niNumber", id="ni-prefix-never-issued"),
        pytest.param({"uln": "0000000000"}, "uln", id="uln-check-digit"),
        pytest.param({"uln": "1234567890"}, "uln", id="uln-check-digit-off-by-one"),
        pytest.param({"surname": "Love\x00lace"}, "surname", id="nul-in-surname"),
        pytest.param({"address1": "1 Road\nEvil"}, "address1", id="newline-in-address"),
        pytest.param({"firstName": " "}, "firstName", id="blank-name"),
        pytest.param({"plannedOtjHours": 1e308}, "plannedOtjHours", id="hours-out-of-bounds"),
    ],
)
def test_implausible_learner_values_are_refused_like_a_real_api(
    client: SaClient, sa: SaSandboxProcess, fields: dict[str, Any], field: str
) -> None:
    """What a real API refuses is a 422 naming the field (the values schemathesis found accepted), and
    nothing is stored."""
    with pytest.raises(SaRejected) as raised:
        client.create_learner({**ADA, **fields})
    assert (raised.value.status, raised.value.code, raised.value.field) == (422, "invalid_value", field)
    assert sa.learners() == []


def test_real_values_are_accepted(client: SaClient) -> None:
    """The strict checks refuse no real value: the temporary ULN, an empty NI number or e-mail address (SA's
    blanks), a plus address, a name with an apostrophe, a date of birth today."""
    today = time.strftime("%Y-%m-%d")
    learner = {
        **ADA, "uln": "9999999999", "niNumber": "", "email": "ada+sa@maths.example.ac.uk", "surname": "O'Byrne",
        "dateOfBirth": today, "plannedOtjHours": 1250.5,
    }  # fmt: skip
    created = client.create_learner(learner)
    assert {k: created[k] for k in learner} == learner
    assert client.update_learner(created["id"], {"niNumber": "AB123456C"})["niNumber"] == "AB123456C"
    assert client.update_learner(created["id"], {"email": ""})["email"] == ""  # cleared in SA's screen: an SA blank


def test_options_and_wrong_methods_name_what_a_path_takes(sa: SaSandboxProcess) -> None:
    """OPTIONS answers 204 with Allow; a method a path does not take is a 405 in SA's error shape with the
    same Allow (RFC 9110), for every path of the served OpenAPI document."""
    schema = httpx.get(f"{sa.base_url}/openapi.json").json()
    for path, operations in schema["paths"].items():
        concrete = path.replace("{id}", "1").replace("{enrolmentId}", "1")
        documented = {method.upper() for method in operations}
        options = httpx.options(f"{sa.base_url}{concrete}")
        assert options.status_code == 204, path
        allow = {m.strip() for m in options.headers["Allow"].split(",")}
        assert documented | {"OPTIONS"} <= allow <= documented | {"OPTIONS", "HEAD"}, path
        refused = httpx.request("DELETE", f"{sa.base_url}{concrete}")
        assert (refused.status_code, refused.json()["code"]) == (405, "method_not_allowed"), path
        assert refused.headers["Allow"] == options.headers["Allow"], path


def bearer_token(sa: SaSandboxProcess) -> str:
    credentials = {"username": sa.username, "password": sa.password, "clientKey": sa.client_key}
    return str(httpx.post(f"{sa.base_url}/auth/token", json=credentials).json()["accessToken"])


def test_unreadable_json_is_a_documented_400(sa: SaSandboxProcess) -> None:
    """Malformed JSON is a 400 invalid_json, and every route that reads a body says so in its OpenAPI."""
    token = bearer_token(sa)
    response = httpx.post(
        f"{sa.base_url}/learners",
        content=b'{"misId": ',
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert (response.status_code, response.json()["code"]) == (400, "invalid_json")
    schema = httpx.get(f"{sa.base_url}/openapi.json").json()
    with_body = [(path, m) for path, ops in schema["paths"].items() for m, op in ops.items() if "requestBody" in op]
    assert with_body and all("400" in schema["paths"][path][m]["responses"] for path, m in with_body)


def test_unknown_learner_is_not_found(client: SaClient) -> None:
    """Getting or patching an id SA does not hold is SaNotFound."""
    with pytest.raises(SaNotFound):
        client.get_learner("00000000-0000-0000-0000-000000000000")
    with pytest.raises(SaNotFound):
        client.update_learner("00000000-0000-0000-0000-000000000000", {"email": None})


def test_token_renewed_after_expiry(sa: SaSandboxProcess) -> None:
    """A token past its expiresIn is renewed: the next call succeeds with a second token."""
    sa.configure(token_ttl_s=1)
    with client_of(sa) as client:
        client.find_learners(mis_id="L-1")
        time.sleep(1.5)
        assert client.find_learners(mis_id="L-1") == []
    assert sa.calls()["counts"]["POST /auth/token"] == 2


def test_token_renewed_after_401(client: SaClient, sa: SaSandboxProcess) -> None:
    """A 401 for a token SA expired early renews the token once and resends the call."""
    client.find_learners(mis_id="L-1")
    sa.expire_tokens()
    assert client.find_learners(mis_id="L-1") == []
    statuses = [(c["method"], c["route"], c["status"]) for c in sa.calls()["log"]]
    assert statuses[2:] == [
        ("GET", "/learners", 401),
        ("POST", "/auth/token", 200),
        ("GET", "/learners", 200),
    ]


def test_sa_down_is_unavailable(client: SaClient, sa: SaSandboxProcess) -> None:
    """With every call answered 503, the client raises SaUnavailable(status=503)."""
    sa.configure(error_rate=1.0)
    with pytest.raises(SaUnavailable) as raised:
        client.create_learner(ADA)
    assert raised.value.status == 503
    assert sa.learners() == []


def test_rate_limit_is_rate_limited_with_retry_after(client: SaClient, sa: SaSandboxProcess) -> None:
    """Past the rate limit SA answers 429 and the client raises SaRateLimited with Retry-After."""
    client.find_learners(mis_id="L-1")
    sa.configure(rate_limit_per_s=1)
    with pytest.raises(SaRateLimited) as raised:
        for _ in range(3):
            client.find_learners(mis_id="L-1")
    assert raised.value.retry_after is not None and raised.value.retry_after >= 1


def test_hanging_sa_is_unavailable(sa: SaSandboxProcess) -> None:
    """A call SA does not answer within the client's timeout raises SaUnavailable."""
    with client_of(sa, timeout=0.3) as client:
        client.find_learners(mis_id="L-1")
        sa.configure(timeout_rate=1.0, timeout_hang_s=1.0)
        with pytest.raises(SaUnavailable) as raised:
            client.find_learners(mis_id="L-1")
    assert raised.value.status is None


def test_calls_are_counted_and_logged(client: SaClient, sa: SaSandboxProcess) -> None:
    """The sandbox counts each call by method and route template and logs its id and status."""
    created = client.create_learner(ADA)
    client.get_learner(created["id"])
    client.update_learner(created["id"], {"email": "ada@example.org"})
    client.find_learners(mis_id=ADA["misId"])
    calls = sa.calls()
    assert calls["counts"] == {
        "POST /auth/token": 1, "POST /learners": 1, "GET /learners/{id}": 1, "PATCH /learners/{id}": 1, "GET /learners": 1,
    }  # fmt: skip
    logged = [(c["seq"], c["method"], c["route"], c["resource_id"], c["status"]) for c in calls["log"]]
    assert logged == [
        (1, "POST", "/auth/token", None, 200),
        (2, "POST", "/learners", created["id"], 201),
        (3, "GET", "/learners/{id}", created["id"], 200),
        (4, "PATCH", "/learners/{id}", created["id"], 200),
        (5, "GET", "/learners", None, 200),
    ]


def test_every_client_route_is_in_the_served_schema(sa: SaSandboxProcess) -> None:
    """Each (method, path) the client calls is documented in the sandbox's /openapi.json."""
    schema = httpx.get(f"{sa.base_url}/openapi.json").json()
    served = {(method.upper(), path) for path, ops in schema["paths"].items() for method in ops}
    assert {(route.method, route.path) for route in ENDPOINTS} <= served
    assert schema["info"]["title"] == "Smart Assessor API (pics-sync sandbox)"
    assert not any(path.startswith("/_sandbox") for path in schema["paths"])


def test_calls_without_token_answer_401_in_sa_error_shape(sa: SaSandboxProcess) -> None:
    """An SA call without a bearer token is a 401 with SA's {code, message, field} body."""
    response = httpx.get(f"{sa.base_url}/learners", params={"misId": "L-1"})
    assert response.status_code == 401
    assert response.json() == {
        "code": "missing_token",
        "message": "A bearer token is required.",
        "field": None,
    }
