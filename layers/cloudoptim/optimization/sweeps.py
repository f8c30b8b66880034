"""Starting an optimize sweep (scheduled, from the console, or `POST /v1/clusters/{id}/sweeps`) and reading it."""

from __future__ import annotations

from cloudoptim.audit.log import AuditEntry
from cloudoptim.errors import ConflictError, NotFoundError
from cloudoptim.optimization.ports import OptimizationDeps
from cloudoptim.optimization.records import Sweep
from cloudoptim.optimization.state import stamp, state_of, update_state
from cloudoptim.tenancy.ports import Document
from cloudoptim.tenancy.principal import Action, Principal
from cloudoptim.tenancy.tenants import safe_mode

SWEEP = "sweep"
CLUSTER = "cluster"
RUNNING_FOR_AT_MOST = 3600  # a sweep still "running" after an hour failed without saying so: another may start


def sweep_id(cluster: str, now: int) -> str:
    return f"{cluster}.{stamp(now)}"


def start(deps: OptimizationDeps, tenant: str, cluster: str, actor: str, now: int) -> Document:
    """A new sweep of one cluster (one at a time per cluster); its state machine does the rest."""
    if deps.documents.get(tenant, CLUSTER, cluster) is None:
        raise NotFoundError(f"cluster {cluster} not found")
    latest = latest_sweep(deps, tenant, cluster)
    if latest is not None:
        running = Sweep.model_validate(latest.body)
        if running.status == "running" and now - running.started_at < RUNNING_FOR_AT_MOST:
            raise ConflictError(f"sweep {latest.id} of cluster {cluster} is still running")
    id = sweep_id(cluster, now)
    sweep = Sweep(cluster=cluster, started_at=now, dry_run=safe_mode(deps.documents, tenant))
    created = deps.documents.create(tenant, SWEEP, id, sweep.model_dump(), now)
    update_state(deps.documents, tenant, cluster, now, last_sweep=id)
    deps.workflows.start_sweep(id, {"tenant_id": tenant, "cluster": cluster, "sweep_id": id})
    deps.audit.record(AuditEntry(
        tenant, f"sweep.start#{id}", actor, now, "sweep.start", {"cluster": cluster, "sweep": id}, None,
        {"cluster": cluster, "dry_run": sweep.dry_run}, "ok", (), sweep.dry_run,
    ))  # fmt: skip
    return created


def start_by(deps: OptimizationDeps, principal: Principal, cluster: str, now: int) -> Document:
    principal.require(Action.ACT)
    return start(deps, principal.tenant_id, cluster, principal.actor, now)


def get(deps: OptimizationDeps, principal: Principal, id: str) -> Document:
    principal.require(Action.READ)
    found = deps.documents.get(principal.tenant_id, SWEEP, id)
    if found is None:
        raise NotFoundError(f"sweep {id} not found")
    return found


def latest_sweep(deps: OptimizationDeps, tenant: str, cluster: str) -> Document | None:
    state = state_of(deps.documents, tenant, cluster)
    last = state.body.get("last_sweep") if state else None
    return deps.documents.get(tenant, SWEEP, str(last)) if last else None
