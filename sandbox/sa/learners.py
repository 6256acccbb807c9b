"""SA's learners: create, get, partial update and search by ``misId`` or ``uln``."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from sandbox.sa.auth import require_token
from sandbox.sa.errors import ApiError
from sandbox.sa.models import Learner, LearnerCreate, LearnerPage, LearnerPatch, error_responses
from sandbox.sa.state import sandbox_state
from sandbox.sa.store import DuplicateKey, Record, Table, now_iso

router = APIRouter(
    prefix="/learners",
    tags=["learners"],
    dependencies=[Depends(require_token)],
    responses=error_responses(401, 422, 429, 503),
)


@router.post("", status_code=201, response_model=Learner, responses=error_responses(409))
async def create_learner(body: LearnerCreate, request: Request, response: Response) -> Record:
    """Create a learner; SA assigns its GUID. A ``misId`` SA already holds is a 409."""
    now = now_iso()
    record = {"id": str(uuid.uuid4()), **body.model_dump(), "createdAt": now, "updatedAt": now}
    with _unique_mis_id():
        _table(request).insert(record)
    response.headers["Location"] = f"{request.url.path}/{record['id']}"
    return record


@router.get("/{id}", response_model=Learner, responses=error_responses(404))
async def get_learner(id: str, request: Request) -> Record:
    return _existing(_table(request), id)


@router.patch("/{id}", response_model=Learner, responses=error_responses(404, 409))
async def update_learner(id: str, body: LearnerPatch, request: Request) -> Record:
    """Change only the keys sent; ``updatedAt`` moves only when a value changes."""
    table = _table(request)
    record = _existing(table, id)
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if record[k] != v}
    if not changes:
        return record
    with _unique_mis_id():
        return table.update(id, {**changes, "updatedAt": now_iso()})


@router.get("", response_model=LearnerPage)
async def find_learners(
    request: Request,
    mis_id: Annotated[str | None, Query(alias="misId")] = None,
    uln: str | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(alias="pageSize", ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """Learners matching every criterion given (all learners when none), oldest first."""
    criteria = {k: v for k, v in {"misId": mis_id, "uln": uln}.items() if v is not None}
    matches = _table(request).find(**criteria)
    start = (page - 1) * page_size
    items = matches[start : start + page_size]
    return {"items": items, "page": page, "pageSize": page_size, "total": len(matches)}


def _table(request: Request) -> Table:
    return sandbox_state(request).learners


def _existing(table: Table, learner_id: str) -> Record:
    record = table.get(learner_id)
    if record is None:
        raise ApiError(404, "not_found", f"No learner has id {learner_id}.")
    return record


@contextmanager
def _unique_mis_id() -> Iterator[None]:
    """Turn the table's DuplicateKey into SA's 409."""
    try:
        yield
    except DuplicateKey as exc:
        raise ApiError(409, "duplicate_mis_id", "A learner has this misId.", field="misId") from exc
