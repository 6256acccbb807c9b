"""SA's course catalogue: ``GET /courses``, paged. Tests replace it through ``/_sandbox/courses``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from sandbox.sa.auth import require_token
from sandbox.sa.models import ApiModel, Page, error_responses
from sandbox.sa.records import PageNumber, PageSize, page_of
from sandbox.sa.state import sandbox_state
from sandbox.sa.values import Name

router = APIRouter(
    prefix="/courses",
    tags=["courses"],
    dependencies=[Depends(require_token)],
    responses=error_responses(401, 422, 429, 503),
)


class CourseEntry(ApiModel):
    """A course of the catalogue as ``PUT /_sandbox/courses`` gives it."""

    qanCode: Name = Field(description="Qualification Number, 8 characters without slashes")
    title: Name


class Course(CourseEntry):
    """A course SA offers: an apprenticeship standard or qualification."""

    id: int = Field(description="Number assigned by Smart Assessor")


class CoursePage(Page[Course]):
    """One page of the catalogue."""


@router.get("", response_model=CoursePage)
async def list_courses(request: Request, page: PageNumber = 1, page_size: PageSize = 50) -> dict[str, Any]:
    """Every course SA offers, in catalogue order."""
    return page_of(sandbox_state(request).courses.all(), page, page_size)
