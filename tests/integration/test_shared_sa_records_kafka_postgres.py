"""U2/U3 v2: several PICS organisations (or officers) may link to one SA employer (or assessor); one PICS
record never has two. Two PICS records of one company (same EDRS Number and Postcode, the second without
an Additional ID) and two officer records of one person (same Email) each reach SA once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from psycopg.errors import UniqueViolation

from consumers.producer import EventProducer
from consumers.service import Service
from sandbox.sa.process import SaSandboxProcess
from sync_core.outcome import Kind, Tally
from sync_core.serde import new_event
from sync_core.state.settings_repo import SettingsRepository
from tests.integration.test_enrolment_kafka_postgres import (
    additional_id,
    enrolment,
    new_learner,
    officer,
    organisation,
    seed_pics,
)
from tests.support import duplicate_sa_records

pytestmark = pytest.mark.integration


def links_to(service: Service, entity: str, sa_id: str) -> list[str]:
    with service.pool.connection() as conn:
        rows = conn.execute(
            "SELECT pics_id FROM sync.links WHERE entity = %s AND sa_id = %s ORDER BY pics_id", (entity, sa_id)
        ).fetchall()
    return [str(r[0]) for r in rows]


def test_u2_u3_two_pics_records_of_one_company_and_one_person_share_one_sa_record(
    service: Service, producer: EventProducer, drain: Callable[[], Tally], sa: SaSandboxProcess
) -> None:
    """The second organisation is found by EDRS Number + Postcode, the second officer by Email: both are
    linked to the SA record the first created, both learners applied, SA holds one employer and one
    assessor, and each PICS record is written back that one SA id."""
    SettingsRepository(service.pool).set_many({"Integration Enabled": "on"})
    first_org, second_org = organisation("ORG-U2-A"), organisation("ORG-U2-B")  # same EDRS Number and Postcode
    first_officer = officer("OFF-U3-A", "Sam", "Jones")
    second_officer: dict[str, Any] = {**officer("OFF-U3-B", "Sam", "Jones"), "email": first_officer["email"]}
    first, second = new_learner(61, "L-U2-A"), new_learner(62, "L-U2-B")
    seed_pics(service, first, first_org, [first_officer])
    seed_pics(service, second, second_org, [second_officer])
    producer.send(
        "pics.learner",
        "L-U2-A",
        new_event("LearnerEnrolled", enrolment(first, first_org, [("Main Officer", first_officer)])),
    )
    producer.flush()
    assert drain().count(Kind.APPLIED) == 1
    producer.send(
        "pics.learner",
        "L-U2-B",
        new_event("LearnerEnrolled", enrolment(second, second_org, [("Main Officer", second_officer)])),
    )
    producer.flush()  # fmt: skip
    assert drain().count(Kind.APPLIED) == 1  # parked "unexpected UniqueViolation" before links' v2 constraints

    [employer], [assessor] = sa.employers(), sa.assessors()
    assert {learner["employerId"] for learner in sa.learners()} == {employer["id"]}
    assert {learner["assessorId"] for learner in sa.learners()} == {assessor["id"]}
    assert links_to(service, "employer", str(employer["id"])) == ["ORG-U2-A", "ORG-U2-B"]
    assert links_to(service, "assessor", str(assessor["id"])) == ["OFF-U3-A", "OFF-U3-B"]
    assert additional_id(service, "organisation", "ORG-U2-B") == str(employer["id"])
    assert additional_id(service, "officer", "OFF-U3-B") == str(assessor["id"])
    assert duplicate_sa_records(service, sa) == {}


def test_u2_one_pics_record_never_has_two_sa_records(service: Service) -> None:
    """The link table refuses a second SA employer for a PICS organisation, and a second PICS learner or
    enrolment for one SA learner or enrolment (U10, U5: those stay one to one)."""
    with service.pool.connection() as conn:
        conn.execute("INSERT INTO sync.links (entity, pics_id, sa_id) VALUES ('employer', 'ORG-1', '5001')")
        with pytest.raises(UniqueViolation):
            conn.execute("INSERT INTO sync.links (entity, pics_id, sa_id) VALUES ('employer', 'ORG-1', '5002')")
        conn.execute("INSERT INTO sync.links (entity, pics_id, sa_id) VALUES ('employer', 'ORG-2', '5001')")
        for entity in ("learner", "enrolment"):
            conn.execute("INSERT INTO sync.links (entity, pics_id, sa_id) VALUES (%s, 'P-1', 'S-1')", (entity,))
            with pytest.raises(UniqueViolation):
                conn.execute("INSERT INTO sync.links (entity, pics_id, sa_id) VALUES (%s, 'P-2', 'S-1')", (entity,))
