"""The drift ``bench reconcile`` makes: SA records edited by hand, and PICS edited while S1 was off.

``corrupt`` picks learners at random (each at most once) and makes one kind of difference on each,
directly in the sandbox (its hand-work routes: no SA call, as a user in SA's screens) or in the PICS
tables, and answers every (record, field) it made differ, named as the drift record names them
(entity, PICS id, SA field). That list, not the product's report, is what detection is checked
against. The kinds, each on ``sa_share`` / 5 of the learners (at least one learner each):

- ``sa_pushed_field``: one of the learner's pushed fields (L1–L4) edited in SA;
- ``sa_course_status``: a course's status wrong in SA, or (every other one) a closure SA made up:
  actual end date, completion status, outcome and status (A1);
- ``sa_enrolment_missing``: a course enrolment deleted in SA (U5, D2; the link to it now names a
  record SA no longer has, D7);
- ``sa_course_assessor``: a course's assessor changed to another SA assessor (Q1);
- ``sa_employer``: the learner's employer changed to another SA employer (E1);

and on ``pics_share`` of the learners ``pics_while_off``: one to three of the learner's fields, or
(every other one) a qualification's planned end date (Q2), edited in PICS while Integration Enabled
(S1) was off, so no event reached SA.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from psycopg_pool import ConnectionPool

from sandbox.pics.in_sync import InStep
from sandbox.pics.people import ETHNICITIES, uln
from sandbox.pics.store import PicsStore
from sandbox.sa.process import SaSandboxProcess
from sync_core.state.settings_repo import SettingsRepository

SA_KINDS = ("sa_pushed_field", "sa_course_status", "sa_enrolment_missing", "sa_course_assessor", "sa_employer")
PICS_KIND = "pics_while_off"
# The learner fields L1–L4 push with every toggle on, and a hand edit of each in SA.
_EDITS: Mapping[str, Callable[[Any, random.Random], Any]] = {
    "email": lambda v, rng: f"typed.in.sa.{rng.randint(1, 10**6)}@example.org",
    "postcode": lambda v, rng: str(v).lower(),
    "phoneNumber": lambda v, rng: str(v).replace(" ", "") + "0",
    "mobileNumber": lambda v, rng: str(v)[1:],
    "surname": lambda v, rng: f"{v}-Smith",
    "address1": lambda v, rng: f"Flat {rng.randint(1, 40)}, {v}",
    "niNumber": lambda v, rng: str(v)[:-1] + ("A" if str(v)[-1] != "A" else "B"),
    "studentId": lambda v, rng: f"S{rng.randint(10**5, 10**6)}",
    "gender": lambda v, rng: "F" if v == "M" else "M",
    "ethnicity": lambda v, rng: rng.choice([e for e in ETHNICITIES if e != v]),
    "disability": lambda v, rng: "N" if v == "Y" else "Y",
    "dateOfBirth": lambda v, rng: (date.fromisoformat(v) - timedelta(days=1)).isoformat(),
    "uln": lambda v, rng: uln(rng),
}
_MADE_UP_CLOSURE = {"completionStatus": 2, "outcome": 1, "status": "completed"}
INTEGRATION_ENABLED = "Integration Enabled"


@dataclass(frozen=True)
class Corrupted:
    """One field of one record made to differ, as the drift record names it (D3)."""

    entity: str  # learner or enrolment
    pics_id: str  # Learner Ident or qualification id
    field: str  # SA's field name
    kind: str  # one of SA_KINDS or PICS_KIND
    learner_ident: str

    @property
    def key(self) -> tuple[str, str, str]:
        """(entity, PICS id, field): how a drift record names it."""
        return self.entity, self.pics_id, self.field


@dataclass
class _Maker:
    pool: ConnectionPool
    sa: SaSandboxProcess
    step: InStep
    enrolments: Mapping[str, int]  # qualification id → SA enrolment id
    rng: random.Random
    turn: int = 0  # alternates the variants of a kind

    def sa_pushed_field(self, ident: str) -> Iterator[Corrupted]:
        held = self.step.learner(ident)
        name = self.rng.choice(list(_EDITS))
        self.sa.edit_record("learners", self._sa_id(ident), {name: _EDITS[name](held[name], self.rng)})
        yield Corrupted("learner", ident, name, "sa_pushed_field", ident)

    def sa_course_status(self, ident: str) -> Iterator[Corrupted]:
        qid = self._course(ident)
        self.turn += 1
        wrong: dict[str, Any] = {"status": "withdrawn"}
        if self.turn % 2 == 0:
            wrong = {"actualEndDate": date.today().isoformat(), **_MADE_UP_CLOSURE}
        self.sa.edit_record("enrolments", self.enrolments[qid], wrong)
        yield from (Corrupted("enrolment", qid, name, "sa_course_status", ident) for name in wrong)

    def sa_enrolment_missing(self, ident: str) -> Iterator[Corrupted]:
        qid = self._course(ident)
        self.sa.delete_enrolment(self.enrolments[qid])
        yield Corrupted("enrolment", qid, "courseId", "sa_enrolment_missing", ident)

    def sa_course_assessor(self, ident: str) -> Iterator[Corrupted]:
        qid = self._course(ident)
        held = self.step.enrolment(ident, self._qualification(ident, qid))["assessorId"]
        other = self._other(self.step.world.officers, held)
        self.sa.edit_record("enrolments", self.enrolments[qid], {"assessorId": other})
        yield Corrupted("enrolment", qid, "assessorId", "sa_course_assessor", ident)

    def sa_employer(self, ident: str) -> Iterator[Corrupted]:
        other = self._other(self.step.world.organisations, self.step.learner(ident)["employerId"])
        self.sa.edit_record("learners", self._sa_id(ident), {"employerId": other})
        yield Corrupted("learner", ident, "employerId", "sa_employer", ident)

    def pics_while_off(self, ident: str) -> Iterator[Corrupted]:
        world, self.turn = self.step.world, self.turn + 1
        if self.turn % 2 == 0:
            qualification = self._qualification(ident, self._course(ident))
            qualification["planned_end_date"] += timedelta(days=30)
            yield Corrupted("enrolment", qualification["qualification_id"], "plannedEndDate", PICS_KIND, ident)
        else:
            before = self.step.learner(ident)
            world.learners[ident], _ = world.people.edit(world.learners[ident])
            after = self.step.learner(ident)
            yield from (Corrupted("learner", ident, n, PICS_KIND, ident) for n in after if after[n] != before[n])
        PicsStore(self.pool).save_learners(world, [ident])

    def _sa_id(self, ident: str) -> str:
        return str(self.step.world.learners[ident]["smart_assessor_id"])

    def _course(self, ident: str) -> str:
        """The learner's first enrolled qualification (every world learner has one SA supports)."""
        ids = (str(q["qualification_id"]) for q in self.step.world.qualifications[ident])
        return next(qid for qid in ids if qid in self.enrolments)

    def _qualification(self, ident: str, qid: str) -> dict[str, Any]:
        return next(q for q in self.step.world.qualifications[ident] if q["qualification_id"] == qid)

    def _other(self, records: Mapping[str, Mapping[str, Any]], held: int | None) -> int:
        """Another SA record of the same kind than the one held."""
        ids = [
            int(r["additional_id"]) for r in records.values() if r["additional_id"] and int(r["additional_id"]) != held
        ]
        return self.rng.choice(ids)


def corrupt(
    pool: ConnectionPool,
    sa: SaSandboxProcess,
    step: InStep,
    enrolments: Mapping[str, int],
    *,
    sa_share: float = 0.01,
    pics_share: float = 0.005,
    seed: int = 15,
) -> list[Corrupted]:
    """Make the drift on learners drawn from ``seed``; every (record, field) made to differ."""
    rng = random.Random(seed)
    idents = sorted(step.world.learners)
    per_kind = max(1, round(len(idents) * sa_share / len(SA_KINDS)))
    on_pics = max(1, round(len(idents) * pics_share))
    chosen = iter(rng.sample(idents, per_kind * len(SA_KINDS) + on_pics))
    maker, made = _Maker(pool, sa, step, enrolments, rng), []
    for kind in SA_KINDS:
        for _ in range(per_kind):
            made += getattr(maker, kind)(next(chosen))
    settings = SettingsRepository(pool)
    settings.set_many({INTEGRATION_ENABLED: "off"})  # an evening with the integration off: no event reaches SA
    for ident in chosen:
        made += maker.pics_while_off(ident)
    settings.set_many({INTEGRATION_ENABLED: "on"})
    return made
