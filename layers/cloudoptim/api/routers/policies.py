"""A cluster's policy: `GET` (the default until saved) and `PUT` under If-Match (admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse, Response

from cloudoptim.api.context import Caller, Deps, IdempotencyKey, IfMatch, idempotent, version_of, with_etag
from cloudoptim.api.problems import responses
from cloudoptim.api.schemas import Policy
from cloudoptim.tenancy import policies
from cloudoptim.tenancy.policy import ClusterPolicy

router = APIRouter(tags=["policies"])
ClusterId = Annotated[str, Path(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,99}$")]


@router.get("/v1/clusters/{cluster_id}/policy", response_model=Policy, responses=responses(401, 403, 404, 422))
def get_policy(cluster_id: ClusterId, principal: Caller, wired: Deps) -> JSONResponse:
    document = policies.get(wired.tenancy, principal, cluster_id)
    return with_etag(Policy.of(document), document)


@router.put(
    "/v1/clusters/{cluster_id}/policy",
    response_model=Policy,
    responses=responses(400, 401, 403, 404, 409, 412, 422, 428),
    summary='Replace the policy; If-Match is required ("0" while the default is in force)',
)
def put_policy(
    cluster_id: ClusterId,
    body: ClusterPolicy,
    principal: Caller,
    wired: Deps,
    if_match: IfMatch = None,
    key: IdempotencyKey = None,
) -> Response:
    def run() -> Response:
        chosen = body.model_dump(mode="json")
        document = policies.replace(wired.tenancy, principal, cluster_id, chosen, version_of(if_match), wired.now())
        return with_etag(Policy.of(document), document)

    return idempotent(body, key, principal, wired, f"PUT /v1/clusters/{cluster_id}/policy", run)
