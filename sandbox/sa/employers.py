"""SA's employers: create, get, partial update and search by ``misId`` or EDRS number + postcode.

SA numbers employers from 1001. Postcodes are compared without regard to case or spaces.
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
from sandbox.sa.values import Name, Text

router = APIRouter(
    prefix="/employers",
    tags=["employers"],
    dependencies=[Depends(require_token)],
    responses=error_responses(401, 422, 429, 503),
)


class EmployerDetails(ApiModel):
    """The employer's optional details, the same in every employer shape."""

    phoneNumber: Text | None = None
    edrsNumber: Text | None = Field(default=None, description="Employer Data Reference Service number")
    address1: Text | None = None
    address2: Text | None = None
    address3: Text | None = None
    address4: Text | None = None
    postcode: Text | None = None
    website: Text | None = None
    employerSize: Text | None = Field(default=None, examples=["10-49"])


class EmployerCreate(EmployerDetails):
    """POST /employers. ``misId`` is the PICS organisation id and unique in SA."""

    misId: Name
    name: Name


class EmployerPatch(EmployerDetails):
    """PATCH /employers/{id}: only the keys sent change; required keys may not be set to null."""

    misId: Name = absent()
    name: Name = absent()


class Employer(EmployerCreate):
    """An employer as SA holds it."""

    id: int = Field(description="Number assigned by Smart Assessor")
    createdAt: Timestamp
    updatedAt: Timestamp
    modifiedAt: Timestamp = Field(description="When a value of the record last changed (section 7 v2)")


class EmployerPage(Page[Employer]):
    """One page of an employer search."""


@router.post("", status_code=201, response_model=Employer, responses=error_responses(400, 409))
async def create_employer(body: EmployerCreate, request: Request, response: Response) -> Record:
    """Create an employer; SA assigns its number. A ``misId`` SA already holds is a 409."""
    record = insert(_table(request), stamped(body.model_dump()), "employer")
    return located(request, response, record)


@router.get("/{id}", response_model=Employer, responses=error_responses(404))
async def get_employer(id: int, request: Request) -> Record:
    return existing(_table(request), id, "employer")


@router.patch("/{id}", response_model=Employer, responses=error_responses(400, 404, 409))
async def update_employer(id: int, body: EmployerPatch, request: Request) -> Record:
    """Change only the keys sent; ``updatedAt`` moves only when a value changes."""
    table = _table(request)
    record = existing(table, id, "employer")
    return patch(table, record, body.model_dump(exclude_unset=True), "employer")


@router.get("", response_model=EmployerPage)
async def find_employers(
    request: Request,
    mis_id: Annotated[str | None, Query(alias="misId")] = None,
    edrs_number: Annotated[str | None, Query(alias="edrsNumber")] = None,
    postcode: Annotated[str | None, Query(description="Case and spaces do not matter")] = None,
    page: PageNumber = 1,
    page_size: PageSize = 50,
) -> dict[str, Any]:
    """Employers matching every criterion given (all employers when none), oldest first."""
    criteria = given(misId=mis_id, edrsNumber=edrs_number, postcode=postcode)
    return page_of(_table(request).find(**criteria), page, page_size)


def _table(request: Request) -> Table:
    return sandbox_state(request).employers
