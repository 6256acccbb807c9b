"""Employers, assessors, the course catalogue, enrolments and welcome emails: the SA client
against the sandbox over real HTTP (U2–U7's calls)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from sandbox.sa.process import SaSandboxProcess
from sync_core.errors import SaNotFound, SaRejected
from sync_core.smart_assessor.client import SaClient, SaCredentials

pytestmark = pytest.mark.integration

ACME = {"misId": "ORG-1", "name": "Acme Care Ltd", "edrsNumber": "123456789", "postcode": "SW1A 1AA"}
ANN = {"misId": "OFF-1", "firstName": "Ann", "surname": "Smith", "email": "Ann.Smith@Example.org"}
ADA = {"misId": "L-1001", "firstName": "Ada", "surname": "Lovelace", "email": "ada@example.org"}
DUPLICATE = (409, "duplicate_mis_id", "misId")


@pytest.fixture
def client(sa: SaSandboxProcess) -> Iterator[SaClient]:
    """A fresh client of the emptied sandbox."""
    with SaClient(sa.base_url, SaCredentials(sa.username, sa.password, sa.client_key)) as fresh:
        yield fresh


def rejected(call: Callable[..., Any], *args: Any) -> tuple[int, str | None, str | None]:
    """Status, code and field of the SaRejected that ``call(*args)`` raises."""
    with pytest.raises(SaRejected) as raised:
        call(*args)
    return raised.value.status, raised.value.code, raised.value.field


def test_employer_round_trip(client: SaClient, sa: SaSandboxProcess) -> None:
    """U2: an employer is numbered from 1001, found by misId and by EDRS + postcode (case and
    spaces ignored), and a PATCH changes only the keys sent."""
    created = client.create_employer({**ACME, "website": "https://acme.example", "employerSize": "10-49"})
    other = client.create_employer({**ACME, "misId": "ORG-2", "postcode": "M1 1AA"})
    assert (created["id"], other["id"]) == (1001, 1002)
    assert client.get_employer(1001) == client.get_employer("1001") == created
    assert client.find_employers(mis_id="ORG-1") == [created]
    assert client.find_employers(edrs_number="123456789", postcode="sw1a1aa") == [created]
    assert client.find_employers(edrs_number="123456789") == [created, other]
    assert client.find_employers(edrs_number="999", postcode="SW1A 1AA") == []
    updated = client.update_employer(1001, {"phoneNumber": "020 7946 0000", "address4": None})
    assert updated == {
        **created,
        "phoneNumber": "020 7946 0000",
        "updatedAt": updated["updatedAt"],
        "modifiedAt": updated["modifiedAt"],
    }
    assert sa.employers() == [updated, other]


def test_assessor_round_trip(client: SaClient, sa: SaSandboxProcess) -> None:
    """U3: an assessor is numbered from 5001, found by misId and by e-mail (case ignored), patched."""
    created = client.create_assessor({**ANN, "mobileNumber": "07700 900000"})
    assert created["id"] == 5001
    assert client.get_assessor(5001) == created
    assert client.find_assessors(mis_id="OFF-1") == [created]
    assert client.find_assessors(email="ann.smith@EXAMPLE.org") == [created]
    updated = client.update_assessor(5001, {"surname": "Jones"})
    assert updated == {
        **created,
        "surname": "Jones",
        "updatedAt": updated["updatedAt"],
        "modifiedAt": updated["modifiedAt"],
    }
    assert sa.assessors() == [updated]


@pytest.mark.parametrize(
    ("create", "fields"),
    [
        pytest.param(SaClient.create_employer, ACME, id="U10-employer"),
        pytest.param(SaClient.create_assessor, ANN, id="U10-assessor"),
        pytest.param(SaClient.create_learner, ADA, id="U10-learner"),
    ],
)
def test_duplicate_mis_id_is_409(client: SaClient, create: Any, fields: dict[str, Any]) -> None:
    """U10: SA refuses a second record with a misId it holds."""
    create(client, fields)
    assert rejected(create, client, fields) == DUPLICATE


def test_duplicate_mis_id_on_update_is_409(client: SaClient) -> None:
    """A PATCH giving an employer another employer's misId is refused too."""
    client.create_employer(ACME)
    second = client.create_employer({**ACME, "misId": "ORG-2"})
    assert rejected(client.update_employer, second["id"], {"misId": "ORG-1"}) == DUPLICATE


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param({**ANN, "email": "ann.example.org"}, (422, "invalid_value", "email"), id="email-without-at"),
        pytest.param({**ANN, "email": None}, (422, "invalid_value", "email"), id="email-null"),
        pytest.param({"misId": "OFF-2", "firstName": "A", "surname": "B"}, (422, "missing_field", "email"), id="email-missing"),
    ],
)  # fmt: skip
def test_invalid_assessor_is_rejected(client: SaClient, fields: dict[str, Any], expected: tuple[int, str, str]) -> None:
    """An assessor needs an e-mail address with an @."""
    assert rejected(client.create_assessor, fields) == expected


def test_unknown_employer_or_assessor_is_not_found(client: SaClient) -> None:
    """Getting or patching a number SA does not hold is SaNotFound."""
    for call in (lambda: client.get_employer(1001), lambda: client.update_assessor(5001, {"surname": "X"})):
        with pytest.raises(SaNotFound):
            call()


def test_default_catalogue(client: SaClient, sa: SaSandboxProcess) -> None:
    """U5: a fresh sandbox offers eight courses numbered from 101, with 8-character QAN codes."""
    courses = client.list_courses()
    assert courses == sa.courses()
    assert [course["id"] for course in courses] == list(range(101, 109))
    assert all(len(course["qanCode"]) == 8 and course["qanCode"].isdigit() for course in courses)


def test_replaced_catalogue_is_read_across_pages(client: SaClient, sa: SaSandboxProcess) -> None:
    """The catalogue a test sets is served, renumbered from 101, and list_courses reads every page."""
    catalogue = [{"qanCode": f"6{n:07d}", "title": f"Course {n}"} for n in range(130)]
    assert [course["id"] for course in sa.set_courses(catalogue)] == list(range(101, 231))
    courses = client.list_courses()
    assert [(c["qanCode"], c["title"]) for c in courses] == [(c["qanCode"], c["title"]) for c in catalogue]
    assert sa.calls()["counts"]["GET /courses"] == 2


def test_enrol_list_get_and_patch(client: SaClient, sa: SaSandboxProcess) -> None:
    """U5/A1: an enrolment is numbered from 9001 with SA's progress; a PATCH sets only what is sent."""
    learner = client.create_learner(ADA)
    assessor = client.create_assessor(ANN)
    second = client.create_assessor({**ANN, "misId": "OFF-2", "email": "bob@example.org"})
    fields = {"courseId": 101, "misId": "Q-1", "startDate": "2025-09-01", "plannedEndDate": "2027-03-01",
              "assessorId": assessor["id"], "secondAssessorId": second["id"]}  # fmt: skip
    enrolment = client.enrol(learner["id"], fields)
    assert enrolment == {
        **fields, "id": 9001, "learnerId": learner["id"], "status": "in_training", "actualEndDate": None,
        "completionStatus": None, "outcome": None, "elementsTotal": 20, "elementsSignedOff": 0,
        "progressAssessedPc": 0, "progressMappedPc": 0, "timelinePc": 0,
        "createdAt": enrolment["createdAt"], "updatedAt": enrolment["updatedAt"], "modifiedAt": enrolment["createdAt"],
    }  # fmt: skip
    assert client.list_enrolments(learner["id"]) == [enrolment]
    assert client.get_enrolment(learner["id"], 9001) == enrolment
    closed = {"status": "completed", "actualEndDate": "2027-02-14", "completionStatus": 2, "outcome": 1}
    updated = client.update_enrolment(learner["id"], "9001", closed)
    assert updated == {**enrolment, **closed, "updatedAt": updated["updatedAt"], "modifiedAt": updated["modifiedAt"]}
    assert sa.enrolments() == [updated]


def test_enrolments_are_per_learner(client: SaClient) -> None:
    """Each learner lists only its own enrolments; the same misId may serve two learners."""
    ada = client.create_learner(ADA)
    bob = client.create_learner({**ADA, "misId": "L-1002", "firstName": "Bob"})
    first = client.enrol(ada["id"], {"courseId": 101, "misId": "Q-1"})
    second = client.enrol(bob["id"], {"courseId": 102, "misId": "Q-1"})
    assert client.list_enrolments(ada["id"]) == [first]
    assert client.list_enrolments(bob["id"]) == [second]
    with pytest.raises(SaNotFound):
        client.get_enrolment(bob["id"], first["id"])


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param({"courseId": 999}, (422, "unknown_course", "courseId"), id="U5-unknown-course"),
        pytest.param({"completionStatus": 5}, (422, "invalid_value", "completionStatus"), id="A1-completion-status-5"),
        pytest.param({"outcome": 4}, (422, "invalid_value", "outcome"), id="A1-outcome-4"),
        pytest.param({"status": "paused"}, (422, "invalid_value", "status"), id="unknown-status"),
        pytest.param({"assessorId": 5999}, (422, "unknown_assessor", "assessorId"), id="U5-unknown-assessor"),
        pytest.param({"secondAssessorId": 5999}, (422, "unknown_assessor", "secondAssessorId"), id="U4-unknown-second-assessor"),
        pytest.param({"misId": None}, (422, "invalid_value", "misId"), id="mis-id-null"),
    ],
)  # fmt: skip
def test_invalid_enrolment_is_rejected(
    client: SaClient, fields: dict[str, Any], expected: tuple[int, str, str]
) -> None:
    """An enrolment naming what SA does not know, or an invalid code, is a 422 on that field."""
    learner = client.create_learner(ADA)
    assert rejected(client.enrol, learner["id"], {"courseId": 101, "misId": "Q-1", **fields}) == expected


def test_invalid_enrolment_patch_is_rejected(client: SaClient) -> None:
    """A PATCH with an invalid completion status, or of the course, is refused; nothing changes."""
    learner = client.create_learner(ADA)
    enrolment = client.enrol(learner["id"], {"courseId": 101, "misId": "Q-1"})
    for fields, expected in [
        ({"completionStatus": 7}, (422, "invalid_value", "completionStatus")),
        ({"courseId": 102}, (422, "unknown_field", "courseId")),
        ({"status": None}, (422, "invalid_value", "status")),
    ]:
        assert rejected(client.update_enrolment, learner["id"], enrolment["id"], fields) == expected
    assert client.get_enrolment(learner["id"], enrolment["id"]) == enrolment


def test_duplicate_enrolment_mis_id_is_409(client: SaClient) -> None:
    """U10: a learner is not enrolled twice for the same PICS learner qualification."""
    learner = client.create_learner(ADA)
    client.enrol(learner["id"], {"courseId": 101, "misId": "Q-1"})
    assert rejected(client.enrol, learner["id"], {"courseId": 102, "misId": "Q-1"}) == DUPLICATE


def test_enrolments_of_unknown_learner_or_enrolment_are_not_found(client: SaClient) -> None:
    """Every enrolment call about a learner or enrolment SA does not hold is SaNotFound."""
    learner = client.create_learner(ADA)
    nobody = "00000000-0000-0000-0000-000000000000"
    calls = [
        lambda: client.enrol(nobody, {"courseId": 101, "misId": "Q-1"}),
        lambda: client.list_enrolments(nobody),
        lambda: client.get_enrolment(learner["id"], 9001),
        lambda: client.update_enrolment(learner["id"], 9001, {"status": "completed"}),
    ]
    for call in calls:
        with pytest.raises(SaNotFound):
            call()


def test_welcome_email_is_recorded(client: SaClient, sa: SaSandboxProcess) -> None:
    """U7: sendWelcomeEmail has SA e-mail the learner a login link; the flag is not stored."""
    learner = client.create_learner({**ADA, "sendWelcomeEmail": True})
    client.create_learner({**ADA, "misId": "L-1002", "sendWelcomeEmail": False})
    assert "sendWelcomeEmail" not in learner
    (email,) = sa.welcome_emails()
    assert (email["learnerId"], email["email"]) == (learner["id"], "ada@example.org")
    assert email["loginLink"].startswith(sa.base_url) and email["sentAt"]


def test_welcome_email_needs_an_email(client: SaClient, sa: SaSandboxProcess) -> None:
    """U7: a welcome email for a learner without e-mail address is a 422 on email; nothing is created."""
    fields = {**ADA, "email": None, "sendWelcomeEmail": True}
    assert rejected(client.create_learner, fields) == (422, "missing_field", "email")
    assert sa.learners() == [] and sa.welcome_emails() == []


def test_learner_links_must_exist(client: SaClient) -> None:
    """A learner's employerId and assessorId must name SA records, on create and on update."""
    no_employer, no_assessor = (
        (422, "unknown_employer", "employerId"),
        (422, "unknown_assessor", "assessorId"),
    )
    assert rejected(client.create_learner, {**ADA, "employerId": 1001}) == no_employer
    assert rejected(client.create_learner, {**ADA, "assessorId": 5001}) == no_assessor
    employer, assessor = client.create_employer(ACME), client.create_assessor(ANN)
    learner = client.create_learner({**ADA, "employerId": employer["id"], "assessorId": assessor["id"]})
    assert (learner["employerId"], learner["assessorId"]) == (1001, 5001)
    assert rejected(client.update_learner, learner["id"], {"employerId": 1002}) == no_employer
    assert client.update_learner(learner["id"], {"employerId": None})["employerId"] is None


def test_reset_forgets_everything_and_restores_the_catalogue(client: SaClient, sa: SaSandboxProcess) -> None:
    """POST /_sandbox/reset empties every table and numbers new records from the start again."""
    default = sa.courses()
    learner = client.create_learner({**ADA, "sendWelcomeEmail": True})
    client.enrol(learner["id"], {"courseId": 101, "misId": "Q-1"})
    client.create_employer(ACME)
    client.create_assessor(ANN)
    sa.set_courses([{"qanCode": "60000001", "title": "Only course"}])
    sa.reset()
    assert (sa.learners(), sa.employers(), sa.assessors(), sa.enrolments(), sa.welcome_emails()) == ([],) * 5
    assert sa.courses() == default
    assert client.create_employer(ACME)["id"] == 1001


def test_new_routes_are_logged_under_stable_templates(client: SaClient, sa: SaSandboxProcess) -> None:
    """The call log counts each new call under its route template, whatever the ids."""
    learner_id = client.create_learner(ADA)["id"]
    employer_id, assessor_id = client.create_employer(ACME)["id"], client.create_assessor(ANN)["id"]
    client.get_employer(employer_id)
    client.update_employer(employer_id, {"name": "Acme"})
    client.find_employers(mis_id="ORG-1")
    client.get_assessor(assessor_id)
    client.update_assessor(assessor_id, {"surname": "Jones"})
    client.find_assessors(email="x@y")
    client.list_courses()
    enrolment_id = client.enrol(learner_id, {"courseId": 101, "misId": "Q-1"})["id"]
    client.list_enrolments(learner_id)
    client.get_enrolment(learner_id, enrolment_id)
    client.update_enrolment(learner_id, enrolment_id, {"status": "completed"})
    assert sa.calls()["counts"] == dict.fromkeys([
        "POST /auth/token", "POST /learners", "POST /employers", "POST /assessors", "GET /employers/{id}",
        "PATCH /employers/{id}", "GET /employers", "GET /assessors/{id}", "PATCH /assessors/{id}", "GET /assessors",
        "GET /courses", "POST /learners/{id}/courses", "GET /learners/{id}/courses",
        "GET /learners/{id}/courses/{enrolmentId}", "PATCH /learners/{id}/courses/{enrolmentId}",
    ], 1)  # fmt: skip
    logged = [(c["route"], c["resource_id"]) for c in sa.calls()["log"]]
    assert [rid for route, rid in logged if route.startswith("/learners/{id}/courses")] == [learner_id] * 4
