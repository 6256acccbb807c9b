"""D7 end to end: a link whose SA record no longer exists is looked for again and relinked, or the record
is created, then brought up to date — on the real broker, PostgreSQL and the SA sandbox over HTTP.

Contract (DOMAIN.md D7, U2/U3/U8, U10, D6): SA answering not found for a linked record (deleted by hand,
SA restored from an older backup) does not park the learner's events nor leave the link pointing at
nothing. The live consumer's edit recreates a deleted learner and writes its new Smart Assessor ID back
to PICS (U8); a refresh (R1) and the daily synchronisation find a deleted employer, assessor and
enrolment again or create them, and point the learner at them; no path makes a second SA record (D6).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from consumers import cli
from consumers.producer import EventProducer
from consumers.service import Service
from sandbox.sa.process import SaSandboxProcess
from sync_core.outcome import Kind, Tally
from sync_core.pics.learners import LearnerRepository
from sync_core.serde import new_event
from sync_core.state.settings_repo import SettingsRepository
from tests.integration.test_drift_sync_kafka_postgres import LINKED, MODE, PUSH, enrolled, in_process, nightly
from tests.learners import aim_closed, course, edited_in_pics, send
from tests.support import duplicate_sa_records

pytestmark = pytest.mark.integration
__all__ = ["in_process"]  # the fixture, used by name


def only(records: list[dict[str, Any]], mis_id: str) -> dict[str, Any]:
    """The one SA record of ``mis_id`` (fails when SA holds none, or more than one)."""
    [record] = [r for r in records if r.get("misId") == mis_id]
    return record


def pics_additional_id(service: Service, table: str, pics_id: str) -> str | None:
    """The SA id PICS holds on its organisation or officer (U2, U3)."""
    query = {"organisation": "SELECT additional_id FROM pics.organisation WHERE id = %s",
             "officer": "SELECT additional_id FROM pics.officer WHERE id = %s"}[table]  # fmt: skip
    with service.pool.connection() as conn:
        row = conn.execute(query, (pics_id,)).fetchone()
    return None if row is None or row[0] is None else str(row[0])


def test_d7_an_sa_learner_deleted_by_hand_is_made_again_by_the_next_edit(
    service: Service, producer: EventProducer, drain: Callable[[], Tally], sa: SaSandboxProcess
) -> None:
    """D7, U8: the learner's SA record was deleted by hand; PICS's next edit of it applies (not parked): SA
    answered not found, so the learner was looked for by MIS id, created again with every field PICS holds
    (not only the one edited), and its new Smart Assessor ID written back to PICS. One SA learner (D6)."""
    SettingsRepository(service.pool).set_many(LINKED | {MODE: PUSH})
    learner = enrolled(service, producer, drain, "L-D7-GONE")
    ident, old = learner["learner_ident"], learner["smart_assessor_id"]
    sa.delete("learners", old)

    send(producer, ident, [edited_in_pics(service, learner, email="after.delete@example.org")])
    tally = drain()

    assert (tally.count(Kind.APPLIED), tally.count(Kind.PARKED)) == (1, 0)
    record = only(sa.learners(), ident)
    assert record["id"] != old
    assert (record["email"], record["surname"], record["uln"]) == (
        "after.delete@example.org", learner["surname"], learner["uln"])  # fmt: skip
    row = LearnerRepository(service.pool).get(ident)
    assert row is not None and row["smart_assessor_id"] == record["id"]
    assert duplicate_sa_records(service, sa) == {}


@pytest.mark.parametrize("run", ["refresh", "daily"])
def test_d7_a_refresh_and_the_daily_run_bring_back_a_deleted_employer_assessor_and_enrolment(
    service: Service,
    producer: EventProducer,
    drain: Callable[[], Tally],
    sa: SaSandboxProcess,
    in_process: None,
    run: str,
) -> None:
    """D7, U2, U3, U5: SA lost the learner's employer, its Main Officer's assessor record and its enrolment
    (deleted by hand, as a restore from an older backup would lose them). `pics-sync refresh` (R1), and the
    daily synchronisation likewise, makes each again — once — and points the learner's record and the
    enrolment at them; PICS's Additional IDs then name the new SA records. No second record (D6)."""
    SettingsRepository(service.pool).set_many(LINKED)
    ident = f"L-D7-{run.upper()}"
    learner = enrolled(service, producer, drain, ident)
    sa_id = learner["smart_assessor_id"]
    employer, assessor = only(sa.employers(), f"ORG-{ident}"), only(sa.assessors(), f"OFF-{ident}")
    enrolment = only([e for e in sa.enrolments() if str(e.get("learnerId")) == sa_id], f"{ident}-Q0")
    sa.delete("enrolments", enrolment["id"], learner_id=sa_id)
    sa.delete("employers", employer["id"])
    sa.delete("assessors", assessor["id"])

    if run == "refresh":
        assert cli.main(["refresh", ident, "--json"]) == 0
    else:
        nightly(service)
    tally = drain()

    assert tally.count(Kind.PARKED) == 0
    employer_now, assessor_now = only(sa.employers(), f"ORG-{ident}"), only(sa.assessors(), f"OFF-{ident}")
    assert employer_now["id"] != employer["id"] and assessor_now["id"] != assessor["id"]
    enrolled_now = only([e for e in sa.enrolments() if str(e.get("learnerId")) == sa_id], f"{ident}-Q0")
    assert enrolled_now["id"] != enrolment["id"]
    assert only(sa.learners(), ident)["employerId"] == employer_now["id"]
    assert pics_additional_id(service, "organisation", f"ORG-{ident}") == str(employer_now["id"])
    assert pics_additional_id(service, "officer", f"OFF-{ident}") == str(assessor_now["id"])
    assert duplicate_sa_records(service, sa) == {}


def test_d7_a_refresh_makes_again_a_learner_sa_lost_with_its_employer_and_enrolment(
    service: Service, producer: EventProducer, drain: Callable[[], Tally], sa: SaSandboxProcess, in_process: None
) -> None:
    """D7, R1, U8: SA lost the learner itself (its enrolments with it); `pics-sync refresh` makes it again
    once, links it to its employer and enrols its course again, and PICS holds the new Smart Assessor ID."""
    SettingsRepository(service.pool).set_many(LINKED | {MODE: PUSH})
    ident = "L-D7-REMADE"
    old = enrolled(service, producer, drain, ident)["smart_assessor_id"]
    sa.delete("learners", old)

    assert cli.main(["refresh", ident, "--json"]) == 0
    assert drain().count(Kind.PARKED) == 0

    record = only(sa.learners(), ident)
    assert record["id"] != old and record["employerId"] == only(sa.employers(), f"ORG-{ident}")["id"]
    only([e for e in sa.enrolments() if str(e.get("learnerId")) == record["id"]], f"{ident}-Q0")
    row = LearnerRepository(service.pool).get(ident)
    assert row is not None and row["smart_assessor_id"] == record["id"]
    assert duplicate_sa_records(service, sa) == {}


@pytest.mark.parametrize("change", ["QualificationChanged", "IlrAimClosed"])
def test_d7_a_course_change_sa_lost_the_enrolment_of_enrols_it_again(
    service: Service, producer: EventProducer, drain: Callable[[], Tally], sa: SaSandboxProcess, change: str
) -> None:
    """D7, U5: SA lost the learner's enrolment; a QualificationChanged of its dates (Q2), or its aim closed
    (A1), applies (not parked): the course is enrolled again, once, and carries the change."""
    SettingsRepository(service.pool).set_many(LINKED)
    ident = f"L-D7-{change.upper()}"
    learner = enrolled(service, producer, drain, ident)
    sa_id = learner["smart_assessor_id"]
    gone = only([e for e in sa.enrolments() if str(e.get("learnerId")) == sa_id], f"{ident}-Q0")
    sa.delete("enrolments", gone["id"], learner_id=sa_id)
    qualification = course(f"{ident}-Q0")
    moved = {**qualification, "planned_end_date": qualification["planned_end_date"] + timedelta(days=30)}
    event = (
        new_event("QualificationChanged", {"learner": learner, "qualification": moved, "officers": []},
                  changed_fields=["planned_end_date"])
        if change == "QualificationChanged" else aim_closed(learner, qualification, 2, 1)
    )  # fmt: skip
    send(producer, ident, [event])
    tally = drain()

    assert (tally.count(Kind.APPLIED), tally.count(Kind.PARKED)) == (1, 0)
    again = only([e for e in sa.enrolments() if str(e.get("learnerId")) == sa_id], f"{ident}-Q0")
    assert again["id"] != gone["id"]
    if change == "QualificationChanged":
        assert again["plannedEndDate"] == moved["planned_end_date"].isoformat()
    else:
        assert again["actualEndDate"] == date.today().isoformat()
    assert duplicate_sa_records(service, sa) == {}
