"""A simulated PICS: organisations, officers and learners that change, and the events PICS emits.

Each change is written to the PICS stand-in tables first and then returned as an event, as PICS
does. Event payloads carry full after-images, shaped as the Avro records in ``schemas/``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sandbox.pics.people import Organisations, People

MAIN, IQA = "Main Officer", "IQA"
UNSUPPORTED_REFERENCE = "50099999"


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
    organisations: dict[str, dict[str, Any]] = field(default_factory=dict)
    officers: dict[str, dict[str, Any]] = field(default_factory=dict)
    learners: dict[str, dict[str, Any]] = field(default_factory=dict)
    placement: dict[str, str] = field(default_factory=dict)
    roles: dict[str, dict[str, str]] = field(default_factory=dict)
    qualifications: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    on_break: set[str] = field(default_factory=set)
    supported: set[str] = field(default_factory=set)  # qualification references SA supports

    def populate(self, learners: int, course_references: list[str]) -> None:
        """Create the learners with their placements, officers and qualifications."""
        self.supported = set(course_references)
        maker = Organisations(self.people)
        for n in range(max(1, learners // 4)):
            self.organisations[f"{self.prefix}ORG{n:05d}"] = maker.organisation(f"{self.prefix}ORG{n:05d}")
        for n in range(max(2, learners // 8)):
            self.officers[f"{self.prefix}OFF{n:05d}"] = maker.officer(f"{self.prefix}OFF{n:05d}")
        for n in range(learners):
            self._add_learner(f"{self.prefix}L{n:06d}", course_references)

    def _add_learner(self, ident: str, references: list[str]) -> None:
        rng = self.people.rng
        self.learners[ident] = {**self.people.learner(ident), "smart_assessor_id": None}
        self.placement[ident] = rng.choice(list(self.organisations))
        main, iqa = rng.sample(list(self.officers), 2)
        self.roles[ident] = {MAIN: main, IQA: iqa}
        start = self.learners[ident]["start_date"]
        chosen = [rng.choice(references)] + ([UNSUPPORTED_REFERENCE] if rng.random() < 0.2 else [])
        self.qualifications[ident] = [
            {"qualification_id": f"{ident}-Q{i}", "qualification_reference": ref, "title": f"Course {ref}",
             "start_date": start, "planned_end_date": start + timedelta(days=rng.randint(365, 730)),
             "actual_end_date": None, "assessor": None, "completion_status": 1, "outcome": None}
            for i, ref in enumerate(chosen)
        ]  # fmt: skip

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

    def enrolments(self) -> Iterator[Emitted]:
        """A LearnerEnrolled for every learner ("Create in Smart Assessor")."""
        for ident in self.learners:
            yield Emitted("pics.learner", ident, "LearnerEnrolled", copy.deepcopy(self.full_state(ident)), [])

    def adopt_ids(self, learners: dict[str, str], organisations: dict[str, str], officers: dict[str, str]) -> None:
        """Take the SA ids the sync wrote back to PICS (U2, U3, U8) into the after-images."""
        for ident, sa_id in learners.items():
            self.learners[ident]["smart_assessor_id"] = sa_id
        for ident, sa_id in organisations.items():
            self.organisations[ident]["additional_id"] = sa_id
        for ident, sa_id in officers.items():
            self.officers[ident]["additional_id"] = sa_id

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
