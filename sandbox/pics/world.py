"""A simulated PICS: organisations, officers and learners that change, and the events PICS emits.

Each change is written to the PICS stand-in tables first and then returned as an event, as PICS
does. Event payloads carry full after-images, shaped as the Avro records in ``schemas/``.

A plain world (the benches, the scenarios) enrols every learner at the start. The demo's world is
``rich``: some learners are edited before they are uploaded, some never are, some are not Live, some
ended long ago or last week, some have aims already closed, a ULN still to come or no second officer;
spare officers are in PICS that no learner has (for SA assessors added by hand, P5).
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sandbox.pics.people import Organisations, People

MAIN, IQA, SKILLS_COACH = "Main Officer", "IQA", "Skills Coach"
UNSUPPORTED_REFERENCE = "50099999"
NOT_LIVE = "Archived"  # a system status other than Live
ENDED = ("Completed", "Withdrawn")  # programme statuses of a learner who has left
# The rich world's learners, by position: mostly plain, then one of each kind the rules treat apart.
KINDS = ("plain",) * 12 + ("held_back", "never", "not_live", "ended_long_ago", "ended_long_ago", "ended_recently",
                           "closed_aim", "no_uln")  # fmt: skip


@dataclass(frozen=True)
class Emitted:
    """One event as PICS would emit it."""

    topic: str  # logical: pics.learner, pics.organisation, pics.officer
    key: str
    name: str
    payload: dict[str, Any]
    changed: list[str]


@dataclass
class World:
    """PICS's records, kept as Avro-shaped after-images."""

    people: People
    prefix: str
    rich: bool = False
    organisations: dict[str, dict[str, Any]] = field(default_factory=dict)
    officers: dict[str, dict[str, Any]] = field(default_factory=dict)
    learners: dict[str, dict[str, Any]] = field(default_factory=dict)
    placement: dict[str, str] = field(default_factory=dict)
    roles: dict[str, dict[str, str]] = field(default_factory=dict)
    qualifications: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    on_break: set[str] = field(default_factory=set)
    supported: set[str] = field(default_factory=set)  # qualification references SA supports
    kinds: dict[str, str] = field(default_factory=dict)  # rich: learner → its kind (KINDS)
    spare_officers: list[str] = field(default_factory=list)  # in PICS, no learner's officer
    uploaded: set[str] = field(default_factory=set)  # a LearnerEnrolled was emitted while S1 was on
    integration_on: bool = True  # S1 as the demo has it: while off, nothing is enrolled, closed or broken
    closures: Counter[tuple[int, ...]] = field(default_factory=Counter)  # aims closed, by the statuses drawn from
    events_about: Counter[str] = field(default_factory=Counter)  # learner → events emitted about it

    def populate(self, learners: int, course_references: list[str]) -> None:
        """Create the learners with their placements, officers and qualifications."""
        self.supported = set(course_references)
        maker = Organisations(self.people)
        for n in range(max(1, learners // 4)):
            self.organisations[f"{self.prefix}ORG{n:05d}"] = maker.organisation(f"{self.prefix}ORG{n:05d}")
        for n in range(max(3 if self.rich else 2, learners // 8)):
            self.officers[f"{self.prefix}OFF{n:05d}"] = maker.officer(f"{self.prefix}OFF{n:05d}")
        if self.rich:
            for n in range(max(1, learners // 40)):
                ident = f"{self.prefix}SPARE{n:03d}"
                self.officers[ident] = maker.officer(ident)
                self.spare_officers.append(ident)
        for n in range(learners):
            ident = f"{self.prefix}L{n:06d}"
            self.kinds[ident] = KINDS[n % len(KINDS)] if self.rich else "plain"
            self._add_learner(ident, course_references)

    def assignable_officers(self) -> list[str]:
        """Officers a learner may be given: every one but the spares."""
        return [o for o in self.officers if o not in self.spare_officers]

    def _add_learner(self, ident: str, references: list[str]) -> None:
        rng = self.people.rng
        self.learners[ident] = {**self.people.learner(ident), "smart_assessor_id": None}
        self.placement[ident] = rng.choice(list(self.organisations))
        main, iqa = rng.sample(self.assignable_officers(), 2)
        self.roles[ident] = {MAIN: main, IQA: iqa}
        start = self.learners[ident]["start_date"]
        chosen = [rng.choice(references)] + ([UNSUPPORTED_REFERENCE] if rng.random() < 0.2 else [])
        self.qualifications[ident] = [
            {"qualification_id": f"{ident}-Q{i}", "qualification_reference": ref, "title": f"Course {ref}",
             "start_date": start, "planned_end_date": start + timedelta(days=rng.randint(365, 730)),
             "actual_end_date": None, "assessor": None, "completion_status": 1, "outcome": None}
            for i, ref in enumerate(chosen)
        ]  # fmt: skip
        if self.rich:
            self._vary(ident, references)

    def _vary(self, ident: str, references: list[str]) -> None:
        """The rich world's learner: a risk, maybe a Skills Coach, an Address 3, and its kind's state."""
        rng, learner, kind = self.people.rng, self.learners[ident], self.kinds[ident]
        learner["risk"] = rng.choice((None, "Green", "Yellow", "Red"))
        learner["address_3"] = rng.choice((None, f"Flat {rng.randint(1, 40)}"))
        if rng.random() < 0.5:
            self.roles[ident][SKILLS_COACH] = rng.choice(self.assignable_officers())
        if kind == "no_uln":
            learner["uln"] = None  # obtained later (L2)
        elif kind == "not_live":
            learner["system_status"] = NOT_LIVE
        elif kind in ("ended_long_ago", "ended_recently"):
            days = rng.randint(60, 400) if kind == "ended_long_ago" else rng.randint(3, 20)
            learner.update(programme_status=rng.choice(ENDED), end_date=self.today() - timedelta(days=days))
            if kind == "ended_recently" or rng.random() < 0.5:  # closed at the upload (U5 v2)
                self.close(self.qualifications[ident][0], learner["end_date"])
        elif kind == "closed_aim":  # a second course, finished before the upload (U5 v2)
            ended = self.today() - timedelta(days=rng.randint(40, 300))
            finished = {**self.qualifications[ident][0], "qualification_id": f"{ident}-Q9",
                        "qualification_reference": rng.choice(references), "start_date": ended - timedelta(days=400),
                        "planned_end_date": ended}  # fmt: skip
            self.qualifications[ident].append(self.close(finished, ended, statuses=(2, 3, 4)))

    def close(
        self, qualification: dict[str, Any], ended: date, statuses: tuple[int, ...] = (2, 3, 4)
    ) -> dict[str, Any]:
        """Close an aim on ``ended``: each completion status of ``statuses`` and each outcome in turn."""
        turn = self.closures[statuses]
        status, outcome = statuses[turn % len(statuses)], (1, 2, 3, 8)[turn % 4]
        self.closures[statuses] += 1
        qualification.update(actual_end_date=ended, completion_status=status, outcome=outcome)
        return qualification

    # After-images of the nested records, as the events carry them.
    def officers_of(self, ident: str) -> list[dict[str, Any]]:
        """The learner's officers by role."""
        return [{"role": role, "officer": self.officers[o]} for role, o in self.roles[ident].items()]

    def full_state(self, ident: str) -> dict[str, Any]:
        """LearnerEnrolled / RefreshRequested payload: the learner and everything linked to it."""
        return {
            "learner": self.learners[ident],
            "placement": self.organisations[self.placement[ident]],
            "officers": self.officers_of(ident),
            "qualifications": self.qualifications[ident],
        }

    def enrolment(self, ident: str) -> Emitted:
        """The learner's "Create in Smart Assessor" (LearnerEnrolled)."""
        if self.integration_on and self.learners[ident]["system_status"] == "Live":
            self.uploaded.add(ident)
        return Emitted("pics.learner", ident, "LearnerEnrolled", copy.deepcopy(self.full_state(ident)), [])

    def enrolments(self) -> Iterator[Emitted]:
        """A LearnerEnrolled for every learner to upload at the start (not the held back or never uploaded)."""
        for ident in self.learners:
            if self.kinds.get(ident, "plain") not in ("held_back", "never"):
                yield self.enrolment(ident)

    def adopt_ids(self, learners: dict[str, str], organisations: dict[str, str], officers: dict[str, str]) -> None:
        """Take the SA ids the sync wrote back to PICS (U2, U3, U8) into the after-images."""
        for ident, sa_id in learners.items():
            self.learners[ident]["smart_assessor_id"] = sa_id
        for ident, sa_id in organisations.items():
            self.organisations[ident]["additional_id"] = sa_id
        for ident, sa_id in officers.items():
            self.officers[ident]["additional_id"] = sa_id

    def in_sa(self, ident: str) -> bool:
        """The generator's view: uploaded and still Live (what the stream may close, break or extend)."""
        return ident in self.uploaded and self.learners[ident]["system_status"] == "Live"

    def open_qualification(self, ident: str) -> dict[str, Any] | None:
        """A continuing qualification of the learner that SA supports, if any."""
        qualifications = self.qualifications[ident]
        open_ones = [
            q for q in qualifications if q["completion_status"] == 1 and q["qualification_reference"] in self.supported
        ]
        return self.people.rng.choice(open_ones) if open_ones else None

    def today(self) -> date:
        """The simulated date of changes."""
        return date.today()
