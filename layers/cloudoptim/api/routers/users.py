"""Users of the tenant (admin only): invite, list, read, change a role under If-Match, remove."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse, Response

from cloudoptim.api.context import Caller, Deps, IdempotencyKey, IfMatch, idempotent, version_of, with_etag
from cloudoptim.api.problems import responses
from cloudoptim.api.schemas import Page, RoleIn, User, UserIn
from cloudoptim.tenancy import users

router = APIRouter(tags=["users"])
UserId = Annotated[str, Path(pattern=r"^[A-Za-z0-9:_@.-]{1,128}$")]
Limit = Annotated[int, Query(ge=1, le=500)]
Cursor = Annotated[str | None, Query(max_length=2048)]


@router.post("/v1/users", status_code=201, response_model=User, responses=responses(400, 401, 403, 409, 422))
def invite_user(body: UserIn, principal: Caller, wired: Deps, key: IdempotencyKey = None) -> Response:
    def run() -> Response:
        document = users.invite(wired.tenancy, principal, body.email, body.role, wired.now())
        response = with_etag(User.of(document), document, status=201)
        response.headers["Location"] = f"/v1/users/{document.id}"
        return response

    return idempotent(body, key, principal, wired, "POST /v1/users", run)


@router.get("/v1/users", response_model=Page[User], responses=responses(401, 403, 422))
def list_users(principal: Caller, wired: Deps, limit: Limit = 50, cursor: Cursor = None) -> Page[User]:
    page = users.listed(wired.tenancy, principal, limit, cursor)
    return Page[User](items=[User.of(d) for d in page.items], next_cursor=page.cursor)


@router.get("/v1/users/{user_id}", response_model=User, responses=responses(401, 403, 404, 422))
def get_user(user_id: UserId, principal: Caller, wired: Deps) -> JSONResponse:
    document = users.get(wired.tenancy, principal, user_id)
    return with_etag(User.of(document), document)


@router.put("/v1/users/{user_id}", response_model=User, responses=responses(400, 401, 403, 404, 409, 412, 422, 428))
def set_role(
    user_id: UserId, body: RoleIn, principal: Caller, wired: Deps, if_match: IfMatch = None, key: IdempotencyKey = None
) -> Response:
    def run() -> Response:
        document = users.set_role(wired.tenancy, principal, user_id, body.role, version_of(if_match), wired.now())
        return with_etag(User.of(document), document)

    return idempotent(body, key, principal, wired, f"PUT /v1/users/{user_id}", run)


@router.delete("/v1/users/{user_id}", status_code=204, responses=responses(401, 403, 404, 409, 412, 422))
def remove_user(user_id: UserId, principal: Caller, wired: Deps, if_match: IfMatch = None) -> Response:
    users.remove(wired.tenancy, principal, user_id, version_of(if_match), wired.now())
    return Response(status_code=204)
