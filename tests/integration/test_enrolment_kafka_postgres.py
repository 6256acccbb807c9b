"""LearnerEnrolled and the changes after it, through the real broker, real PostgreSQL and the SA sandbox.

Contract: an enrolment uploads the learner once, with its employer, its Main Officer and its second
assessor linked or created, one course per supported qualification, the unsupported ones reported,
and the SA ids written back to PICS (U1–U8); replaying it, by the same bytes or under a new event
id, creates nothing new in SA (U10); an edit that changes nothing makes no call (X1); one learner's
events reach SA in the order they were produced; organisation and officer edits reach the linked SA
employer and assessor (G1, O1); a permanent refusal by SA parks the event with a reason an operator
can read, and the stream goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta
from typing import Any

import pytest

from consumers.producer import EventProducer
from consumers.service import Service
from sandbox.pics.people import People
from sandbox.sa.process import SaSandboxProcess
from sync_core.outcome import Kind, Tally
from sync_core.pics.learners import LearnerRepository
from sync_core.pics.qualification_links import QualificationLinks
from sync_core.serde import new_event
from sync_core.settings import Mode
from sync_core.state.settings_repo import SettingsRepository

pytestmark = pytest.mark.integration

SUPPORTED = "60336497"  # in the sandbox's default catalogue (Business Administrator Level 3)
UNSUPPORTED = "99999999"  # in no catalogue
CREATES = ("POST /learners", "POST /employers", "POST /assessors", "POST /learners/{id}/courses")


def organisation(org_id: str) -> dict[str, Any]:
    """A PICS placement organisation, not yet linked to SA."""
    return {
        "organisation_id": org_id, "name": f"Employer {org_id}", "phone_number": "0113 496 0000",
        "edrs_number": "123456789", "address_1": "1 Park Row", "address_2": "Leeds", "address_3": None,
        "address_4": None, "postcode": "LS1 5AB", "website": "https://employer.example",
        "employer_size": "10-49", "additional_id": None,
    }  # fmt: skip


def officer(officer_id: str, first_name: str, surname: str) -> dict[str, Any]:
    """A PICS officer, not yet linked to SA."""
    return {
        "officer_id": officer_id, "first_name": first_name, "surname": surname,
        "email": f"{officer_id.lower()}@provider.example", "phone_number": "0113 496 0001",
        "mobile_number": "07700 900001", "additional_id": None,
    }  # fmt: skip


def qualification(qid: str, reference: str, start: date, **changes: Any) -> dict[str, Any]:
    """A continuing learner qualification with no assessor of its own."""
    return {
        "qualification_id": qid, "qualification_reference": reference, "title": f"Qualification {reference}",
        "start_date": start, "planned_end_date": start + timedelta(days=540), "actual_end_date": None,
        "assessor": None, "completion_status": 1, "outcome": None, **changes,
    }  # fmt: skip


def new_learner(seed: int, ident: str, **changes: Any) -> dict[str, Any]:
    """A Live, in-learning PICS learner not yet in SA."""
    return {**People(seed).learner(ident), "smart_assessor_id": None, **changes}


def enrolment(
    learner: dict[str, Any],
    placement: dict[str, Any] | None = None,
    officers: Sequence[tuple[str, dict[str, Any]]] = (),
    qualifications: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """A LearnerEnrolled payload."""
    return {
        "learner": learner,
        "placement": placement,
        "officers": [{"role": role, "officer": o} for role, o in officers],
        "qualifications": list(qualifications),
    }


def seed_pics(
    service: Service,
    learner: dict[str, Any],
    placement: dict[str, Any] | None = None,
    officers: Iterable[dict[str, Any]] = (),
) -> None:
    """The PICS rows the enrolment's write-backs land on."""
    with service.pool.connection() as conn:
        if placement is not None:
            conn.execute(
                "INSERT INTO pics.organisation (id, name, phone_number, edrs_number, address_1, address_2,"
                " address_3, address_4, postcode, website, employer_size) VALUES (%(organisation_id)s,"
                " %(name)s, %(phone_number)s, %(edrs_number)s, %(address_1)s, %(address_2)s, %(address_3)s,"
                " %(address_4)s, %(postcode)s, %(website)s, %(employer_size)s)",
                placement,
            )
        for o in officers:
            conn.execute(
                "INSERT INTO pics.officer (id, first_name, surname, email, phone_number, mobile_number)"
                " VALUES (%(officer_id)s, %(first_name)s, %(surname)s, %(email)s, %(phone_number)s,"
                " %(mobile_number)s)",
                o,
            )
    LearnerRepository(service.pool).upsert([learner])


def scalar(service: Service, query: str, *params: Any) -> Any:
    """The first column of the first row, or None."""
    with service.pool.connection() as conn:
        row = conn.execute(query, params).fetchone()
    return None if row is None else row[0]


def additional_id(service: Service, table: str, pics_id: str) -> str | None:
    """The SA id written back to a PICS organisation or officer (U2, U3)."""
    return scalar(service, f"SELECT additional_id FROM pics.{table} WHERE id = %s", pics_id)


def smart_assessor_id(service: Service, ident: str) -> str | None:
    """The Smart Assessor ID written back to the PICS learner (U8)."""
    return scalar(service, "SELECT smart_assessor_id FROM pics.learner WHERE learner_ident = %s", ident)


def held(sa: SaSandboxProcess) -> tuple[int, int, int, int]:
    """How many learners, employers, assessors and enrolments SA holds."""
    return len(sa.learners()), len(sa.employers()), len(sa.assessors()), len(sa.enrolments())


def creates(sa: SaSandboxProcess) -> dict[str, int]:
    """How many creates of each kind SA received."""
    counts = sa.calls()["counts"]
    return {route: int(counts.get(route, 0)) for route in CREATES}


def supported_course_id(service: Service, sa: SaSandboxProcess) -> int:
    """Refresh the qualification links from SA's catalogue; the SA course of ``SUPPORTED``."""
    QualificationLinks(service.pool).refresh(sa.courses())
    return next(int(c["id"]) for c in sa.courses() if c["qanCode"] == SUPPORTED)


def configure(service: Service, **settings: str) -> None:
    """Integration on, plus the settings given by PICS name."""
    SettingsRepository(service.pool).set_many({"Integration Enabled": "on", **settings})


def by_mis_id(records: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["misId"]: r for r in records}


@pytest.fixture
def full_enrolment(service: Service, sa: SaSandboxProcess) -> dict[str, Any]:
    """A learner with a placement, a Main Officer, an IQA officer (S14 = IQA), one supported and one
    unsupported qualification; its PICS rows stored and the qualification links refreshed."""
    configure(service, **{"Send Learner Welcome Email": "on", "Qualification Second Assessor Role": "IQA"})
    supported_course_id(service, sa)
    learner = new_learner(11, "L-ENR-1")
    placement = organisation("ORG-ENR-1")
    main, iqa = officer("OFF-ENR-MAIN", "Ada", "Main"), officer("OFF-ENR-IQA", "Iris", "Quality")
    seed_pics(service, learner, placement, [main, iqa])
    start = learner["start_date"]
    return enrolment(
        learner,
        placement,
        [("Main Officer", main), ("IQA", iqa)],
        [qualification("Q-ENR-1", SUPPORTED, start), qualification("Q-ENR-2", UNSUPPORTED, start)],
    )


def test_enrolment_uploads_learner_employer_assessors_and_course(
    service: Service,
    producer: EventProducer,
    drain: Callable[[], Tally],
    sa: SaSandboxProcess,
    full_enrolment: dict[str, Any],
) -> None:
    """U1–U8: one SA learner, employer, two assessors and one course; SA ids written back to PICS."""
    producer.send("pics.learner", "L-ENR-1", new_event("LearnerEnrolled", full_enrolment))
    producer.flush()
    tally = drain()
    assert tally.count(Kind.APPLIED) == 1
    [learner], [employer], [enrolled] = sa.learners(), sa.employers(), sa.enrolments()
    assessors = by_mis_id(sa.assessors())
    assert sorted(assessors) == ["OFF-ENR-IQA", "OFF-ENR-MAIN"]
    main, iqa = assessors["OFF-ENR-MAIN"], assessors["OFF-ENR-IQA"]
    pics = full_enrolment["learner"]
    assert (learner["misId"], learner["uln"], learner["email"]) == ("L-ENR-1", pics["uln"], pics["email"])
    assert learner["startDate"] == pics["start_date"].isoformat()
    assert learner["plannedOtjHours"] == pics["planned_otj_hours"]  # U6
    assert (learner["employerId"], learner["assessorId"]) == (employer["id"], main["id"])  # U2, U3
    assert (employer["misId"], employer["edrsNumber"]) == ("ORG-ENR-1", "123456789")
    assert (main["email"], iqa["email"]) == ("off-enr-main@provider.example", "off-enr-iqa@provider.example")
    assert (enrolled["learnerId"], enrolled["misId"]) == (learner["id"], "Q-ENR-1")  # U5
    assert (enrolled["assessorId"], enrolled["secondAssessorId"]) == (main["id"], iqa["id"])  # U4
    assert [e["learnerId"] for e in sa.welcome_emails()] == [learner["id"]]  # U7
    assert additional_id(service, "organisation", "ORG-ENR-1") == str(employer["id"])  # U2
    assert additional_id(service, "officer", "OFF-ENR-MAIN") == str(main["id"])  # U3
    assert additional_id(service, "officer", "OFF-ENR-IQA") == str(iqa["id"])  # U4
    assert smart_assessor_id(service, "L-ENR-1") == learner["id"]  # U8
    reason = scalar(service, "SELECT reason FROM sync.processed_events WHERE outcome = 'applied'")
    assert UNSUPPORTED in reason and "U5" in reason


def test_replayed_enrolment_creates_nothing_new(
    service: Service,
    producer: EventProducer,
    drain: Callable[[], Tally],
    sa: SaSandboxProcess,
    full_enrolment: dict[str, Any],
) -> None:
    """U10: the enrolment delivered again, and re-sent under a new event id, creates nothing in SA."""
    data = producer.send("pics.learner", "L-ENR-1", new_event("LearnerEnrolled", full_enrolment))
    producer.flush()
    assert drain().count(Kind.APPLIED) == 1
    first = creates(sa)
    producer.send_raw("pics.learner", "L-ENR-1", data)
    producer.send("pics.learner", "L-ENR-1", new_event("LearnerEnrolled", full_enrolment))
    producer.flush()
    tally = drain()
    assert (tally.count(Kind.DUPLICATE), tally.count(Kind.APPLIED)) == (1, 1)
    assert first == dict.fromkeys(CREATES, 1) | {"POST /assessors": 2}
    assert creates(sa) == first
    assert held(sa) == (1, 1, 2, 1)


def test_unchanged_edit_after_enrolment_makes_no_call(
    service: Service, producer: EventProducer, drain: Callable[[], Tally], sa: SaSandboxProcess
) -> None:
    """X1: after an applied LearnerEdited, a new event with the same after-image makes no SA call."""
    configure(service, **{"Update Learner Demographics Mode": Mode.PUSH.value})
    learner = new_learner(12, "L-X1-1")
    seed_pics(service, learner)
    edited = {**learner, "email": "edited@example.org"}
    producer.send("pics.learner", "L-X1-1", new_event("LearnerEnrolled", enrolment(learner)))
    producer.send("pics.learner", "L-X1-1", new_event("LearnerEdited", {"learner": edited}))
    producer.flush()
    assert drain().count(Kind.APPLIED) == 2
    patches = sa.calls()["counts"]["PATCH /learners/{id}"]
    again = new_event("LearnerEdited", {"learner": edited}, changed_fields=["email"])
    producer.send("pics.learner", "L-X1-1", again)
    producer.flush()
    tally = drain()
    assert (tally.count(Kind.APPLIED), tally.sa_calls) == (1, 0)
    assert sa.calls()["counts"]["PATCH /learners/{id}"] == patches
    assert sa.learners()[0]["email"] == "edited@example.org"


def test_one_learners_events_apply_in_order(
    service: Service, producer: EventProducer, drain: Callable[[], Tally], sa: SaSandboxProcess
) -> None:
    """L1, B1, B2: enrolment, five edits and a break and return reach SA in the order produced."""
    configure(service, **{"Update Learner Demographics Mode": Mode.PUSH.value})
    supported_course_id(service, sa)
    learner = new_learner(13, "L-ORD-1")
    seed_pics(service, learner)
    course = qualification("Q-ORD-1", SUPPORTED, learner["start_date"])
    last = {**learner, "email": "e5@example.org"}
    off, back = date.today() - timedelta(days=20), date.today() - timedelta(days=5)
    events = [
        new_event("LearnerEnrolled", enrolment(learner, qualifications=[course])),
        *(new_event("LearnerEdited", {"learner": {**learner, "email": f"e{n}@example.org"}}) for n in range(1, 6)),
        new_event("BreakInLearning", {"learner": last, "phase": "start", "break_date": off,
                  "qualifications": [{**course, "completion_status": 6, "actual_end_date": off}]}),
        new_event("BreakInLearning", {"learner": last, "phase": "return", "break_date": back,
                  "qualifications": [course]}),
    ]  # fmt: skip
    for event in events:
        producer.send("pics.learner", "L-ORD-1", event)
    producer.flush()
    assert drain().count(Kind.APPLIED) == len(events)
    [sa_learner], [enrolled] = sa.learners(), sa.enrolments()
    assert (sa_learner["email"], sa_learner["status"]) == ("e5@example.org", "active")
    assert (enrolled["status"], enrolled["completionStatus"]) == ("in_training", 1)
    assert enrolled["actualEndDate"] is None
    writes = [
        (c["method"], c["route"]) for c in sa.calls()["log"]
        if c["method"] != "GET" and c["resource_id"] == sa_learner["id"]
    ]  # fmt: skip
    learner_patch = ("PATCH", "/learners/{id}")
    course_patch = ("PATCH", "/learners/{id}/courses/{enrolmentId}")
    # create (U9's details push is no call: SA holds them from the upload, X1), five edits,
    # break start (learner then course), return (learner then course)
    assert writes == [
        ("POST", "/learners"), ("POST", "/learners/{id}/courses"),
        *[learner_patch] * 5, learner_patch, course_patch, learner_patch, course_patch,
    ]  # fmt: skip
    with service.pool.connection() as conn:
        rows = conn.execute('SELECT event_id::text FROM sync.processed_events ORDER BY processed_at, "offset"')
        assert [r[0] for r in rows] == [e["event_id"] for e in events]


def test_organisation_and_officer_edits_reach_sa(
    service: Service, producer: EventProducer, drain: Callable[[], Tally], sa: SaSandboxProcess
) -> None:
    """G1, O1: with S12 and S10 = Push, edits of a linked organisation and officer update SA."""
    configure(
        service,
        **{
            "Update Organisation Demographics Mode": Mode.PUSH.value,
            "Update Officer Demographics Mode": Mode.PUSH.value,
        },
    )
    learner, placement = new_learner(14, "L-G1-1"), organisation("ORG-G1-1")
    main = officer("OFF-O1-1", "Olu", "Ade")
    seed_pics(service, learner, placement, [main])
    enrolled = enrolment(learner, placement, [("Main Officer", main)])
    producer.send("pics.learner", "L-G1-1", new_event("LearnerEnrolled", enrolled))
    producer.flush()
    assert drain().count(Kind.APPLIED) == 1
    employer_id = additional_id(service, "organisation", "ORG-G1-1")
    assessor_id = additional_id(service, "officer", "OFF-O1-1")
    assert employer_id and assessor_id
    renamed = {**placement, "name": "Renamed Ltd", "postcode": "LS2 7EE", "additional_id": employer_id}
    moved = {**main, "email": "olu.ade@elsewhere.example", "surname": "Adebayo", "additional_id": assessor_id}
    producer.send("pics.organisation", "ORG-G1-1", new_event("OrganisationEdited", {"organisation": renamed}))
    producer.send("pics.officer", "OFF-O1-1", new_event("OfficerEdited", {"officer": moved}))
    producer.flush()
    tally = drain()
    assert (tally.count(Kind.APPLIED), tally.sa_calls) == (2, 2)
    [employer], [assessor] = sa.employers(), sa.assessors()
    assert (employer["name"], employer["postcode"]) == ("Renamed Ltd", "LS2 7EE")
    assert (assessor["email"], assessor["surname"]) == ("olu.ade@elsewhere.example", "Adebayo")
    counts = sa.calls()["counts"]
    assert (counts.get("PATCH /employers/{id}"), counts.get("PATCH /assessors/{id}")) == (1, 1)


def test_rejected_enrolment_parks_with_reason_and_stream_goes_on(
    service: Service, producer: EventProducer, drain: Callable[[], Tally], sa: SaSandboxProcess
) -> None:
    """U1: SA refusing a malformed ULN parks the enrolment with a reason naming the field; the next learner still arrives."""
    configure(service)
    bad, good = new_learner(15, "L-REJ-1", uln="12AB"), new_learner(16, "L-REJ-2")
    seed_pics(service, bad)
    seed_pics(service, good)
    producer.send("pics.learner", "L-REJ-1", new_event("LearnerEnrolled", enrolment(bad)))
    producer.send("pics.learner", "L-REJ-2", new_event("LearnerEnrolled", enrolment(good)))
    producer.flush()
    tally = drain()
    assert (tally.count(Kind.PARKED), tally.count(Kind.APPLIED)) == (1, 1)
    with service.pool.connection() as conn:
        parked = conn.execute("SELECT key, error_class, reason FROM sync.parked_events").fetchall()
    [(key, error_class, reason)] = parked
    assert (key, error_class) == ("L-REJ-1", "SaRejected")
    assert "uln" in reason and "422" in reason and "12AB" not in reason  # ids and fields, never values
    assert [learner["misId"] for learner in sa.learners()] == ["L-REJ-2"]
    assert smart_assessor_id(service, "L-REJ-1") is None
