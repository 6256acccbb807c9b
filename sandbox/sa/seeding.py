"""``/_sandbox`` routes that give learners activity for the daily pull to read (no auth, no call log).

Set one learner's activity by hand (group sessions and Smart Coach membership included; a session sent
with its id keeps it), simulate it for many from a seed (and read what the last simulation did), make
learners in bulk for benchmarks, list every session. Left out of the OpenAPI document, like the rest
of ``/_sandbox``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import Field, StrictBool, StrictFloat, StrictInt

from sandbox.sa import activity, simulation
from sandbox.sa.errors import ApiError
from sandbox.sa.models import ApiModel, absent
from sandbox.sa.records import existing, referenced
from sandbox.sa.sessions import SessionDetails
from sandbox.sa.state import SandboxState, sandbox_state
from sandbox.sa.store import Record
from sandbox.sa.values import Hours, Name

router = APIRouter(prefix="/_sandbox", tags=["sandbox"], include_in_schema=False)

#: The most learners one ``POST /_sandbox/bulk-learners`` makes.
MAX_BULK = 100_000
Share = Annotated[float, Field(ge=0, le=1)]  # a share of learners; 0 and 1 as whole numbers too


class ProgressChange(ApiModel):
    """New signed-off (and total) elements of one of the learner's enrolments."""

    enrolmentId: StrictInt
    elementsSignedOff: Annotated[StrictInt, Field(ge=0)]
    elementsTotal: Annotated[StrictInt, Field(ge=1)] = absent()


class SessionChange(SessionDetails):
    """A session to set; ``alsoLearnerIds`` makes it a group session, in those learners' lists too.

    ``id`` names a session the learner owns, which changes and keeps its id; without it the session is
    new (``sandbox.sa.activity``).
    """

    id: StrictInt | None = Field(default=None, description="A session the learner owns; null: a new one")
    alsoLearnerIds: list[str] = Field(default_factory=list)


class ActivityChange(ApiModel):
    """The parts of a learner's activity to replace; parts left out keep their value.

    ``smartCoachScore`` null: in Smart Coach with no score yet; ``inSmartCoach`` false: Smart Coach
    answers 404 for the learner.
    """

    sessions: list[SessionChange] = absent()
    otjActualHours: Hours = absent()
    smartCoachScore: Annotated[StrictFloat, Field(ge=0, le=1)] | None = absent()
    inSmartCoach: StrictBool = absent()
    progress: list[ProgressChange] = absent()


class MixChange(ApiModel):
    """The shares of the simulation's v2 cases (``sandbox.sa.simulation.Mix``); left out: the default."""

    groupSessions: Share = absent()
    notInSmartCoach: Share = absent()
    noScoreYet: Share = absent()
    blanks: Share = absent()


class SimulationRequest(ApiModel):
    seed: StrictInt
    learnerIds: list[str] | None = None  # None: every learner
    mix: MixChange | None = None


class BulkRequest(ApiModel):
    count: Annotated[StrictInt, Field(ge=1, le=MAX_BULK)]
    misIdPrefix: Name
    courseId: StrictInt | None = None  # None: the first course of the catalogue
    assessorId: StrictInt | None = None
    employerId: StrictInt | None = None
    seed: StrictInt = 0


@router.put("/learners/{id}/activity")
async def set_activity(id: str, change: ActivityChange, request: Request) -> Record:
    """Replace the parts of the learner's activity sent; answer with all of it."""
    state = sandbox_state(request)
    learner = existing(state.learners, id, "learner")
    sent = change.model_dump()  # nested sessions with their defaults
    activity.change_activity(state, id, {key: sent[key] for key in change.model_fields_set})
    return activity.activity_of(state, learner)


@router.post("/simulate-activity")
async def simulate_activity(body: SimulationRequest, request: Request) -> dict[str, int]:
    """Replace the activity of the learners named (every learner when none is) with made-up activity;
    answer what it did (``{learners, groupSessions, notInSmartCoach, noScoreYet, blankLearners, …}``)."""
    state = sandbox_state(request)
    if body.learnerIds is None:
        learners = state.learners.all()
    else:
        learners = [existing(state.learners, learner_id, "learner") for learner_id in body.learnerIds]
    mix = simulation.Mix.of(body.mix.model_dump(exclude_unset=True) if body.mix else {})
    return simulation.simulate(state, body.seed, learners, mix).as_dict()


@router.get("/simulation")
async def last_simulation(request: Request) -> dict[str, int]:
    """What the last simulate-activity did, in counts (empty before the first, and after a reset)."""
    return dict(sandbox_state(request).last_simulation)


@router.post("/bulk-learners")
async def bulk_learners(body: BulkRequest, request: Request) -> dict[str, list[Record]]:
    """Make ``count`` enrolled learners with simulated activity: ``{learners: [{id, misId, enrolmentId}]}``."""
    state = sandbox_state(request)
    course_id = _course_id(state, body.courseId)
    referenced(state.assessors, body.assessorId, field="assessorId", what="assessor")
    referenced(state.employers, body.employerId, field="employerId", what="employer")
    links = {"assessorId": body.assessorId, "employerId": body.employerId}
    made = simulation.bulk_learners(state, body.count, body.misIdPrefix, course_id, body.seed, **links)
    return {"learners": made}


@router.get("/sessions")
async def all_sessions(request: Request) -> list[Record]:
    """Every session of every learner (each names its ``learnerId``), oldest first."""
    return sandbox_state(request).sessions.all()


def _course_id(state: SandboxState, course_id: int | None) -> int:
    """The course named (422 if SA has none such), else the first of the catalogue."""
    if course_id is not None:
        referenced(state.courses, course_id, field="courseId", what="course")
        return course_id
    courses = state.courses.all()
    if not courses:
        raise ApiError(422, "unknown_course", "The catalogue is empty.", field="courseId")
    return int(courses[0]["id"])
