"""``/_sandbox/*``: what tests and the demo use to look inside and steer the sandbox (no auth).

These routes are not part of SA's API and are left out of the OpenAPI document.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from sandbox.sa.state import sandbox_state
from sandbox.sa.store import Record

router = APIRouter(prefix="/_sandbox", tags=["sandbox"], include_in_schema=False)


def _unchanged() -> Any:
    """Default of a setting left out; sending it as null is refused."""
    return Field(default=None)


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


@router.get("/calls")
async def calls(request: Request, since: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
    """Counts of every SA call by method and route, and the log of calls after ``since``."""
    return sandbox_state(request).calls.snapshot(since)


@router.post("/reset")
async def reset(request: Request) -> dict[str, str]:
    """Forget every record and call; keep credentials, settings and issued tokens."""
    sandbox_state(request).reset()
    return {"status": "reset"}


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
