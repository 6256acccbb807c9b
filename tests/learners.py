"""PICS learners on their way into Smart Assessor, and the ways their events park under DOMAIN v2.

For the integration, scenario and browser tests that need a learner in SA with a course, or a parked
event. v1 parked an edit of a learner not in SA ("not enrolled (X2)"); v2 skips it (X2), so these
tests park an event in one of two ways:

- A1 v2: an ``IlrAimClosed`` with a completion status outside DOMAIN.md's list (``UNKNOWN_STATUS``)
  of a learner enrolled on a supported course parks naming the code ("unknown completion status 9
  (A1)"), and the learner's later events wait behind it. A redrive processes the same bytes, so it
  parks again: the way to a parked event that a redrive cannot settle.
- ``rule_raising_for``: while the block is open the pipeline's rule raises ``InjectedFault`` for one
  key's events (the hook behind ``PICS_SYNC_RAISE_IN_RULE``), as a bug in a rule would; they park
  "unexpected InjectedFault". Once the block ends the bug is fixed, and a redrive applies them: the
  way to a parked event whose cause goes away.

A test of the daily synchronisation (D1–D6) stores the learner's whole record in PICS
(``recorded_enrolment``, ``edited_in_pics``): a reconcile plans from PICS's tables, not from an event.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

from psycopg import sql

from consumers.producer import EventProducer
from consumers.service import Service
from sandbox.pics.people import People
from sync_core.faults import raise_in_rule
from sync_core.pics.learners import LearnerRepository
from sync_core.pics.qualification_links import QualificationLinks
from sync_core.pics.tables import PicsTables
from sync_core.serde import new_event

SUPPORTED = "60336497"  # in the sandbox's default catalogue (Business Administrator Level 3)
ALSO_SUPPORTED = "60304226"  # in it too (Functional Skills Mathematics at Level 2)
UNKNOWN_STATUS = 9  # no ILR completion status DOMAIN.md maps (1, 2, 3, 4, 6)
PARKED_A1 = f"unknown completion status {UNKNOWN_STATUS} (A1)"
BEHIND = "waiting behind a parked event of this learner"
FAULT = "unexpected InjectedFault"


def new_learner(seed: int, ident: str, **changes: Any) -> dict[str, Any]:
    """A Live, in-learning PICS learner not yet in SA."""
    return {**People(seed).learner(ident), "smart_assessor_id": None, **changes}


def course(qid: str, reference: str = SUPPORTED, start: date | None = None, **changes: Any) -> dict[str, Any]:
    """A continuing learner qualification with no assessor of its own."""
    begun = start or date.today() - timedelta(days=120)
    return {
        "qualification_id": qid, "qualification_reference": reference, "title": f"Qualification {reference}",
        "start_date": begun, "planned_end_date": begun + timedelta(days=540), "actual_end_date": None,
        "assessor": None, "completion_status": 1, "outcome": None, **changes,
    }  # fmt: skip


def officer(officer_id: str, first_name: str, surname: str) -> dict[str, Any]:
    """A PICS officer, not yet linked to SA."""
    return {
        "officer_id": officer_id, "first_name": first_name, "surname": surname,
        "email": f"{officer_id.lower()}@provider.example", "phone_number": "0113 496 0001",
        "mobile_number": "07700 900001", "additional_id": None,
    }  # fmt: skip


def seed_pics(service: Service, learner: dict[str, Any], officers: Iterable[dict[str, Any]] = ()) -> None:
    """The PICS rows an enrolment's write-backs land on (U3, U8)."""
    with service.pool.connection() as conn:
        for o in officers:
            conn.execute(
                "INSERT INTO pics.officer (id, first_name, surname, email, phone_number, mobile_number)"
                " VALUES (%(officer_id)s, %(first_name)s, %(surname)s, %(email)s, %(phone_number)s,"
                " %(mobile_number)s) ON CONFLICT DO NOTHING",
                o,
            )
    LearnerRepository(service.pool).upsert([learner])


def enrolment(
    service: Service,
    learner: dict[str, Any],
    qualifications: Sequence[dict[str, Any]] = (),
    officers: Sequence[tuple[str, dict[str, Any]]] = (),
) -> dict[str, Any]:
    """The LearnerEnrolled of ``learner`` ("Create in Smart Assessor"), with its PICS rows stored and the
    qualification links refreshed from SA's catalogue, as PICS would have them."""
    seed_pics(service, learner, [o for _role, o in officers])
    QualificationLinks(service.pool).refresh(service.sa.list_courses())
    payload = {
        "learner": learner,
        "placement": None,
        "officers": [{"role": role, "officer": o} for role, o in officers],
        "qualifications": list(qualifications),
    }
    return new_event("LearnerEnrolled", payload)


def store_in_pics(
    service: Service,
    learner: dict[str, Any],
    qualifications: Sequence[dict[str, Any]] = (),
    officers: Sequence[tuple[str, dict[str, Any]]] = (),
    placement: dict[str, Any] | None = None,
) -> None:
    """The learner's whole record in the PICS tables (placement, officers by role, qualifications), so that a
    reconcile, which reads PICS when it is processed (D5), plans from what the learner's events carry.

    The ids the sync writes back (Smart Assessor ID, Additional IDs: U2, U3, U8) are kept as they are."""
    ident, tables, written_back = learner["learner_ident"], PicsTables(service.pool), ("additional_id",)
    if placement is not None:
        tables.upsert("organisation", [{**placement, "id": placement["organisation_id"]}], keep=written_back)
    tables.upsert("officer", [{**o, "id": o["officer_id"]} for _role, o in officers], keep=written_back)
    placed = None if placement is None else placement["organisation_id"]
    LearnerRepository(service.pool).upsert(
        [{**learner, "placement_organisation_id": placed}], keep=("smart_assessor_id",)
    )
    roles = [{"learner_ident": ident, "role": role, "officer_id": o["officer_id"]} for role, o in officers]
    tables.upsert("learner_officer", roles)
    tables.upsert("learner_qualification", [
        {**q, "id": q["qualification_id"], "learner_ident": ident,
         "assessor_id": q["assessor"]["officer_id"] if q.get("assessor") else None}
        for q in qualifications
    ])  # fmt: skip


def recorded_enrolment(
    service: Service,
    learner: dict[str, Any],
    qualifications: Sequence[dict[str, Any]] = (),
    officers: Sequence[tuple[str, dict[str, Any]]] = (),
    placement: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """``enrolment`` with a placement, and the learner's whole record in PICS (``store_in_pics``), as PICS holds
    it when a daily run's reconcile reads it; qualification links refreshed from SA's catalogue."""
    store_in_pics(service, learner, qualifications, officers, placement)
    QualificationLinks(service.pool).refresh(service.sa.list_courses())
    payload = {
        "learner": learner,
        "placement": placement,
        "officers": [{"role": role, "officer": o} for role, o in officers],
        "qualifications": list(qualifications),
    }
    return new_event("LearnerEnrolled", payload)


def edited_in_pics(service: Service, learner: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A PICS edit of the learner's own columns: the PICS table first, then the LearnerEdited PICS emits."""
    sets = sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(name)) for name in changes)
    query = sql.SQL("UPDATE pics.learner SET {} WHERE learner_ident = %s").format(sets)
    with service.pool.connection() as conn:
        conn.execute(query, (*changes.values(), learner["learner_ident"]))
    return edit(learner, **changes)


def edit(learner: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A LearnerEdited carrying the learner's after-image with ``changes``, naming them."""
    return new_event("LearnerEdited", {"learner": {**learner, **changes}}, changed_fields=sorted(changes))


def aim_closed(
    learner: dict[str, Any], qualification: dict[str, Any], status: int, outcome: int | None = None, **changes: Any
) -> dict[str, Any]:
    """An IlrAimClosed of the qualification with this completion status and outcome, ended today unless given."""
    closed = {"actual_end_date": date.today(), **changes, "completion_status": status, "outcome": outcome}
    return new_event("IlrAimClosed", {"learner": learner, "qualification": {**qualification, **closed}})


def parking_on_unknown_status(service: Service, learner: dict[str, Any], *emails: str) -> list[dict[str, Any]]:
    """A1 v2: the learner's enrolment on a supported course (applies), an IlrAimClosed with ``UNKNOWN_STATUS``
    (parks, ``PARKED_A1``), then an edit to each of ``emails`` (each parks ``BEHIND`` it)."""
    qualification = course(f"Q-{learner['learner_ident']}")
    return [
        enrolment(service, learner, [qualification]),
        aim_closed(learner, qualification, UNKNOWN_STATUS),
        *(edit(learner, email=email) for email in emails),
    ]


def send(producer: EventProducer, key: str, events: Iterable[dict[str, Any]]) -> list[bytes]:
    """Produce the events on pics.learner under ``key``, in order, and wait for the broker; the bytes sent."""
    sent = [producer.send("pics.learner", key, event) for event in events]
    producer.flush()
    return sent


@contextmanager
def rule_raising_for(service: Service, key: str) -> Iterator[None]:
    """While open, the rule of any event of ``key`` that ``service`` processes raises ``InjectedFault``, as a
    bug would (``PICS_SYNC_RAISE_IN_RULE``); on leaving, the bug is fixed.

    A ``pics-sync`` command run in-process opens a service of its own, without the fault.
    """
    fixed = service.ports
    service.ports = dataclasses.replace(fixed, rule_fault=raise_in_rule(key))
    try:
        yield
    finally:
        service.ports = fixed
