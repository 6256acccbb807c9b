"""``/_sandbox/*``: what tests and the demo use to look inside and steer the sandbox (no auth).

These routes are not part of SA's API and are left out of the OpenAPI document.

``POST /_sandbox/snapshot`` copies SA's data (``SandboxState.image``: every table with its id counter,
and the learners' activity) and answers ``{snapshotId}``; ``POST /_sandbox/restore`` with that id
makes SA's data the copy again, as SA restored from an older backup: ids number on from the copy's
counters, so an id handed out since is handed out again. A snapshot can be restored any number of
times; the call log, faults, tokens and welcome emails sent are not part of it. A reset forgets them.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from sandbox.sa.courses import CourseEntry
from sandbox.sa.errors import ApiError
from sandbox.sa.state import sandbox_state
from sandbox.sa.store import Record

router = APIRouter(prefix="/_sandbox", tags=["sandbox"], include_in_schema=False)


def _unchanged() -> Any:
    """Default of a setting left out; sending it as null is refused."""
    return Field(default=None)


class RestoreRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    snapshotId: str


class ConfigChange(BaseModel):
    """The run-time settings to change; keys left out keep their value."""

    model_config = ConfigDict(extra="forbid")

    token_ttl_s: Annotated[float, Field(gt=0)] = _unchanged()
    latency_ms: Annotated[float, Field(ge=0)] = _unchanged()
    error_rate: Annotated[float, Field(ge=0, le=1)] = _unchanged()
    timeout_rate: Annotated[float, Field(ge=0, le=1)] = _unchanged()
    timeout_hang_s: Annotated[float, Field(ge=0)] = _unchanged()
    rate_limit_per_s: Annotated[float | None, Field(gt=0)] = None  # null: no limit
    seed: int | None = None


@router.get("/health")
async def health(request: Request) -> dict[str, str]:
    """``instance`` tells the process that started this server from any other on the port."""
    return {"status": "ok", "instance": sandbox_state(request).config.instance}


@router.get("/learners")
async def all_learners(request: Request) -> list[Record]:
    """Every learner record, oldest first."""
    return sandbox_state(request).learners.all()


@router.get("/employers")
async def all_employers(request: Request) -> list[Record]:
    """Every employer record, oldest first."""
    return sandbox_state(request).employers.all()


@router.get("/assessors")
async def all_assessors(request: Request) -> list[Record]:
    """Every assessor record, oldest first."""
    return sandbox_state(request).assessors.all()


@router.get("/enrolments")
async def all_enrolments(request: Request) -> list[Record]:
    """Every enrolment of every learner (each names its ``learnerId``), oldest first."""
    return sandbox_state(request).enrolments.all()


@router.get("/welcome-emails")
async def welcome_emails(request: Request) -> list[Record]:
    """Every welcome email sent ``{learnerId, email, loginLink, sentAt}``, oldest first."""
    return list(sandbox_state(request).welcome_emails)


@router.get("/courses")
async def courses(request: Request) -> list[Record]:
    """The course catalogue ``{id, qanCode, title}``, in order."""
    return sandbox_state(request).courses.all()


@router.put("/courses")
async def replace_courses(catalogue: list[CourseEntry], request: Request) -> list[Record]:
    """Replace the catalogue; ids are numbered afresh in the order given. A qanCode twice is a 422."""
    entries = [entry.model_dump() for entry in catalogue]
    if len({entry["qanCode"] for entry in entries}) < len(entries):
        raise ApiError(422, "duplicate_qan_code", "A qanCode is given twice.", field="qanCode")
    return sandbox_state(request).replace_courses(entries)


@router.get("/calls")
async def calls(request: Request, since: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
    """Counts of every SA call by method and route, and the log of calls after ``since``."""
    return sandbox_state(request).calls.snapshot(since)


@router.post("/reset")
async def reset(request: Request) -> dict[str, str]:
    """Forget every record, deletion, snapshot and call, restore the default catalogue, lift a revocation;
    keep settings and tokens."""
    sandbox_state(request).reset()
    return {"status": "reset"}


@router.post("/snapshot")
async def snapshot(request: Request) -> dict[str, str]:
    """Copy SA's data as it is now; answer the copy's ``snapshotId``."""
    state, snapshot_id = sandbox_state(request), uuid.uuid4().hex
    state.snapshots[snapshot_id] = state.image()
    return {"snapshotId": snapshot_id}


@router.post("/restore")
async def restore(body: RestoreRequest, request: Request) -> dict[str, str]:
    """Make SA's data the snapshot's, counters included; the call log and faults stay as they are."""
    state = sandbox_state(request)
    image = state.snapshots.get(body.snapshotId)
    if image is None:
        raise ApiError(404, "not_found", f"No snapshot has id {body.snapshotId}.")
    state.load(image)
    return {"status": "restored"}


@router.get("/config")
async def config(request: Request) -> dict[str, object]:
    return sandbox_state(request).config.public()


@router.put("/config")
async def change_config(change: ConfigChange, request: Request) -> dict[str, object]:
    """Change the settings sent; answer with all of them."""
    changes = change.model_dump(exclude_unset=True)
    return sandbox_state(request).reconfigure(**changes).public()


@router.post("/expire-tokens")
async def expire_tokens(request: Request) -> dict[str, str]:
    """Expire every token issued so far, so the next SA call with one answers 401."""
    sandbox_state(request).tokens.expire_all()
    return {"status": "expired"}


@router.post("/revoke-credentials")
async def revoke_credentials(request: Request) -> dict[str, str]:
    """Revoke every token and refuse the credentials until the next reset: every SA call answers 401."""
    sandbox_state(request).revoke_credentials()
    return {"status": "revoked"}
