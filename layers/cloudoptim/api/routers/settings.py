"""Tenant settings: `GET /v1/settings`, `PUT /v1/settings/safe-mode` (admin; audited)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from cloudoptim.api.context import Caller, Deps, IdempotencyKey, IfMatch, idempotent, version_of, with_etag
from cloudoptim.api.problems import responses
from cloudoptim.api.schemas import SafeModeIn, Settings
from cloudoptim.notifications.config import announce_safe_mode
from cloudoptim.tenancy import tenants

router = APIRouter(tags=["settings"])


@router.get("/v1/settings", response_model=Settings, responses=responses(401, 403, 422))
def get_settings(principal: Caller, wired: Deps) -> JSONResponse:
    document = tenants.settings(wired.tenancy, principal)
    return with_etag(Settings.of(document), document)


@router.put(
    "/v1/settings/safe-mode",
    response_model=Settings,
    responses=responses(400, 401, 403, 409, 412, 422),
    summary="Switch the tenant-wide dry run on or off",
)
def put_safe_mode(
    body: SafeModeIn, principal: Caller, wired: Deps, if_match: IfMatch = None, key: IdempotencyKey = None
) -> Response:
    def run() -> Response:
        document = tenants.set_safe_mode(wired.tenancy, principal, body.enabled, version_of(if_match), wired.now())
        announce_safe_mode(wired.notifications, principal, document)
        return with_etag(Settings.of(document), document)

    return idempotent(body, key, principal, wired, "PUT /v1/settings/safe-mode", run)
