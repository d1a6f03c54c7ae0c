"""One error shape for every failure: ``{"code", "message", "details"}``.

Expected failures raise an :class:`ApiError` subclass; each has its own status and code and is
declared in the route's ``responses=`` through :func:`error_responses`, so clients can rely on
the OpenAPI document.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

_log = logging.getLogger(__name__)


class ErrorBody(BaseModel):
    """The body of every error response."""

    code: str = Field(description="Stable machine-readable error code, e.g. `region_not_found`.")
    message: str = Field(description="What went wrong, for a person.")
    details: dict[str, Any] = Field(
        default_factory=dict, description="Structured context: the parameter, suggestions..."
    )


class ApiError(Exception):
    """Base of expected errors. Subclasses fix ``status`` and ``code``."""

    status: int = 400
    code: str = "bad_request"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def body(self) -> ErrorBody:
        return ErrorBody(code=self.code, message=self.message, details=self.details)


class NotFoundError(ApiError):
    status = 404
    code = "not_found"


class InvalidParameterError(ApiError):
    status = 422
    code = "invalid_parameter"


class UnauthorizedError(ApiError):
    status = 401
    code = "unauthorized"


class ForbiddenError(ApiError):
    status = 403
    code = "forbidden"


class ConflictError(ApiError):
    status = 409
    code = "conflict"


class ServiceUnavailableError(ApiError):
    status = 503
    code = "service_unavailable"


_DESCRIPTIONS = {
    400: "The body could not be parsed (not JSON, or not UTF-8).",
    401: "Missing, unknown or revoked API key.",
    403: "The key's role or region scope does not allow this.",
    404: "The resource does not exist.",
    409: "The request conflicts with the current state.",
    422: "A parameter or the body is invalid; `details` names it.",
    503: "A dependency (the database) is unavailable.",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` entry of a route for the error statuses it can return."""
    return {
        status: {"model": ErrorBody, "description": _DESCRIPTIONS.get(status, "Error.")}
        for status in statuses
    }


def _json(status: int, body: ErrorBody, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, content=body.model_dump(), headers=headers)


def _validation_details(errors: Sequence[Any]) -> list[dict[str, Any]]:
    details = []
    for err in errors:
        loc = [str(part) for part in err.get("loc", ())]
        details.append(
            {
                "location": loc[0] if loc else "request",
                "parameter": ".".join(loc[1:]) if len(loc) > 1 else None,
                "message": err.get("msg", "invalid"),
                "input": repr(err.get("input"))[:200] if "input" in err else None,
            }
        )
    return details


def _allowed_methods(request: Request) -> list[str]:
    """Every method any route serves at this path.

    Starlette names only the first route that matches the path, but GET and POST of one path
    are separate routes here.
    """
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return sorted(methods)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return _json(exc.status, exc.body(), headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _validation_details(exc.errors())
        names = ", ".join(sorted({e["parameter"] or e["location"] for e in errors}))
        body = ErrorBody(
            code="invalid_parameter",
            message=f"Invalid request parameter(s): {names}.",
            details={"errors": errors},
        )
        return _json(422, body)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        phrase = HTTPStatus(exc.status_code).phrase
        body = ErrorBody(
            code=phrase.lower().replace(" ", "_").replace("-", "_"),
            message=str(exc.detail) if exc.detail else phrase,
        )
        headers = dict(exc.headers) if exc.headers else {}
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(_allowed_methods(request))
        return _json(exc.status_code, body, headers or None)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        _log.exception("unhandled error on %s %s", request.method, request.url.path)
        body = ErrorBody(code="internal_error", message="An unexpected error occurred.")
        return _json(500, body)
