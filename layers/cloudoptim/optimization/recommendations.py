"""Recommendations: read with filters, approve (then an execution starts, after re-validation), reject. A decision
is the caller's role's to make (operator or admin), audited, and only on an open, unexpired recommendation."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from cloudoptim.audit.log import AuditEntry
from cloudoptim.errors import ConflictError, NotFoundError
from cloudoptim.optimization import executions
from cloudoptim.optimization.ports import OptimizationDeps
from cloudoptim.optimization.records import APPROVAL_TTL_SECONDS, DECIDABLE, Recommendation
from cloudoptim.tenancy.ports import Document, cursor_after
from cloudoptim.tenancy.principal import Action, Principal

RECOMMENDATION = "recommendation"
SCAN_LIMIT = 1000  # a tenant's recommendations are read a page at a time, never scanned across tenants


@dataclass(frozen=True)
class RecommendationFilter:
    cluster: str | None = None
    kind: str | None = None
    status: str | None = None

    def matches(self, recommendation: Recommendation, now: int) -> bool:
        return (
            (self.cluster is None or recommendation.cluster == self.cluster)
            and (self.kind is None or recommendation.kind == self.kind)
            and (self.status is None or effective_status(recommendation, now) == self.status)
        )


def effective_status(recommendation: Recommendation, now: int) -> str:
    """An undecided recommendation past its expiry is expired, whether or not a job has written it so."""
    if recommendation.status in DECIDABLE and now >= recommendation.expires_at:
        return "expired"
    if recommendation.status == "approved" and (recommendation.approval_expires_at or now + 1) <= now:
        return "expired"
    return recommendation.status


def parsed(document: Document) -> Recommendation:
    return Recommendation.model_validate(document.body)


def get(deps: OptimizationDeps, principal: Principal, id: str) -> Document:
    principal.require(Action.READ)
    found = deps.documents.get(principal.tenant_id, RECOMMENDATION, id)
    if found is None:
        raise NotFoundError(f"recommendation {id} not found")
    return found


def listed(
    deps: OptimizationDeps, principal: Principal, chosen: RecommendationFilter, limit: int, cursor: str | None, now: int
) -> tuple[list[Document], str | None]:
    """A filtered page; the cursor continues after the last recommendation returned."""
    principal.require(Action.READ)
    found: list[Document] = []
    while True:
        page = deps.documents.list(principal.tenant_id, RECOMMENDATION, SCAN_LIMIT, cursor)
        for document in page.items:
            if chosen.matches(parsed(document), now):
                found.append(document)
                if len(found) == limit:
                    more = document.id != page.items[-1].id or page.cursor is not None
                    return found, cursor_after(document.id, f"{principal.tenant_id}/{RECOMMENDATION}") if more else None
        cursor = page.cursor
        if cursor is None:
            return found, None


def approve(deps: OptimizationDeps, principal: Principal, id: str, if_match: int | None, now: int) -> Document:
    principal.require(Action.ACT)
    current = get(deps, principal, id)
    recommendation = parsed(current)
    _decidable(recommendation, id, now)
    if recommendation.status == "needs_gitops":
        raise ConflictError(f"recommendation {id}: its owner is managed by GitOps; apply the patch in its repository")
    approved = recommendation.model_copy(
        update={"status": "approved", "approved_by": principal.actor, "decided_by": principal.actor,
                "approval_expires_at": now + APPROVAL_TTL_SECONDS}
    )  # fmt: skip
    version = current.version if if_match is None else if_match
    stored = deps.documents.replace(principal.tenant_id, RECOMMENDATION, id, approved.model_dump(), version, now)
    _audit(deps, principal, "recommendation.approve", id, recommendation, approved, now)
    return executions.start(deps, principal.tenant_id, stored, principal.actor, now)


def reject(
    deps: OptimizationDeps, principal: Principal, id: str, reason: str | None, if_match: int | None, now: int
) -> Document:
    principal.require(Action.ACT)
    current = get(deps, principal, id)
    recommendation = parsed(current)
    _decidable(recommendation, id, now)
    rejected = recommendation.model_copy(
        update={"status": "rejected", "decided_by": principal.actor, "decision_reason": reason}
    )
    version = current.version if if_match is None else if_match
    stored = deps.documents.replace(principal.tenant_id, RECOMMENDATION, id, rejected.model_dump(), version, now)
    _audit(deps, principal, "recommendation.reject", id, recommendation, rejected, now)
    return stored


def _decidable(recommendation: Recommendation, id: str, now: int) -> None:
    status = effective_status(recommendation, now)
    if recommendation.status not in DECIDABLE or status == "expired":
        raise ConflictError(f"recommendation {id} is {status}: only an open one can be decided")


def _audit(
    deps: OptimizationDeps, principal: Principal, action: str, id: str, before: Recommendation,
    after: Recommendation, now: int,
) -> None:  # fmt: skip
    keep = ("status", "decided_by", "decision_reason", "approval_expires_at")
    # A person's decision is never retried by a workflow (Idempotency-Key covers API retries): a fresh action id.
    deps.audit.record(AuditEntry(
        principal.tenant_id, f"api-{uuid.uuid4()}", principal.actor, now, action,
        {"cluster": after.cluster, "recommendation": id}, {k: getattr(before, k) for k in keep},
        {k: getattr(after, k) for k in keep}, "ok", (f"{after.kind} in cluster {after.cluster}: {after.title}",),
        False,
    ))  # fmt: skip
