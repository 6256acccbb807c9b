"""SA's authentication: ``POST /auth/token`` and the bearer check every other route needs."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from sandbox.sa.config import SandboxConfig
from sandbox.sa.errors import ApiError
from sandbox.sa.models import TokenRequest, TokenResponse, error_responses
from sandbox.sa.state import sandbox_state

router = APIRouter(tags=["auth"])
_bearer = HTTPBearer(auto_error=False, description="The accessToken from POST /auth/token")


@router.post(
    "/auth/token",
    response_model=TokenResponse,
    responses=error_responses(400, 401, 422, 429, 503),
    summary="Exchange the integration's credentials for a bearer token",
)
async def issue_token(body: TokenRequest, request: Request) -> TokenResponse:
    state = sandbox_state(request)
    if state.credentials_revoked or not _credentials_match(body, state.config):
        raise ApiError(401, "invalid_credentials", "Username, password or client key is wrong.")
    ttl = state.config.token_ttl_s
    return TokenResponse(accessToken=state.tokens.issue(ttl), expiresIn=ttl)


async def require_token(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Dependency of every SA route but the token endpoint."""
    sandbox_state(request).tokens.check(credentials.credentials if credentials else None)


def _credentials_match(body: TokenRequest, config: SandboxConfig) -> bool:
    pairs = (
        (body.username, config.username),
        (body.password, config.password),
        (body.clientKey, config.client_key),
    )
    return all([secrets.compare_digest(given.encode(), held.encode()) for given, held in pairs])
