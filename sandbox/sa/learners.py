"""SA's learners: create (and send the welcome email, U7), get, partial update, search.

Search is by ``misId`` or ``uln``. ``employerId`` and ``assessorId`` must name records SA holds.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from sandbox.sa.auth import require_token
from sandbox.sa.errors import ApiError
from sandbox.sa.models import Learner, LearnerCreateRequest, LearnerPage, LearnerPatch, error_responses
from sandbox.sa.records import (
    PageNumber,
    PageSize,
    existing,
    given,
    insert,
    located,
    page_of,
    patch,
    referenced,
    stamped,
)
from sandbox.sa.state import SandboxState, sandbox_state
from sandbox.sa.store import Record, now_iso

router = APIRouter(
    prefix="/learners",
    tags=["learners"],
    dependencies=[Depends(require_token)],
    responses=error_responses(401, 422, 429, 503),
)


@router.post("", status_code=201, response_model=Learner, responses=error_responses(400, 409))
async def create_learner(body: LearnerCreateRequest, request: Request, response: Response) -> Record:
    """Create a learner; SA assigns its GUID. A ``misId`` SA already holds is a 409.

    With ``sendWelcomeEmail`` SA e-mails the learner a login link; the learner needs an ``email``.
    """
    state = sandbox_state(request)
    fields = body.model_dump(exclude={"sendWelcomeEmail"})
    _check_links(state, fields)
    if body.sendWelcomeEmail and not body.email:
        raise ApiError(422, "missing_field", "A welcome email needs the learner's email.", field="email")
    record = insert(state.learners, {"id": str(uuid.uuid4()), **stamped(fields)}, "learner")
    if body.sendWelcomeEmail:
        state.welcome_emails.append(_welcome_email(record, str(request.base_url)))
    return located(request, response, record)


@router.get("/{id}", response_model=Learner, responses=error_responses(404))
async def get_learner(id: str, request: Request) -> Record:
    return existing(sandbox_state(request).learners, id, "learner")


@router.patch("/{id}", response_model=Learner, responses=error_responses(400, 404, 409))
async def update_learner(id: str, body: LearnerPatch, request: Request) -> Record:
    """Change only the keys sent; ``updatedAt`` moves only when a value changes."""
    state = sandbox_state(request)
    record = existing(state.learners, id, "learner")
    changes = body.model_dump(exclude_unset=True)
    _check_links(state, changes)
    return patch(state.learners, record, changes, "learner")


@router.get("", response_model=LearnerPage)
async def find_learners(
    request: Request,
    mis_id: Annotated[str | None, Query(alias="misId")] = None,
    uln: str | None = None,
    page: PageNumber = 1,
    page_size: PageSize = 50,
) -> dict[str, Any]:
    """Learners matching every criterion given (all learners when none), oldest first."""
    matches = sandbox_state(request).learners.find(**given(misId=mis_id, uln=uln))
    return page_of(matches, page, page_size)


def _check_links(state: SandboxState, fields: Mapping[str, Any]) -> None:
    """422 ``unknown_employer`` / ``unknown_assessor`` for an id SA does not hold."""
    referenced(state.employers, fields.get("employerId"), field="employerId", what="employer")
    referenced(state.assessors, fields.get("assessorId"), field="assessorId", what="assessor")


def _welcome_email(learner: Record, base_url: str) -> Record:
    """What SA sends a new learner: a one-time login link."""
    link = f"{base_url}welcome/{secrets.token_urlsafe(16)}"
    return {"learnerId": learner["id"], "email": learner["email"], "loginLink": link, "sentAt": now_iso()}
