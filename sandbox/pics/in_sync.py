"""Learners already in step in PICS and SA, stored directly: the state a provider has after the uploads.

What SA holds of a PICS record is written out here from DOMAIN.md, not asked of the product: the
learner as U1 uploads it and U9's first synchronisation step leaves it with every push on (L1–L4, S4
Student ID = LRN), its employer (U2, E1) and assessor (U3, Q1 v2: the Main Officer); each supported
qualification enrolled as U5 enrols an open one (assessor: the Main Officer, second assessor: the
officer in S14's role); the employers and assessors with U2's and U3's fields. ``InStep`` is also
what a bench reads SA back against.

``seed_in_sync`` stores it all without the sync: SA's records through the sandbox's hand-work routes
(no SA call), PICS's tables with the ids SA gave written back (U2, U3, U8), the links the sync keeps
(``sync.links``) and the qualification links, as the uploads would have left them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from psycopg_pool import ConnectionPool

from sandbox.pics.store import PicsStore
from sandbox.pics.world import IQA, MAIN, World
from sandbox.sa.process import SaSandboxProcess
from sync_core.fields import ASSESSOR_FIELDS, DEMOGRAPHICS, EMPLOYER_FIELDS, to_sa, wire
from sync_core.pics.qualification_links import QualificationLinks

# The learner's fields that only the upload sends (U1, U6), besides L1–L4's.
_UPLOAD_ONLY = {"start_date": "startDate", "planned_otj_hours": "plannedOtjHours"}
_LINK = "INSERT INTO sync.links (entity, pics_id, sa_id) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING"


@dataclass(frozen=True)
class InStep:
    """What SA holds of the world's records when in step with every push on and S14 naming ``second_role``."""

    world: World
    course_ids: Mapping[str, int]  # Qualification Reference (qanCode) → SA course id
    second_role: str | None = IQA

    @classmethod
    def of(cls, world: World, catalogue: Sequence[Mapping[str, Any]], second_role: str | None = IQA) -> InStep:
        """The view for SA's course catalogue (``[{id, qanCode}]``)."""
        return cls(world, {str(c["qanCode"]): int(c["id"]) for c in catalogue}, second_role)

    def learner(self, ident: str) -> dict[str, Any]:
        """The SA learner of ``ident`` (U1, U9, L1–L4, E1, Q1 v2), active (B2)."""
        world, learner = self.world, self.world.learners[ident]
        return {
            "misId": ident, **to_sa(learner, DEMOGRAPHICS), **to_sa(learner, _UPLOAD_ONLY),
            "studentId": learner["lrn"], "gender": learner["gender"], "ethnicity": learner["ethnicity"],
            "disability": learner["disability"], "status": "active",
            "employerId": _number(world.organisations[world.placement[ident]]["additional_id"]),
            "assessorId": _number(world.officers[world.roles[ident][MAIN]]["additional_id"]),
        }  # fmt: skip

    def enrolment(self, ident: str, qualification: Mapping[str, Any]) -> dict[str, Any]:
        """The SA enrolment of an open qualification as U5 makes it (no completion status: continuing)."""
        roles, officers = self.world.roles[ident], self.world.officers
        assessor = qualification["assessor"] or officers[roles[MAIN]]
        second = officers[roles[self.second_role]] if self.second_role in roles else None
        return {
            "courseId": self.course_ids[qualification["qualification_reference"]],
            "misId": qualification["qualification_id"],
            "startDate": wire(qualification["start_date"]), "plannedEndDate": wire(qualification["planned_end_date"]),
            "assessorId": _number(assessor["additional_id"]),
            "secondAssessorId": None if second is None else _number(second["additional_id"]),
            "status": "in_training",
        }  # fmt: skip

    def enrolled(self) -> list[tuple[str, dict[str, Any]]]:
        """(learner ident, qualification) of every qualification SA supports, in world order."""
        return [
            (ident, q)
            for ident, qualifications in self.world.qualifications.items()
            for q in qualifications
            if q["qualification_reference"] in self.course_ids
        ]


def seed_in_sync(pool: ConnectionPool, sa: SaSandboxProcess, step: InStep) -> dict[str, int]:
    """Store ``step``'s world (populated, not yet uploaded) in step in SA and PICS; the SA enrolment id of
    each enrolled qualification, by qualification id."""
    world = step.world
    QualificationLinks(pool).refresh(sa.courses())
    _store(sa, "employers", world.organisations, [{"misId": o, **to_sa(r, EMPLOYER_FIELDS)}
                                                  for o, r in world.organisations.items()])  # fmt: skip
    _store(sa, "assessors", world.officers, [{"misId": o, **to_sa(r, ASSESSOR_FIELDS)}
                                             for o, r in world.officers.items()])  # fmt: skip
    for made in sa.store_records("learners", [step.learner(ident) for ident in world.learners]):
        world.learners[made["misId"]]["smart_assessor_id"] = made["id"]
    records = [
        {**step.enrolment(ident, q), "learnerId": world.learners[ident]["smart_assessor_id"]}
        for ident, q in step.enrolled()
    ]
    enrolments = {made["misId"]: int(made["id"]) for made in sa.store_records("enrolments", records)}
    PicsStore(pool).save_all(world)
    _link(pool, world, enrolments)
    world.uploaded.update(world.learners)
    return enrolments


def _store(sa: SaSandboxProcess, kind: str, records: dict[str, dict[str, Any]], rows: list[dict[str, Any]]) -> None:
    """Store SA's records of ``kind`` and write each SA id back to its PICS record's Additional ID (U2, U3)."""
    for made in sa.store_records(kind, rows):
        records[made["misId"]]["additional_id"] = str(made["id"])


def _link(pool: ConnectionPool, world: World, enrolments: Mapping[str, int]) -> None:
    """The links the uploads would have made (``sync.links``), in one transaction."""
    rows: Sequence[tuple[str, str, str]] = [
        *(("learner", i, str(r["smart_assessor_id"])) for i, r in world.learners.items()),
        *(("employer", o, str(r["additional_id"])) for o, r in world.organisations.items()),
        *(("assessor", o, str(r["additional_id"])) for o, r in world.officers.items()),
        *(("enrolment", q, str(sa_id)) for q, sa_id in enrolments.items()),
    ]
    with pool.connection() as conn, conn.transaction():
        conn.cursor().executemany(_LINK, rows)


def _number(sa_id: str | None) -> int | None:
    return None if sa_id is None else int(sa_id)
