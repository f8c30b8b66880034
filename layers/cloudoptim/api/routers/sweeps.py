"""Sweeps and executions: start a cluster's optimize sweep now, read a sweep, read an execution."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse, Response

from cloudoptim.api.context import Caller, Deps, IdempotencyKey, idempotent, with_etag
from cloudoptim.api.problems import responses
from cloudoptim.api.schemas import ExecutionOut, SweepOut, Versioned, iso
from cloudoptim.optimization import executions, sweeps
from cloudoptim.optimization.records import Execution, Sweep
from cloudoptim.tenancy.ports import Document

router = APIRouter(tags=["sweeps"])
ClusterId = Annotated[str, Path(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,99}$")]
RecordId = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")]


def sweep_out(document: Document) -> SweepOut:
    sweep = Sweep.model_validate(document.body)
    body = sweep.model_dump()
    body.update(started_at=iso(sweep.started_at), finished_at=iso(sweep.finished_at))
    return SweepOut(id=document.id, **body, **Versioned.stamps(document))


def execution_out(document: Document) -> ExecutionOut:
    execution = Execution.model_validate(document.body)
    body = execution.model_dump()
    body.update(started_at=iso(execution.started_at), finished_at=iso(execution.finished_at))
    return ExecutionOut(id=document.id, **body, **Versioned.stamps(document))


@router.post(
    "/v1/clusters/{cluster_id}/sweeps",
    status_code=202,
    response_model=SweepOut,
    responses=responses(401, 403, 404, 409, 422),
    summary="Start the cluster's optimize sweep now: discovery, engines, recommendations (automatic ones run)",
)
def start_sweep(cluster_id: ClusterId, principal: Caller, wired: Deps, key: IdempotencyKey = None) -> Response:
    def run() -> Response:
        document = sweeps.start_by(wired.optimization, principal, cluster_id, wired.now())
        response = with_etag(sweep_out(document), document, status=202)
        response.headers["Location"] = f"/v1/sweeps/{document.id}"
        return response

    return idempotent({}, key, principal, wired, f"POST /v1/clusters/{cluster_id}/sweeps", run)


@router.get("/v1/sweeps/{sweep_id}", response_model=SweepOut, responses=responses(401, 403, 404, 422))
def get_sweep(sweep_id: RecordId, principal: Caller, wired: Deps) -> JSONResponse:
    document = sweeps.get(wired.optimization, principal, sweep_id)
    return with_etag(sweep_out(document), document)


@router.get("/v1/executions/{execution_id}", response_model=ExecutionOut, responses=responses(401, 403, 404, 422))
def get_execution(execution_id: RecordId, principal: Caller, wired: Deps) -> JSONResponse:
    document = executions.get(wired.optimization, principal, execution_id)
    return with_etag(execution_out(document), document)
