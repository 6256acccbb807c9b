"""``/_sandbox`` routes that give learners activity for the daily pull to read (no auth, no call log).

Set one learner's activity by hand, simulate it for many from a seed, make learners in bulk for
benchmarks, list every session. Left out of the OpenAPI document, like the rest of ``/_sandbox``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import Field, StrictFloat, StrictInt

from sandbox.sa import activity, simulation
from sandbox.sa.errors import ApiError
from sandbox.sa.models import ApiModel, Name, absent
from sandbox.sa.records import existing, referenced
from sandbox.sa.sessions import SessionDetails
from sandbox.sa.state import SandboxState, sandbox_state
from sandbox.sa.store import Record

router = APIRouter(prefix="/_sandbox", tags=["sandbox"], include_in_schema=False)

#: The most learners one ``POST /_sandbox/bulk-learners`` makes.
MAX_BULK = 100_000


class ProgressChange(ApiModel):
    """New signed-off (and total) elements of one of the learner's enrolments."""

    enrolmentId: StrictInt
    elementsSignedOff: Annotated[StrictInt, Field(ge=0)]
    elementsTotal: Annotated[StrictInt, Field(ge=1)] = absent()


class ActivityChange(ApiModel):
    """The parts of a learner's activity to replace; parts left out keep their value."""

    sessions: list[SessionDetails] = absent()
    otjActualHours: Annotated[StrictFloat, Field(ge=0)] = absent()
    smartCoachScore: Annotated[StrictFloat, Field(ge=0, le=1)] = absent()
    progress: list[ProgressChange] = absent()


class SimulationRequest(ApiModel):
    seed: StrictInt
    learnerIds: list[str] | None = None  # None: every learner


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
    """Replace the activity of the learners named (every learner when none is) with made-up activity."""
    state = sandbox_state(request)
    if body.learnerIds is None:
        learners = state.learners.all()
    else:
        learners = [existing(state.learners, learner_id, "learner") for learner_id in body.learnerIds]
    return {"learners": simulation.simulate(state, body.seed, learners)}


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
