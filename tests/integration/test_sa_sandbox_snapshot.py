"""The sandbox's hand deletions and restores, its snapshots ("SA restored from an older backup") and
sessions that keep their id when they change: the SA client and the sandbox's helpers over real HTTP
(DOMAIN.md D7 needs SA records that are gone, and come back)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from sandbox.sa.process import SaSandboxProcess
from sync_core.errors import SaNotFound
from sync_core.smart_assessor.client import SaClient, SaCredentials

pytestmark = pytest.mark.integration

ACME = {"misId": "ORG-1", "name": "Acme Care Ltd", "edrsNumber": "123456789", "postcode": "SW1A 1AA"}
ANN = {"misId": "OFF-1", "firstName": "Ann", "surname": "Smith", "email": "ann@example.org"}
ADA = {"misId": "L-1001", "firstName": "Ada", "surname": "Lovelace", "email": "ada@example.org"}
REVIEW = {"type": "Formal Review", "start": "2025-03-04T10:30:00Z", "durationMinutes": 60, "status": "planned"}
CALL = {"type": "Telephone", "start": "2025-02-01T09:00:00Z", "durationMinutes": 15, "status": "planned"}


@pytest.fixture
def client(sa: SaSandboxProcess) -> Iterator[SaClient]:
    """A fresh client of the emptied sandbox."""
    with SaClient(sa.base_url, SaCredentials(sa.username, sa.password, sa.client_key)) as fresh:
        yield fresh


@pytest.fixture
def held(client: SaClient) -> dict[str, Any]:
    """An employer, an assessor and a learner of both, enrolled once: each as SA answered its create."""
    employer, assessor = client.create_employer(ACME), client.create_assessor(ANN)
    learner = client.create_learner({**ADA, "employerId": employer["id"], "assessorId": assessor["id"]})
    enrolment = client.enrol(learner["id"], {"courseId": 101, "misId": "L-1001-Q1", "assessorId": assessor["id"]})
    return {"employer": employer, "assessor": assessor, "learner": learner, "enrolment": enrolment}


def refusal(call: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[int, str, str | None]:
    """Status, code and field of the sandbox's refusal of ``call(*args, **kwargs)``."""
    with pytest.raises(httpx.HTTPStatusError) as raised:
        call(*args, **kwargs)
    body = raised.value.response.json()
    return raised.value.response.status_code, body["code"], body["field"]


def not_found(call: Callable[[], Any]) -> bool:
    """True when SA answers the call 404."""
    try:
        call()
    except SaNotFound:
        return True
    return False


def everything(sa: SaSandboxProcess) -> dict[str, list[dict[str, Any]]]:
    """Every table SA holds, as the sandbox lists them."""
    tables = ("learners", "employers", "assessors", "enrolments", "sessions", "courses")
    return {name: getattr(sa, name)() for name in tables}


def pulled(client: SaClient, learner_id: str) -> dict[str, Any]:
    """What the daily pull reads of a learner."""
    return {
        "sessions": client.list_sessions(learner_id),
        "otj": client.get_otj(learner_id),
        "smartCoach": client.get_smart_coach(learner_id),
        "enrolments": client.list_enrolments(learner_id),
    }


def test_a_deleted_employer_or_assessor_is_gone_from_sa(
    client: SaClient, sa: SaSandboxProcess, held: dict[str, Any]
) -> None:
    """D7: after a hand deletion SA answers 404 to GET and PATCH and no search finds the record; records
    that named it keep its id; the deletion is not an SA call."""
    employer, assessor = held["employer"]["id"], held["assessor"]["id"]
    calls = sa.calls()["log"][-1]["seq"]
    sa.delete("employers", employer)
    sa.delete("assessors", str(assessor))
    assert sa.calls(since=calls)["log"] == []
    assert not_found(lambda: client.get_employer(employer))
    assert not_found(lambda: client.update_employer(employer, {"name": "Typed again"}))
    assert not_found(lambda: client.get_assessor(assessor))
    assert not_found(lambda: client.update_assessor(assessor, {"surname": "Jones"}))
    assert client.find_employers(mis_id="ORG-1") == client.find_employers(edrs_number="123456789") == []
    assert client.find_assessors(mis_id="OFF-1") == client.find_assessors(email="ann@example.org") == []
    assert sa.employers() == sa.assessors() == []
    learner = client.get_learner(held["learner"]["id"])
    assert (learner["employerId"], learner["assessorId"]) == (employer, assessor)


def test_a_deleted_enrolment_is_gone_from_its_learner(
    client: SaClient, sa: SaSandboxProcess, held: dict[str, Any]
) -> None:
    """D7: an enrolment deleted under its learner answers 404 and leaves the learner's list."""
    learner, enrolment = held["learner"]["id"], held["enrolment"]["id"]
    sa.delete("enrolments", enrolment, learner_id=learner)
    assert not_found(lambda: client.get_enrolment(learner, enrolment))
    assert not_found(lambda: client.update_enrolment(learner, enrolment, {"status": "completed"}))
    assert client.list_enrolments(learner) == sa.enrolments() == []
    assert client.get_learner(learner) == held["learner"]


def test_a_deleted_learner_takes_its_enrolments_and_activity(
    client: SaClient, sa: SaSandboxProcess, held: dict[str, Any]
) -> None:
    """D7: a learner deleted by hand answers 404, as do its enrolments, sessions, OTJ and Smart Coach."""
    learner = held["learner"]["id"]
    sa.set_activity(learner, sessions=[REVIEW, CALL], otjActualHours=12.5, smartCoachScore=0.7)
    sa.delete("learners", learner)
    for read in (client.get_learner, client.list_enrolments, client.list_sessions, client.get_otj):
        with pytest.raises(SaNotFound):
            read(learner)
    assert not_found(lambda: client.update_learner(learner, {"surname": "Byron"}))
    assert client.find_learners(mis_id="L-1001") == []
    assert sa.learners() == sa.enrolments() == sa.sessions() == []


def test_a_restored_learner_comes_back_whole(client: SaClient, sa: SaSandboxProcess, held: dict[str, Any]) -> None:
    """A restored learner has its id and values, its enrolments, sessions (same ids) and activity back."""
    learner = held["learner"]["id"]
    sa.set_activity(learner, sessions=[REVIEW, CALL], otjActualHours=12.5, smartCoachScore=0.7)
    before, tables = pulled(client, learner), everything(sa)
    sa.delete("learners", learner)
    assert sa.restore_record("learners", learner) == held["learner"]
    assert client.get_learner(learner) == held["learner"]
    assert pulled(client, learner) == before
    assert everything(sa) == tables
    assert refusal(sa.restore_record, "learners", learner)[:2] == (404, "not_found")


def test_a_restored_employer_takes_its_old_place(client: SaClient, sa: SaSandboxProcess) -> None:
    """A restored record keeps its id and values, and searches list it where they did, oldest first."""
    first = client.create_employer(ACME)
    second = client.create_employer({**ACME, "misId": "ORG-2"})
    sa.delete("employers", first["id"])
    assert client.find_employers(edrs_number="123456789") == [second]
    assert sa.restore_record("employers", first["id"]) == first
    assert client.find_employers(edrs_number="123456789", postcode="sw1a1aa") == [first, second]
    assert client.update_employer(first["id"], {"name": "Acme Ltd"})["name"] == "Acme Ltd"


def test_an_enrolment_comes_back_only_to_its_learner(
    client: SaClient, sa: SaSandboxProcess, held: dict[str, Any]
) -> None:
    """An enrolment deleted on its own is restored under its learner, once the learner is back."""
    learner, enrolment = held["learner"]["id"], held["enrolment"]
    sa.delete("enrolments", enrolment["id"], learner_id=learner)
    sa.delete("learners", learner)
    assert refusal(sa.restore_record, "enrolments", enrolment["id"], learner_id=learner)[:2] == (404, "not_found")
    sa.restore_record("learners", learner)
    assert client.list_enrolments(learner) == []
    assert sa.restore_record("enrolments", enrolment["id"], learner_id=learner) == enrolment
    assert client.get_enrolment(learner, enrolment["id"]) == enrolment


def test_a_restore_that_would_clash_is_refused_whole(client: SaClient, sa: SaSandboxProcess) -> None:
    """U10: a deleted record whose misId SA holds again (someone created it anew) is not restored: 409."""
    first = client.create_employer(ACME)
    sa.delete("employers", first["id"])
    again = client.create_employer(ACME)
    assert refusal(sa.restore_record, "employers", first["id"]) == (409, "duplicate_mis_id", "misId")
    assert sa.employers() == [again]


def test_enrolments_are_deleted_under_their_learner(
    client: SaClient, sa: SaSandboxProcess, held: dict[str, Any]
) -> None:
    """An enrolment is deleted under its own learner only (the generic path says so); a kind or a record
    the sandbox has not is a 404."""
    enrolment = held["enrolment"]["id"]
    other = client.create_learner({**ADA, "misId": "L-1002"})["id"]
    with pytest.raises(ValueError, match="learner_id"):
        sa.delete("enrolments", enrolment)
    assert refusal(sa.delete, "enrolments", enrolment, learner_id=other)[:2] == (404, "not_found")
    generic = httpx.delete(f"{sa.base_url}/_sandbox/enrolments/{enrolment}")
    assert (generic.status_code, "/_sandbox/learners/{id}/courses/{enrolmentId}" in generic.json()["message"]) == (
        404,
        True,
    )
    assert refusal(sa.delete, "courses", 101)[:2] == refusal(sa.delete, "employers", 4242)[:2] == (404, "not_found")
    assert sa.enrolments() == [held["enrolment"]]


def test_a_snapshot_restore_puts_every_table_back(client: SaClient, sa: SaSandboxProcess, held: dict[str, Any]) -> None:
    """An SA restored from a backup holds what it held then, activity included; the call log and the
    settings stay the harness's."""
    learner = held["learner"]["id"]
    sa.set_activity(learner, sessions=[REVIEW], otjActualHours=12.5, smartCoachScore=0.7)
    tables, before = everything(sa), pulled(client, learner)
    snapshot = sa.snapshot()
    client.update_learner(learner, {"surname": "Byron"})
    client.create_learner({**ADA, "misId": "L-1002"})
    sa.set_activity(learner, sessions=[CALL], otjActualHours=40.0, inSmartCoach=False)
    sa.delete("employers", held["employer"]["id"])
    sa.configure(latency_ms=1)
    calls = sa.calls()
    sa.restore(snapshot)
    assert sa.calls() == calls
    assert sa.configure()["latency_ms"] == 1
    assert everything(sa) == tables
    assert pulled(client, learner) == before


def test_a_snapshot_restore_hands_out_ids_again(client: SaClient, sa: SaSandboxProcess, held: dict[str, Any]) -> None:
    """Like a database restored from a backup, SA numbers on from the snapshot's counters: an id handed out
    after the snapshot is handed out again, to another record."""
    snapshot = sa.snapshot()
    later = client.create_employer({**ACME, "misId": "ORG-2"})
    later_enrolment = client.enrol(held["learner"]["id"], {"courseId": 102, "misId": "L-1001-Q2"})
    sa.restore(snapshot)
    assert not_found(lambda: client.get_employer(later["id"]))
    other = client.create_employer({**ACME, "misId": "ORG-3"})
    assert (other["id"], other["misId"]) == (later["id"], "ORG-3")
    assert client.enrol(held["learner"]["id"], {"courseId": 103, "misId": "L-1001-Q3"})["id"] == later_enrolment["id"]


def test_a_snapshot_can_be_restored_again(client: SaClient, sa: SaSandboxProcess, held: dict[str, Any]) -> None:
    """Writes after a restore do not reach the snapshot; an unknown snapshot is a 404."""
    tables, snapshot = everything(sa), sa.snapshot()
    sa.restore(snapshot)
    client.update_employer(held["employer"]["id"], {"name": "Typed in SA"})
    sa.delete("learners", held["learner"]["id"])
    sa.restore(snapshot)
    assert everything(sa) == tables
    assert refusal(sa.restore, "no-such-snapshot")[:2] == (404, "not_found")


def test_a_changed_session_keeps_its_id(client: SaClient, sa: SaSandboxProcess, held: dict[str, Any]) -> None:
    """P2: a session sent back with its id is that session changed, under the same id; one sent without
    an id is new; one left out is gone."""
    learner = held["learner"]["id"]
    review, call = sa.set_activity(learner, sessions=[REVIEW, CALL])["sessions"][::-1]
    changed = {**REVIEW, "id": review["id"], "status": "attended", "durationMinutes": 90}
    sessions = sa.set_activity(learner, sessions=[changed, CALL])["sessions"]
    assert [s["id"] for s in sessions] == [call["id"] + 1, review["id"]]
    assert client.list_sessions(learner)[1] == {**review, "status": "attended", "durationMinutes": 90,
                                                "actualStart": REVIEW["start"]}  # fmt: skip
    assert [s["id"] for s in sa.sessions()] == [review["id"], call["id"] + 1]


def test_a_session_id_must_be_the_learners_own(client: SaClient, sa: SaSandboxProcess, held: dict[str, Any]) -> None:
    """An id names a session the learner owns, once; else the change is refused whole."""
    learner = held["learner"]["id"]
    other = client.create_learner({**ADA, "misId": "L-1002"})["id"]
    (theirs,) = sa.set_activity(other, sessions=[CALL])["sessions"]
    (mine,) = sa.set_activity(learner, sessions=[REVIEW])["sessions"]
    assert refusal(sa.set_activity, learner, sessions=[{**CALL, "id": theirs["id"]}])[:2] == (404, "not_found")
    twice = [{**REVIEW, "id": mine["id"]}, {**CALL, "id": mine["id"]}]
    assert refusal(sa.set_activity, learner, sessions=twice) == (422, "invalid_value", "id")
    assert client.list_sessions(learner) == [mine]
