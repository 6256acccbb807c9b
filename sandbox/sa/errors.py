"""SA's error answers: JSON ``{code, message, field}`` for every refusal, whoever raised it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 415: "unsupported_media_type"}
_PYDANTIC_CODES = {"missing": "missing_field", "extra_forbidden": "unknown_field"}


class ApiError(Exception):
    """A refusal the sandbox answers with its status and SA's error body."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        field: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.headers = dict(headers or {})


def error_response(error: ApiError) -> JSONResponse:
    """The JSON answer for ``error``."""
    body = {"code": error.code, "message": error.message, "field": error.field}
    return JSONResponse(body, status_code=error.status, headers=error.headers)


def install_error_handlers(app: FastAPI) -> None:
    """Make every refusal, FastAPI's own included, answer in SA's error shape."""
    app.add_exception_handler(ApiError, _on_api_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(HTTPException, _on_http_exception)


async def _on_api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc)


async def _on_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    error = ApiError(exc.status_code, code, str(exc.detail), headers=exc.headers)
    return error_response(error)


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(validation_error(exc.errors()[0]))


def validation_error(problem: Mapping[str, Any]) -> ApiError:
    """SA's answer to pydantic's first problem: 400 for unreadable JSON, else 422 on the field."""
    if problem["type"] == "json_invalid":
        return ApiError(400, "invalid_json", "The request body is not valid JSON.")
    loc = [part for part in problem["loc"] if part not in ("body", "query", "path")]
    field = str(loc[0]) if loc else None
    code = _PYDANTIC_CODES.get(problem["type"], "invalid_value")
    return ApiError(422, code, str(problem["msg"]), field=field)
