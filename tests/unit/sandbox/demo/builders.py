"""After-images, sent events and an SA built as the oracle says, for the demo oracle's unit tests."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from sandbox.demo.journal import Sent
from sandbox.demo.model import Ref, SaModel, fold_all
from sandbox.demo.oracle_tables import PULL, PUSH, Settings
from sandbox.demo.pics_rows import PicsRows

COURSE, UNSUPPORTED = "60305735", "50099999"
CATALOGUE = {COURSE: 3}
PUSH_ALL = {"Integration Enabled": "on", "Update Learner Demographics Mode": PUSH, "Set Student ID to LRN": "on",
            "Update Learner Gender": "on", "Update Learner Ethnicity": "on", "Send Learner Disability": "on",
            "Update Officer Demographics Mode": PUSH, "Update Organisation Demographics Mode": PUSH,
            "Push Changes to Learner Employer": "on", "Push Changes to Qualification Assessors": "on",
            "Qualification Second Assessor Role": "IQA"}  # fmt: skip
NONE_ALL = {"Integration Enabled": "on"}
PULL_ALL = {"Integration Enabled": "on", "Update Learner Demographics Mode": PULL, "Update Learner Gender": "on",
            "Update Officer Demographics Mode": PULL, "Update Organisation Demographics Mode": PULL,
            "Update Qualification Dates Mode": PULL}  # fmt: skip


def settings(values: Mapping[str, str], review_types: Mapping[str, str] | None = None) -> Settings:
    return Settings(values, review_types or {"Formal Review": "Progress Review"})


def learner(ident: str = "L1", **changes: Any) -> dict[str, Any]:
    """A Live, in-learning learner after-image with every field filled."""
    return {
        "learner_ident": ident, "first_name": "Ann", "surname": "Lee", "date_of_birth": date(2001, 2, 3),
        "uln": "1234567890", "lrn": "LRN100", "email": f"{ident.lower()}@example.org", "address_1": "1 High St",
        "address_2": "Leeds", "address_3": None, "address_4": None, "postcode": "LS1 1AA", "ni_number": "AB123456C",
        "phone_number": "0113 000", "mobile_number": "07000000000", "gender": "F", "ethnicity": "31",
        "disability": "N", "system_status": "Live", "programme_status": "In Learning", "start_date": date(2025, 9, 1),
        "end_date": None, "smart_assessor_id": None, "planned_otj_hours": 278.0, "risk": None, **changes,
    }  # fmt: skip


def officer(officer_id: str, **changes: Any) -> dict[str, Any]:
    return {"officer_id": officer_id, "first_name": "Oli", "surname": "Ode", "email": f"{officer_id}@provider.example",
            "phone_number": "0113 111", "mobile_number": "07111111111", "additional_id": None, **changes}  # fmt: skip


def organisation(org_id: str = "ORG1", **changes: Any) -> dict[str, Any]:
    return {"organisation_id": org_id, "name": "Acme", "phone_number": "0113 222", "edrs_number": "123456789",
            "address_1": "2 Mill Rd", "address_2": "Leeds", "address_3": None, "address_4": None,
            "postcode": "LS2 2BB", "website": "https://acme.example", "employer_size": "10-49",
            "additional_id": None, **changes}  # fmt: skip


def qualification(qid: str, reference: str = COURSE, **changes: Any) -> dict[str, Any]:
    return {"qualification_id": qid, "qualification_reference": reference, "title": "Course",
            "start_date": date(2025, 9, 1), "planned_end_date": date(2026, 9, 1), "actual_end_date": None,
            "assessor": None, "completion_status": 1, "outcome": None, **changes}  # fmt: skip


def officers(**by_role: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The learner's officers: ``main=…, iqa=…, skills_coach=…``."""
    names = {"main": "Main Officer", "iqa": "IQA", "skills_coach": "Skills Coach"}
    return [{"role": names[role], "officer": o} for role, o in by_role.items()]


def sent(name: str, payload: Mapping[str, Any], *, on: bool = True, changed: tuple[str, ...] = ()) -> Sent:
    topic = {"OrganisationEdited": "pics.organisation", "OfficerEdited": "pics.officer"}.get(name, "pics.learner")
    key = payload.get("learner") or payload.get("organisation") or payload.get("officer") or {}
    ident = key.get("learner_ident") or key.get("organisation_id") or key.get("officer_id")
    return Sent(str(uuid.uuid4()), name, topic, str(ident), payload, on, changed)


def enrolled(the_learner: Mapping[str, Any], qualifications: list[dict[str, Any]] | None = None, **kw: Any) -> Sent:
    """LearnerEnrolled of the learner with its Main Officer M1, IQA I1 and placement ORG1 (unless given)."""
    payload = {
        "learner": the_learner,
        "placement": kw.get("placement", organisation()),
        "officers": kw.get("officers", officers(main=officer("M1"), iqa=officer("I1"))),
        "qualifications": qualifications if qualifications is not None else [qualification(f"{the_learner['learner_ident']}-Q0")],
    }  # fmt: skip
    return sent("LearnerEnrolled", payload)


def fold(values: Mapping[str, str], *events: Sent) -> SaModel:
    return fold_all(settings(values), CATALOGUE, list(events))


class FakeSa:
    """SA's records as dicts, read the way the checks read them (SaClient's read methods)."""

    def __init__(self) -> None:
        self.learners: dict[str, dict[str, Any]] = {}
        self.employers: dict[int, dict[str, Any]] = {}
        self.assessors: dict[int, dict[str, Any]] = {}
        self.enrolments: dict[str, list[dict[str, Any]]] = {}
        self.sessions: dict[str, list[dict[str, Any]]] = {}
        self.otj: dict[str, float] = {}
        self.coach: dict[str, dict[str, Any] | None] = {}  # None: not in Smart Coach (404)

    def find_learners(self, *, mis_id: str | None = None, uln: str | None = None) -> list[dict[str, Any]]:
        return [r for r in self.learners.values() if r.get("misId") == mis_id]

    def get_learner(self, sa_id: str) -> dict[str, Any]:
        return self.learners[sa_id]

    def list_enrolments(self, learner_id: str) -> list[dict[str, Any]]:
        return self.enrolments.get(learner_id, [])

    def find_employers(
        self, *, mis_id: str | None = None, edrs_number: str | None = None, postcode: str | None = None
    ) -> list[dict[str, Any]]:
        return [r for r in self.employers.values() if mis_id is not None and r.get("misId") == mis_id]

    def get_employer(self, sa_id: int) -> dict[str, Any]:
        return self.employers[int(sa_id)]

    def find_assessors(self, *, mis_id: str | None = None, email: str | None = None) -> list[dict[str, Any]]:
        return [r for r in self.assessors.values() if mis_id is not None and r.get("misId") == mis_id]

    def get_assessor(self, sa_id: int) -> dict[str, Any]:
        return self.assessors[int(sa_id)]

    def list_sessions(self, learner_id: str) -> list[dict[str, Any]]:
        return self.sessions.get(learner_id, [])

    def get_otj(self, learner_id: str) -> dict[str, Any]:
        return {"plannedHours": None, "actualHours": self.otj.get(learner_id, 0.0)}

    def get_smart_coach(self, learner_id: str) -> dict[str, Any]:
        from sync_core.errors import SaNotFound

        coach = self.coach.get(learner_id, {"score": 0.1, "band": "Low"})
        if coach is None:
            raise SaNotFound("GET /learners/{id}/smart-coach: not found")
        return coach


def sa_as_modelled(model: SaModel) -> tuple[FakeSa, PicsRows]:
    """An SA exactly as the model says, and PICS's rows linking to it (as a right sync leaves them)."""
    sa, numbers = FakeSa(), itertools.count(5001)
    org_ids = {org_id: next(numbers) for org_id in model.employers}
    officer_ids = {officer_id: next(numbers) for officer_id in model.assessors}
    ids = {"employer": org_ids, "assessor": officer_ids}

    def resolved(fields: Mapping[str, Any]) -> dict[str, Any]:
        return {k: ids[v.kind][v.pics_id] if isinstance(v, Ref) else v for k, v in fields.items()}

    for org_id, fields in model.employers.items():
        sa.employers[org_ids[org_id]] = {"id": org_ids[org_id], **fields}
    for officer_id, fields in model.assessors.items():
        sa.assessors[officer_ids[officer_id]] = {"id": officer_ids[officer_id], **fields}
    for ident, modelled in model.learners.items():
        sa.learners[f"g-{ident}"] = {"id": f"g-{ident}", **resolved(modelled.fields)}
        sa.enrolments[f"g-{ident}"] = [{"misId": q, **resolved(c)} for q, c in modelled.courses.items()]
    rows = pics_rows(
        learners={i: {"learner_ident": i, "smart_assessor_id": f"g-{i}"} for i in model.learners},
        organisations={o: {"id": o, "additional_id": str(n), "edrs_number": None, "postcode": None} for o, n in org_ids.items()},
        officers={o: {"id": o, "additional_id": str(n), "email": None} for o, n in officer_ids.items()},
    )  # fmt: skip
    return sa, rows


def pics_rows(**tables: Any) -> PicsRows:
    empty: dict[str, Any] = {"learners": {}, "qualifications": {}, "roles": {}, "organisations": {}, "officers": {},
                             "reviews": {}, "asso_users": {}}  # fmt: skip
    return PicsRows(**(empty | tables))
