"""A learner's course enrolments: ``/learners/{id}/courses`` (enrol, list, get, partial update).

SA numbers enrolments from 9001. ``misId`` (the PICS learner qualification id) is unique per
learner. SA keeps the progress figures; the sandbox starts each enrolment at 0 of 20 elements.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import AfterValidator, Field, StrictInt

from sandbox.sa.auth import require_token
from sandbox.sa.errors import ApiError
from sandbox.sa.models import ApiModel, Page, Timestamp, absent, error_responses, only
from sandbox.sa.records import PageNumber, PageSize, existing, located, page_of, patch, referenced, stamped
from sandbox.sa.state import SandboxState, sandbox_state
from sandbox.sa.store import Record
from sandbox.sa.values import IsoDate, Name

router = APIRouter(
    prefix="/learners/{id}/courses",
    tags=["enrolments"],
    dependencies=[Depends(require_token)],
    responses=error_responses(401, 404, 422, 429, 503),
)

ELEMENTS_TOTAL = 20
EnrolmentStatus = Literal["in_training", "completed", "withdrawn", "transferred", "break_in_learning"]
CompletionStatus = Annotated[
    StrictInt, Field(json_schema_extra={"enum": [1, 2, 3, 4, 6]}), AfterValidator(only(1, 2, 3, 4, 6))
]
Outcome = Annotated[StrictInt, Field(json_schema_extra={"enum": [1, 2, 3, 8]}), AfterValidator(only(1, 2, 3, 8))]
EnrolmentId = Annotated[int, Path(alias="enrolmentId")]


class EnrolmentDetails(ApiModel):
    """What PICS sets on an enrolment, in every enrolment shape."""

    startDate: IsoDate | None = None
    plannedEndDate: IsoDate | None = None
    assessorId: StrictInt | None = Field(default=None, description="An SA assessor's id")
    secondAssessorId: StrictInt | None = Field(default=None, description="An SA assessor's id")
    actualEndDate: IsoDate | None = None
    completionStatus: CompletionStatus | None = Field(
        default=None, description="ILR: 1 continuing, 2 completed, 3 withdrawn, 4 transferred, 6 break"
    )
    outcome: Outcome | None = Field(
        default=None, description="ILR: 1 achieved, 2 partial, 3 no achievement, 8 not yet known"
    )


class EnrolmentCreate(EnrolmentDetails):
    """POST /learners/{id}/courses. ``misId`` is the PICS learner qualification id."""

    courseId: StrictInt = Field(description="A course of GET /courses")
    misId: Name
    status: EnrolmentStatus = "in_training"


class EnrolmentPatch(EnrolmentDetails):
    """PATCH /learners/{id}/courses/{enrolmentId}: only the keys sent change."""

    status: EnrolmentStatus = absent()


class Enrolment(EnrolmentCreate):
    """An enrolment as SA holds it, with the progress SA tracks."""

    id: int = Field(description="Number assigned by Smart Assessor")
    learnerId: str
    elementsTotal: int
    elementsSignedOff: int
    progressAssessedPc: float
    progressMappedPc: float
    timelinePc: float
    createdAt: Timestamp
    updatedAt: Timestamp
    modifiedAt: Timestamp = Field(description="When a value of the record last changed (section 7 v2)")


class EnrolmentPage(Page[Enrolment]):
    """One page of a learner's enrolments."""


#: The progress of a new enrolment.
NEW_PROGRESS = {
    "elementsTotal": ELEMENTS_TOTAL,
    "elementsSignedOff": 0,
    "progressAssessedPc": 0.0,
    "progressMappedPc": 0.0,
    "timelinePc": 0.0,
}


@router.post("", status_code=201, response_model=Enrolment, responses=error_responses(400, 409))
async def enrol(id: str, body: EnrolmentCreate, request: Request, response: Response) -> Record:
    """Enrol the learner on a catalogue course; a ``misId`` the learner has already is a 409."""
    state = sandbox_state(request)
    existing(state.learners, id, "learner")
    referenced(state.courses, body.courseId, field="courseId", what="course")
    _check_assessors(state, body.model_dump())
    if state.enrolments.find(learnerId=id, misId=body.misId):
        message = "The learner has an enrolment with this misId."
        raise ApiError(409, "duplicate_mis_id", message, field="misId")
    record = state.enrolments.insert(stamped({"learnerId": id, **body.model_dump(), **NEW_PROGRESS}))
    return located(request, response, record)


@router.get("", response_model=EnrolmentPage)
async def list_enrolments(id: str, request: Request, page: PageNumber = 1, page_size: PageSize = 50) -> dict[str, Any]:
    """The learner's enrolments, oldest first."""
    state = sandbox_state(request)
    existing(state.learners, id, "learner")
    return page_of(state.enrolments.find(learnerId=id), page, page_size)


@router.get("/{enrolmentId}", response_model=Enrolment)
async def get_enrolment(id: str, enrolment_id: EnrolmentId, request: Request) -> Record:
    return _existing(sandbox_state(request), id, enrolment_id)


@router.patch("/{enrolmentId}", response_model=Enrolment, responses=error_responses(400))
async def update_enrolment(id: str, enrolment_id: EnrolmentId, body: EnrolmentPatch, request: Request) -> Record:
    """Change only the keys sent; ``updatedAt`` moves only when a value changes."""
    state = sandbox_state(request)
    record = _existing(state, id, enrolment_id)
    changes = body.model_dump(exclude_unset=True)
    _check_assessors(state, changes)
    return patch(state.enrolments, record, changes, "enrolment")


def _existing(state: SandboxState, learner_id: str, enrolment_id: int) -> Record:
    existing(state.learners, learner_id, "learner")
    record = state.enrolments.get(enrolment_id)
    if record is None or record["learnerId"] != learner_id:
        raise ApiError(404, "not_found", f"The learner has no enrolment with id {enrolment_id}.")
    return record


def _check_assessors(state: SandboxState, fields: Mapping[str, Any]) -> None:
    for field in ("assessorId", "secondAssessorId"):
        referenced(state.assessors, fields.get(field), field=field, what="assessor")
