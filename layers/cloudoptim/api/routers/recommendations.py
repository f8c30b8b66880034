"""Recommendations: list (filters), read, approve (an execution starts), reject. Deciding is operator or admin."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse, Response

from cloudoptim.api.context import Caller, Deps, IdempotencyKey, IfMatch, idempotent, version_of, with_etag
from cloudoptim.api.problems import responses
from cloudoptim.api.schemas import Page, RecommendationOut, RejectIn, Versioned, iso
from cloudoptim.optimization import recommendations
from cloudoptim.optimization.recommendations import RecommendationFilter, effective_status, parsed
from cloudoptim.tenancy.ports import Document

router = APIRouter(tags=["recommendations"])
RecommendationId = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")]
HOURS_PER_MONTH = 730


def out(document: Document, now: int) -> RecommendationOut:
    chosen = parsed(document)
    return RecommendationOut(
        id=document.id, cluster=chosen.cluster, kind=chosen.kind, status=effective_status(chosen, now),
        title=chosen.title, current=chosen.current, recommended=chosen.recommended,
        projected_savings_per_hour=round(chosen.projected_savings_per_hour, 6),
        projected_savings_per_month=round(chosen.projected_savings_per_hour * HOURS_PER_MONTH, 2),
        cost_before_per_hour=chosen.cost_before_per_hour, reasons=chosen.reasons, patch=chosen.patch,
        gitops_owner=chosen.gitops_owner, sweep_id=chosen.sweep_id, expires_at=iso(chosen.expires_at),
        approved_by=chosen.approved_by, decided_by=chosen.decided_by, decision_reason=chosen.decision_reason,
        execution_id=chosen.execution_id, realised_savings_per_hour=chosen.realised_savings_per_hour,
        outcome=chosen.outcome, actions=chosen.actions, **Versioned.stamps(document),
    )  # fmt: skip


@router.get("/v1/recommendations", response_model=Page[RecommendationOut], responses=responses(401, 403, 422))
def list_recommendations(
    principal: Caller,
    wired: Deps,
    cluster: Annotated[str | None, Query(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,99}$")] = None,
    kind: Annotated[
        str | None, Query(pattern=r"^(consolidation|node_rightsizing|workload_rightsizing|spot|oom)$")
    ] = None,
    status: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
) -> Page[RecommendationOut]:
    now = wired.now()
    chosen = RecommendationFilter(cluster=cluster, kind=kind, status=status)
    found, next_cursor = recommendations.listed(wired.optimization, principal, chosen, limit, cursor, now)
    return Page[RecommendationOut](items=[out(d, now) for d in found], next_cursor=next_cursor)


@router.get(
    "/v1/recommendations/{recommendation_id}", response_model=RecommendationOut, responses=responses(401, 403, 404, 422)
)
def get_recommendation(recommendation_id: RecommendationId, principal: Caller, wired: Deps) -> JSONResponse:
    document = recommendations.get(wired.optimization, principal, recommendation_id)
    return with_etag(out(document, wired.now()), document)


@router.post(
    "/v1/recommendations/{recommendation_id}/approve",
    response_model=RecommendationOut,
    responses=responses(401, 403, 404, 409, 412, 422),
    summary="Approve: the plan is re-validated against fresh state, then executed (dry in safe mode)",
)
def approve(
    recommendation_id: RecommendationId, principal: Caller, wired: Deps, if_match: IfMatch = None,
    key: IdempotencyKey = None,
) -> Response:  # fmt: skip
    def run() -> Response:
        now = wired.now()
        document = recommendations.approve(wired.optimization, principal, recommendation_id, version_of(if_match), now)
        return with_etag(out(document, now), document)

    return idempotent({}, key, principal, wired, f"POST /v1/recommendations/{recommendation_id}/approve", run)


@router.post(
    "/v1/recommendations/{recommendation_id}/reject",
    response_model=RecommendationOut,
    responses=responses(400, 401, 403, 404, 409, 412, 422),
)
def reject(
    recommendation_id: RecommendationId, principal: Caller, wired: Deps, body: RejectIn | None = None,
    if_match: IfMatch = None, key: IdempotencyKey = None,
) -> Response:  # fmt: skip
    reason = body.reason if body else None

    def run() -> Response:
        now = wired.now()
        document = recommendations.reject(
            wired.optimization, principal, recommendation_id, reason, version_of(if_match), now
        )
        return with_etag(out(document, now), document)

    return idempotent(
        {"reason": reason}, key, principal, wired, f"POST /v1/recommendations/{recommendation_id}/reject", run
    )
