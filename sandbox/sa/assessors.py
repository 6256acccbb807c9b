"""SA's assessors: create, get, partial update and search by ``misId`` or e-mail address.

SA numbers assessors from 5001. E-mail addresses are compared case-insensitively.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import Field

from sandbox.sa.auth import require_token
from sandbox.sa.models import ApiModel, Page, Timestamp, absent, error_responses
from sandbox.sa.records import PageNumber, PageSize, existing, given, insert, located, page_of, patch, stamped
from sandbox.sa.state import sandbox_state
from sandbox.sa.store import Record, Table
from sandbox.sa.values import Email, Name, Text

router = APIRouter(
    prefix="/assessors",
    tags=["assessors"],
    dependencies=[Depends(require_token)],
    responses=error_responses(401, 422, 429, 503),
)


class AssessorDetails(ApiModel):
    """The assessor's optional details, the same in every assessor shape."""

    phoneNumber: Text | None = None
    mobileNumber: Text | None = None


class AssessorCreate(AssessorDetails):
    """POST /assessors. ``misId`` is the PICS officer id and unique in SA."""

    misId: Name
    firstName: Name
    surname: Name
    email: Email


class AssessorPatch(AssessorDetails):
    """PATCH /assessors/{id}: only the keys sent change; required keys may not be set to null."""

    misId: Name = absent()
    firstName: Name = absent()
    surname: Name = absent()
    email: Email = absent()


class Assessor(AssessorCreate):
    """An assessor as SA holds it."""

    id: int = Field(description="Number assigned by Smart Assessor")
    createdAt: Timestamp
    updatedAt: Timestamp
    modifiedAt: Timestamp = Field(description="When a value of the record last changed (section 7 v2)")


class AssessorPage(Page[Assessor]):
    """One page of an assessor search."""


@router.post("", status_code=201, response_model=Assessor, responses=error_responses(400, 409))
async def create_assessor(body: AssessorCreate, request: Request, response: Response) -> Record:
    """Create an assessor; SA assigns its number. A ``misId`` SA already holds is a 409."""
    record = insert(_table(request), stamped(body.model_dump()), "assessor")
    return located(request, response, record)


@router.get("/{id}", response_model=Assessor, responses=error_responses(404))
async def get_assessor(id: int, request: Request) -> Record:
    return existing(_table(request), id, "assessor")


@router.patch("/{id}", response_model=Assessor, responses=error_responses(400, 404, 409))
async def update_assessor(id: int, body: AssessorPatch, request: Request) -> Record:
    """Change only the keys sent; ``updatedAt`` moves only when a value changes."""
    table = _table(request)
    record = existing(table, id, "assessor")
    return patch(table, record, body.model_dump(exclude_unset=True), "assessor")


@router.get("", response_model=AssessorPage)
async def find_assessors(
    request: Request,
    mis_id: Annotated[str | None, Query(alias="misId")] = None,
    email: Annotated[str | None, Query(description="Case does not matter")] = None,
    page: PageNumber = 1,
    page_size: PageSize = 50,
) -> dict[str, Any]:
    """Assessors matching every criterion given (all assessors when none), oldest first."""
    criteria = given(misId=mis_id, email=email)
    return page_of(_table(request).find(**criteria), page, page_size)


def _table(request: Request) -> Table:
    return sandbox_state(request).assessors
