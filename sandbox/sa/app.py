"""The Smart Assessor sandbox: ``create_app(config)`` builds the FastAPI app, state in memory.

Each SA resource is one router module (``auth``, ``learners``, ``employers``, ``assessors``,
``courses``, ``enrolments``, ``sessions`` with OTJ and Smart Coach) with its table in ``SandboxState``;
``inspection``, ``seeding`` and ``handwork`` serve ``/_sandbox``.
"""

from __future__ import annotations

from fastapi import FastAPI

from sandbox.sa import (
    assessors,
    auth,
    courses,
    employers,
    enrolments,
    handwork,
    inspection,
    learners,
    seeding,
    sessions,
)
from sandbox.sa.config import SandboxConfig
from sandbox.sa.errors import install_error_handlers
from sandbox.sa.gateway import SaGateway
from sandbox.sa.state import SandboxState

TITLE = "Smart Assessor API (pics-sync sandbox)"
DESCRIPTION = (
    "The contract pics-sync holds Smart Assessor to. Every route but `POST /auth/token` needs "
    "`Authorization: Bearer <accessToken>`. Errors are `{code, message, field}`; 429 answers "
    "carry `Retry-After` in seconds. Lists are paged (`page` from 1, `pageSize`)."
)


def create_app(config: SandboxConfig | None = None) -> FastAPI:
    """A fresh sandbox: no records but the default catalogue, no calls; the given credentials and faults."""
    app = FastAPI(title=TITLE, description=DESCRIPTION, version="1.0.0")
    state = SandboxState(config or SandboxConfig())
    app.state.sandbox = state
    install_error_handlers(app)
    resources = (auth, learners, enrolments, sessions, employers, assessors, courses, inspection, seeding, handwork)
    for resource in resources:
        app.include_router(resource.router)
    app.add_middleware(SaGateway, state=state, openapi=app.openapi())
    return app
