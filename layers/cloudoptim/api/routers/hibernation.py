"""A cluster's hibernation: `GET` its schedule, state and recent sleeps and wakes, `PUT` the schedule (If-Match),
`POST` a manual wake-up for some hours."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse, Response

from cloudoptim.api.context import Caller, Deps, IdempotencyKey, IfMatch, idempotent, version_of, with_etag
from cloudoptim.api.problems import responses
from cloudoptim.api.schemas_jobs import HibernationView, ScheduleIn, ScheduleOut, WakeIn
from cloudoptim.hibernation import schedules
from cloudoptim.tenancy.ports import Document

router = APIRouter(tags=["hibernation"])
ClusterId = Annotated[str, Path(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,99}$", description="the EKS cluster name")]


@router.get(
    "/v1/clusters/{cluster_id}/hibernation",
    response_model=HibernationView,
    responses=responses(401, 403, 404, 422),
    summary="Schedule, state, what the cluster should be now, next transitions and recent sleeps and wakes",
)
def get_hibernation(cluster_id: ClusterId, principal: Caller, wired: Deps) -> JSONResponse:
    view = schedules.view(wired.tenancy, principal, cluster_id, wired.now())
    body = HibernationView.of(view).model_dump(mode="json")
    version = int(view["schedule_version"])
    return with_etag(body, Document("hibernation-schedule", cluster_id, {}, version, 0, 0))


@router.put(
    "/v1/clusters/{cluster_id}/hibernation/schedule",
    response_model=ScheduleOut,
    responses=responses(400, 401, 403, 404, 409, 412, 422, 428),
    summary='Replace the schedule; If-Match is required ("0" when there is none yet)',
)
def put_schedule(
    cluster_id: ClusterId,
    body: ScheduleIn,
    principal: Caller,
    wired: Deps,
    if_match: IfMatch = None,
    key: IdempotencyKey = None,
) -> Response:
    def run() -> Response:
        chosen = body.model_dump(mode="json")
        document = schedules.replace_schedule(
            wired.tenancy, principal, cluster_id, chosen, version_of(if_match), wired.now()
        )
        return with_etag(ScheduleOut.of(document), document)

    return idempotent(body, key, principal, wired, f"PUT /v1/clusters/{cluster_id}/hibernation/schedule", run)


@router.post(
    "/v1/clusters/{cluster_id}/hibernation/wake",
    response_model=HibernationView,
    responses=responses(400, 401, 403, 404, 409, 422),
    summary="Wake the cluster by hand for some hours (the next tick, within 5 minutes, starts the wake)",
)
def wake(cluster_id: ClusterId, body: WakeIn, principal: Caller, wired: Deps, key: IdempotencyKey = None) -> Response:
    def run() -> Response:
        schedules.wake(wired.tenancy, principal, cluster_id, body.hours, wired.now())
        view = schedules.view(wired.tenancy, principal, cluster_id, wired.now())
        return JSONResponse(HibernationView.of(view).model_dump(mode="json"))

    return idempotent(body, key, principal, wired, f"POST /v1/clusters/{cluster_id}/hibernation/wake", run)
