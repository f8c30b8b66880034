"""Executions: one per approved (or automatically approved) recommendation, run by the workflow of its kind;
started once (the execution's name is the recommendation's id and attempt), re-validated before anything moves."""

from __future__ import annotations

from cloudoptim.audit.log import AuditEntry
from cloudoptim.errors import NotFoundError
from cloudoptim.optimization.ports import OptimizationDeps
from cloudoptim.optimization.records import Execution, Recommendation
from cloudoptim.tenancy.ports import Document
from cloudoptim.tenancy.principal import Action, Principal
from cloudoptim.tenancy.tenants import safe_mode

EXECUTION = "execution"
RECOMMENDATION = "recommendation"


def get(deps: OptimizationDeps, principal: Principal, id: str) -> Document:
    principal.require(Action.READ)
    found = deps.documents.get(principal.tenant_id, EXECUTION, id)
    if found is None:
        raise NotFoundError(f"execution {id} not found")
    return found


def start(
    deps: OptimizationDeps, tenant: str, recommendation: Document, actor: str, now: int, dry_run: bool = False
) -> Document:
    """Record the execution, point the recommendation at it, start its workflow. Returns the recommendation."""
    chosen = Recommendation.model_validate(recommendation.body)
    attempt = 1 if chosen.execution_id is None else int(chosen.execution_id.rsplit(".x", 1)[-1]) + 1
    dry_run = dry_run or safe_mode(deps.documents, tenant)  # safe mode: every workflow runs dry
    execution_id = f"{recommendation.id}.x{attempt}"
    execution = Execution(
        cluster=chosen.cluster, recommendation_id=recommendation.id, kind=chosen.kind, started_at=now,
        started_by=actor, projected_savings_per_hour=chosen.projected_savings_per_hour, dry_run=dry_run,
    )  # fmt: skip
    deps.documents.create(tenant, EXECUTION, execution_id, execution.model_dump(), now)
    running = chosen.model_copy(update={"status": "executing", "execution_id": execution_id})
    body, version = running.model_dump(), recommendation.version
    stored = deps.documents.replace(tenant, RECOMMENDATION, recommendation.id, body, version, now)
    payload = {"tenant_id": tenant, "cluster": chosen.cluster, "recommendation_id": recommendation.id,
               "execution_id": execution_id, "kind": chosen.kind, "dry_run": dry_run}  # fmt: skip
    deps.workflows.start_execution(execution_id, payload)
    after = {"recommendation": recommendation.id, "kind": chosen.kind, "dry_run": dry_run}
    deps.audit.record(AuditEntry(
        tenant, f"execution.start#{execution_id}", actor, now, "execution.start",
        {"cluster": chosen.cluster, "recommendation": recommendation.id, "execution": execution_id}, None, after,
        "ok", (chosen.title,), dry_run,
    ))  # fmt: skip
    return stored
