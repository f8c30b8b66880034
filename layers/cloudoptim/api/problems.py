"""Errors as `application/problem+json` (RFC 9457), mapped from the product's typed errors in this one place, and
documented on every route that can answer them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from cloudoptim.errors import (
    AccessDeniedError,
    AccountTakenError,
    AuthenticationError,
    CloudOptimError,
    ConflictError,
    FieldError,
    InputFileError,
    InvalidArgumentError,
    ModelRefusedError,
    NotFoundError,
    PermissionDeniedError,
    PreconditionFailedError,
    PreconditionRequiredError,
    RegistryConflictError,
    TransientAwsError,
)
from cloudoptim.observability import logger

PROBLEM = "application/problem+json"


class FieldProblem(BaseModel):
    field: str = Field(description="dotted path of the field, e.g. maintenance_windows.windows.0.start")
    message: str


class Problem(BaseModel):
    type: str = Field("about:blank", description="a URI naming the kind of problem")
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] | None = None


# Most specific first: the first class an error is an instance of decides.
STATUS: tuple[tuple[type[CloudOptimError], int, str], ...] = (
    (AuthenticationError, 401, "Unauthorized"),
    (PermissionDeniedError, 403, "Forbidden"),
    (NotFoundError, 404, "Not Found"),
    (ConflictError, 409, "Conflict"),
    (AccountTakenError, 409, "Conflict"),
    (RegistryConflictError, 409, "Conflict"),  # the model registry kept changing under the request: retry
    (PreconditionFailedError, 412, "Precondition Failed"),
    (FieldError, 422, "Unprocessable Content"),
    (InputFileError, 422, "Unprocessable Content"),
    (InvalidArgumentError, 422, "Unprocessable Content"),
    (ModelRefusedError, 422, "Unprocessable Content"),
    (PreconditionRequiredError, 428, "Precondition Required"),
    (AccessDeniedError, 502, "Bad Gateway"),  # the customer's role refused us: their side, reported as such
    (TransientAwsError, 503, "Service Unavailable"),
)
TITLES = {status: title for _, status, title in STATUS} | {
    400: "Bad Request: the body is not JSON",
    405: "Method Not Allowed",
}


def problem(status: int, detail: str, errors: list[FieldProblem] | None = None) -> JSONResponse:
    body = Problem(title=TITLES.get(status, "Error"), status=status, detail=detail, errors=errors)
    headers = {"WWW-Authenticate": 'Bearer realm="cloudoptim"'} if status == 401 else None
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, media_type=PROBLEM, headers=headers)


def status_of(exc: CloudOptimError) -> int:
    return next((status for kind, status, _ in STATUS if isinstance(exc, kind)), 500)


def install(app: FastAPI) -> None:
    """Every error the app can raise becomes a problem document; nothing leaks a traceback."""

    async def typed(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, CloudOptimError)
        status = status_of(exc)
        if status == 500:
            logger().exception("unmapped error", extra={"error": type(exc).__name__})
            return problem(500, "internal error")
        fields = [FieldProblem(field=exc.field, message=exc.reason)] if isinstance(exc, FieldError) else None
        return problem(status, str(exc), fields)

    async def invalid(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        fields = [
            FieldProblem(field=_path(e.get("loc", ())), message=str(e.get("msg")).removeprefix("Value error, "))
            for e in exc.errors()
        ]
        detail = "; ".join(f"{f.field}: {f.message}" for f in fields[:5]) or "invalid request"
        return problem(422, detail, fields)

    async def http(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return problem(exc.status_code, str(exc.detail))

    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        logger().exception("unexpected error", extra={"error": type(exc).__name__})
        return problem(500, "internal error")

    app.add_exception_handler(CloudOptimError, typed)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(StarletteHTTPException, http)
    app.add_exception_handler(Exception, unexpected)


def _path(loc: Iterable[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:] or parts
    return ".".join(parts) or "request"


def content(media_type: str, description: str) -> dict[int | str, dict[str, Any]]:
    """A 200 answer that is not JSON (a download, a manifest, CSV)."""
    return {200: {"content": {media_type: {}}, "description": description}}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses` of a route's possible problems (401 and 422 are on every authenticated route)."""
    return {
        status: {"description": TITLES.get(status, "Error"), "model": Problem, "content": {PROBLEM: {}}}
        for status in statuses
    }
