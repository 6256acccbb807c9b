"""Plans: what a rule decides, as small frozen values. The executor turns them into SA calls.

A rule never calls anything; it returns a tuple of these steps. That makes the field rules
testable without HTTP and lets a dry run print the plan instead of executing it. An SA id that is
not known when the rule runs (an employer about to be linked or created) is a ``Ref`` that the
executor resolves from the steps before it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sync_core.pics_plan import PicsStep


@dataclass(frozen=True)
class Ref:
    """The SA id of a PICS record, resolved when the plan runs."""

    entity: str  # "learner", "employer", "assessor", "enrolment"
    pics_id: str


SaId = str | Ref


@dataclass(frozen=True)
class EnsureEmployer:
    """U2: link the organisation to its SA employer, creating one only when SA has none."""

    organisation: Mapping[str, Any]


@dataclass(frozen=True)
class EnsureAssessor:
    """U3: link the officer to its SA assessor, creating one only when SA has none."""

    officer: Mapping[str, Any]


@dataclass(frozen=True)
class EnsureLearner:
    """U1, U6–U8, U10: link the PICS learner to its SA learner, uploading it when SA has none."""

    learner_ident: str
    fields: Mapping[str, Any]  # SA's names; values may be Refs
    sa_id: str | None = None  # the Smart Assessor ID PICS already holds (U10)


@dataclass(frozen=True)
class EnsureEnrolment:
    """U5: enrol the learner on the course for one learner qualification, once."""

    learner: SaId
    qualification_id: str
    fields: Mapping[str, Any]  # SA's names; values may be Refs


@dataclass(frozen=True)
class Update:
    """Set these fields on an SA record; unchanged content makes no call (X1)."""

    kind: str  # "learner", "employer", "assessor", "enrolment"
    target: SaId  # for an enrolment: Ref("enrolment", qualification id)
    fields: Mapping[str, Any]
    learner: SaId | None = None  # an enrolment's learner


@dataclass(frozen=True)
class Report:
    """Something an operator should know that does not stop the rest (e.g. an unsupported course)."""

    reason: str
    rule: str


@dataclass(frozen=True)
class ReportOrphanEnrolments:
    """D2: the learner's SA enrolments that are none of these qualifications (by MIS id or course) are
    reported, never deleted. Only a run against SA's current records reads them; others pass it by."""

    learner: SaId
    qualification_ids: tuple[str, ...]  # every PICS qualification of the learner, supported or not
    course_ids: tuple[str, ...]  # the SA courses of those qualifications that SA supports


@dataclass(frozen=True)
class Skip:
    """Nothing to do, for a reason and under a rule an operator can look up."""

    reason: str
    rule: str


@dataclass(frozen=True)
class Park:
    """Cannot be done now: keep the event for a redrive."""

    reason: str
    rule: str


# The steps ``sync_core.execute.executor`` carries out; a pull plan's are ``PicsStep``s.
SaStep = EnsureEmployer | EnsureAssessor | EnsureLearner | EnsureEnrolment | Update | Report | ReportOrphanEnrolments
Step = SaStep | Skip | Park | PicsStep
Plan = tuple[Step, ...]


def holding(plan: Plan) -> Park | Skip | None:
    """What keeps a plan from being carried out: its Park (which holds the whole plan), or, for a plan of
    Skips only, its first Skip; None when it is to be carried out."""
    park = next((step for step in plan if isinstance(step, Park)), None)
    if park is not None or not plan or not all(isinstance(step, Skip) for step in plan):
        return park
    skip = plan[0]
    assert isinstance(skip, Skip)
    return skip


def update_learner(sa_id: SaId, fields: Mapping[str, Any]) -> Update:
    """An Update of the learner record."""
    return Update("learner", sa_id, fields)


def update_enrolment(learner: SaId, qualification_id: str, fields: Mapping[str, Any]) -> Update:
    """An Update of the learner's course enrolment for one learner qualification."""
    return Update("enrolment", Ref("enrolment", qualification_id), fields, learner=learner)
