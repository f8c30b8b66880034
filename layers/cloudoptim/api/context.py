"""Per-request plumbing shared by the routers: the wired dependencies, the caller, ETags, idempotent writes."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Protocol

from fastapi import Depends, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response

from cloudoptim.dashboard.site import SignIn
from cloudoptim.errors import ConflictError, FieldError
from cloudoptim.interruptions.hive_view import HiveWindow
from cloudoptim.models.admin import ModelAdminDeps
from cloudoptim.notifications.ports import NotificationsApi
from cloudoptim.optimization.ports import OptimizationDeps
from cloudoptim.pricing.ports import PriceTable
from cloudoptim.tenancy.deps import TenancyDeps
from cloudoptim.tenancy.ports import Document, StoredResponse
from cloudoptim.tenancy.principal import Principal
from cloudoptim.tenancy.tenants import ensure_tenant

_ETAG = re.compile(r'^(W/)?"?(\d{1,18})"?$')
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


class Verifier(Protocol):
    def principal(self, authorization: str | None) -> Principal: ...


@dataclass(frozen=True)
class ApiDeps:
    tenancy: TenancyDeps
    optimization: OptimizationDeps
    verifier: Verifier
    clock: Callable[[], float]
    known_tenants: set[str] = field(default_factory=set)  # signed up already: no store read per request
    prices: PriceTable | None = None  # the scraped Prices table (GET /v1/prices/stats)
    hive: HiveWindow | None = None  # the HiveMind table (GET /v1/hive-mind)
    sign_in: SignIn = field(default_factory=SignIn)  # how the dashboard signs in (local token by default)
    models: ModelAdminDeps | None = None  # the model registry (platform operators' routes); None: not deployed
    notifications: NotificationsApi | None = None  # webhook secrets and the bus alerts are announced on

    def now(self) -> int:
        return int(self.clock())


def deps(request: Request) -> ApiDeps:
    wired: ApiDeps = request.app.state.deps
    return wired


def caller(
    request: Request,
    authorization: Annotated[str | None, Header(description="Bearer <ID token>")] = None,
) -> Principal:
    """The verified caller; a tenant seen for the first time is created (sign-up)."""
    wired = deps(request)
    principal = wired.verifier.principal(authorization)
    if principal.tenant_id not in wired.known_tenants:
        ensure_tenant(wired.tenancy, principal, wired.now())
        wired.known_tenants.add(principal.tenant_id)
    return principal


Caller = Annotated[Principal, Depends(caller)]
Deps = Annotated[ApiDeps, Depends(deps)]
IfMatch = Annotated[str | None, Header(alias="If-Match", description='the ETag you read, e.g. "3"')]
IdempotencyKey = Annotated[
    str | None, Header(alias="Idempotency-Key", description="a retried write with the same key has no second effect")
]


def version_of(if_match: str | None) -> int | None:
    if if_match is None:
        return None
    match = _ETAG.match(if_match.strip())
    if match is None:
        raise FieldError("If-Match", f'{if_match!r} is not an ETag of this API (e.g. "3")')
    return int(match.group(2))


def etag(document: Document) -> str:
    return f'"{document.version}"'


def with_etag(body: Any, document: Document, status: int = 200) -> JSONResponse:
    return JSONResponse(jsonable_encoder(body), status_code=status, headers={"ETag": etag(document)})


def idempotent(
    request_body: Any, key: str | None, principal: Principal, wired: ApiDeps, path: str, run: Callable[[], Response]
) -> Response:
    """Run a write once per (tenant, Idempotency-Key); a retry with the same request gets the stored answer."""
    if key is None:
        return run()
    if not _KEY.match(key):
        raise FieldError("Idempotency-Key", "1-255 visible ASCII characters")
    digest = hashlib.sha256(json.dumps([path, jsonable_encoder(request_body)], sort_keys=True).encode()).hexdigest()
    stored = wired.tenancy.requests.get(principal.tenant_id, key, wired.now())
    if stored is not None:
        if stored.request_hash != digest:
            raise ConflictError("this Idempotency-Key was used for another request")
        headers = {**stored.headers, "Idempotent-Replayed": "true"}
        if stored.body is None:
            return Response(status_code=stored.status, headers=headers)
        return JSONResponse(stored.body, status_code=stored.status, headers=headers)
    response = run()
    body = json.loads(bytes(response.body)) if response.body else None
    kept = {k: v for k, v in response.headers.items() if k.lower() in ("etag", "location")}
    answer = StoredResponse(digest, response.status_code, body, kept)
    wired.tenancy.requests.put(principal.tenant_id, key, answer, wired.now())
    return response
