"""EKS clusters: register, list, read, check connectivity, the RBAC manifest to apply, remove."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from cloudoptim.api.context import Caller, Deps, IdempotencyKey, IfMatch, idempotent, version_of, with_etag
from cloudoptim.api.problems import content, responses
from cloudoptim.api.schemas import Cluster, ClusterIn, Page
from cloudoptim.tenancy import clusters, rbac

router = APIRouter(tags=["clusters"])
ClusterId = Annotated[str, Path(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,99}$", description="the EKS cluster name")]
Limit = Annotated[int, Query(ge=1, le=500)]
Cursor = Annotated[str | None, Query(max_length=2048)]


@router.post("/v1/clusters", status_code=201, response_model=Cluster, responses=responses(400, 401, 403, 409, 422))
def create_cluster(body: ClusterIn, principal: Caller, wired: Deps, key: IdempotencyKey = None) -> Response:
    def run() -> Response:
        document = clusters.create(
            wired.tenancy, principal, body.account_id, body.name, body.region, body.credentials, body.token,
            wired.now(),
        )  # fmt: skip
        response = with_etag(Cluster.of(document), document, status=201)
        response.headers["Location"] = f"/v1/clusters/{document.id}"
        return response

    # the token is write-only: it never enters the stored replay
    return idempotent(body.model_dump(exclude={"token"}), key, principal, wired, "POST /v1/clusters", run)


@router.get("/v1/clusters", response_model=Page[Cluster], responses=responses(401, 403, 422))
def list_clusters(principal: Caller, wired: Deps, limit: Limit = 50, cursor: Cursor = None) -> Page[Cluster]:
    page = clusters.listed(wired.tenancy, principal, limit, cursor)
    return Page[Cluster](items=[Cluster.of(d) for d in page.items], next_cursor=page.cursor)


@router.get("/v1/clusters/{cluster_id}", response_model=Cluster, responses=responses(401, 403, 404, 422))
def get_cluster(cluster_id: ClusterId, principal: Caller, wired: Deps) -> JSONResponse:
    document = clusters.get(wired.tenancy, principal, cluster_id)
    return with_etag(Cluster.of(document), document)


@router.post(
    "/v1/clusters/{cluster_id}/check",
    response_model=Cluster,
    responses=responses(401, 403, 404, 409, 412, 422),
    summary="Describe the cluster through the account's role and call its API",
)
def check_cluster(cluster_id: ClusterId, principal: Caller, wired: Deps, key: IdempotencyKey = None) -> Response:
    def run() -> Response:
        document = clusters.check(wired.tenancy, principal, cluster_id, wired.now())
        return with_etag(Cluster.of(document), document)

    return idempotent({}, key, principal, wired, f"POST /v1/clusters/{cluster_id}/check", run)


@router.get(
    "/v1/clusters/{cluster_id}/rbac",
    response_class=PlainTextResponse,
    responses={**content("application/yaml", "kubectl apply -f -"), **responses(401, 403, 404, 422)},
    summary="The Kubernetes RBAC CloudOptim needs in this cluster, nothing more",
)
def get_rbac(cluster_id: ClusterId, principal: Caller, wired: Deps) -> Response:
    document = clusters.get(wired.tenancy, principal, cluster_id)
    kind = document.body["credentials"]["kind"]
    return Response(rbac.manifest(kind), media_type="application/yaml")


@router.delete("/v1/clusters/{cluster_id}", status_code=204, responses=responses(401, 403, 404, 409, 412, 422))
def delete_cluster(cluster_id: ClusterId, principal: Caller, wired: Deps, if_match: IfMatch = None) -> Response:
    clusters.delete(wired.tenancy, principal, cluster_id, version_of(if_match), wired.now())
    return Response(status_code=204)
