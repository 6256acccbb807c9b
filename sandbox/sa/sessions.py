"""What the daily pull reads of a learner: ``/learners/{id}/sessions``, ``/otj`` and ``/smart-coach``.

SA's API only reads a learner's activity; the sandbox sets it through ``/_sandbox`` (``seeding``).
Session ids are SA's numbers from 20001; a session's times are UTC, written ``2025-01-31T09:30:00Z``.
A group session has one id in the lists of every learner it is for, and a session keeps its id when
it changes (``activity`` says how the sandbox changes one). Smart Coach answers 404 for a
learner not in Smart Coach, and a null score and band for one it has no score for yet (section 7 v2).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import AfterValidator, Field, StrictInt

from sandbox.sa import activity
from sandbox.sa.auth import require_token
from sandbox.sa.models import ApiModel, Page, error_responses
from sandbox.sa.records import PageNumber, PageSize, existing, page_of
from sandbox.sa.state import sandbox_state
from sandbox.sa.store import Record

router = APIRouter(
    prefix="/learners/{id}",
    tags=["activity"],
    dependencies=[Depends(require_token)],
    responses=error_responses(401, 404, 422, 429, 503),
)

SessionType = Literal[
    "General",
    "Induction",
    "Formal Review",
    "Telephone",
    "Exit Session",
    "Out of the Workplace",
    "Tests/Exams",
    "Learner Support",
    "Initial",
    "Gateway Ready",
    "EPA",
]
SessionStatus = Literal["planned", "attended", "cancelled_learner", "cancelled_assessor", "cancelled_employer"]
Band = Literal["High", "Medium", "Low"]


def _utc(value: str) -> str:
    """An ISO 8601 date and time with its offset, as SA writes it: UTC, to the second, ``Z``."""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("must give its UTC offset, as in 2025-01-31T09:30:00Z")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


UtcDateTime = Annotated[
    str,
    Field(json_schema_extra={"format": "date-time"}, examples=["2025-01-31T09:30:00Z"]),
    AfterValidator(_utc),
]


class SessionDetails(ApiModel):
    """A session as ``PUT /_sandbox/learners/{id}/activity`` gives it."""

    type: SessionType
    start: UtcDateTime
    durationMinutes: Annotated[StrictInt, Field(ge=1, le=1440)]
    assessorId: StrictInt | None = Field(default=None, description="An SA assessor's id")
    status: SessionStatus = "planned"
    actualStart: UtcDateTime | None = Field(default=None, description="When it began; set when attended")


class Session(SessionDetails):
    """A session of the learner with an assessor (a review, a visit, a call)."""

    id: int = Field(description="Number assigned by Smart Assessor")


class SessionPage(Page[Session]):
    """One page of a learner's sessions."""


class Otj(ApiModel):
    """The learner's off-the-job training hours."""

    plannedHours: float | None = Field(description="The learner's plannedOtjHours")
    actualHours: float = Field(description="Hours of off-the-job training recorded so far")


class SmartCoach(ApiModel):
    """Smart Coach's risk of the learner not completing: the score and its band, null when no score yet."""

    score: float | None = Field(ge=0, le=1, description="null: Smart Coach has no score for the learner yet")
    band: Band | None = Field(description="High from 0.66, Medium from 0.33, else Low; null with the score")


@router.get("/sessions", response_model=SessionPage)
async def list_sessions(id: str, request: Request, page: PageNumber = 1, page_size: PageSize = 50) -> dict[str, Any]:
    """The learner's sessions, by start."""
    state = sandbox_state(request)
    existing(state.learners, id, "learner")
    return page_of([activity.session_view(s) for s in activity.sessions_of(state, id)], page, page_size)


@router.get("/otj", response_model=Otj)
async def get_otj(id: str, request: Request) -> Record:
    """Planned hours (the learner's ``plannedOtjHours``) and the actual hours SA holds (0 when none)."""
    state = sandbox_state(request)
    return activity.otj_of(state, existing(state.learners, id, "learner"))


@router.get("/smart-coach", response_model=SmartCoach)
async def get_smart_coach(id: str, request: Request) -> Record:
    """The learner's Smart Coach score (0 when SA has none; null when it has no score yet) and its band;
    404 when the learner is not in Smart Coach."""
    state = sandbox_state(request)
    return activity.smart_coach_of(state, existing(state.learners, id, "learner")["id"])
