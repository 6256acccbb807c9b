"""The shapes SA's API reads and writes; they are what the served OpenAPI document shows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from sandbox.sa.values import DateOfBirth, EmailOrBlank, Hours, IsoDate, Name, NiNumber, Text, Uln

LearnerStatus = Literal["active", "break_in_learning", "completed", "withdrawn"]
Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
T = TypeVar("T")


def only(*allowed: int) -> Callable[[int], int]:
    """A validator: the integer must be one of ``allowed``."""

    def check(value: int) -> int:
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(map(str, allowed))}")
        return value

    return check


def absent() -> Any:
    """Default for a key that may be left out of a PATCH but, when sent, must not be null."""
    return Field(default=None)


class ApiModel(BaseModel):
    """Every SA body: unknown keys are refused."""

    model_config = ConfigDict(extra="forbid")


class ErrorBody(ApiModel):
    """Every refusal."""

    code: str = Field(examples=["duplicate_mis_id"])
    message: str
    field: str | None = Field(default=None, examples=["misId"])


class TokenRequest(ApiModel):
    username: str
    password: str
    clientKey: str


class TokenResponse(ApiModel):
    accessToken: str
    tokenType: Literal["Bearer"] = "Bearer"
    expiresIn: float = Field(description="Seconds until the token expires")


class Page(ApiModel, Generic[T]):
    items: list[T]
    page: int
    pageSize: int
    total: int


class LearnerDetails(ApiModel):
    """The learner's optional details, the same in every learner shape."""

    dateOfBirth: DateOfBirth | None = None
    uln: Uln | None = None
    email: EmailOrBlank | None = None
    address1: Text | None = None
    address2: Text | None = None
    address3: Text | None = None
    address4: Text | None = None
    postcode: Text | None = None
    niNumber: NiNumber | None = None
    phoneNumber: Text | None = None
    mobileNumber: Text | None = None
    studentId: Text | None = None
    gender: Text | None = None
    ethnicity: Text | None = None
    disability: Text | None = None
    startDate: IsoDate | None = None
    plannedOtjHours: Hours | None = None
    employerId: StrictInt | None = Field(default=None, description="An SA employer's id")
    assessorId: StrictInt | None = Field(default=None, description="An SA assessor's id")


class LearnerCreate(LearnerDetails):
    """POST /learners. ``misId`` is the PICS Learner Ident and unique in SA."""

    misId: Name
    firstName: Name
    surname: Name
    status: LearnerStatus = "active"


class LearnerCreateRequest(LearnerCreate):
    """The body of POST /learners: a learner, and whether SA sends it the welcome email (U7)."""

    sendWelcomeEmail: StrictBool = Field(
        default=False, description="Send the welcome email (needs `email`); not stored on the learner"
    )


class LearnerPatch(LearnerDetails):
    """PATCH /learners/{id}: only the keys sent change; required keys may not be set to null."""

    misId: Name = absent()
    firstName: Name = absent()
    surname: Name = absent()
    status: LearnerStatus = absent()


class Learner(LearnerCreate):
    """A learner as SA holds it."""

    id: str = Field(description="GUID assigned by Smart Assessor")
    createdAt: Timestamp
    updatedAt: Timestamp
    modifiedAt: Timestamp = Field(description="When a value of the record last changed (section 7 v2)")


class LearnerPage(Page[Learner]):
    """One page of a learner search."""


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the refusals a route can answer."""
    return {status: {"model": ErrorBody} for status in statuses}
