"""The sweep's planning step: the engines on the latest discovery (engines/sweep: rightsizing, consolidation on the
new requests, Spot, one ledger), turned into recommendations. Each ledger dollar lands in exactly one
recommendation, so the recommendations of a sweep add up to its projected savings and never to more than the
cluster costs. Recommendations of earlier sweeps still open for the cluster are superseded."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from cloudoptim.errors import NotFoundError
from cloudoptim.optimization.plans import recommendations_of
from cloudoptim.optimization.records import OPEN_STATUSES, RECOMMENDATION_TTL_SECONDS, Sweep
from cloudoptim.optimization.state import state_of, update_state
from cloudoptim.tenancy.policy import ClusterPolicy
from cloudoptim.tenancy.ports import Documents
from engines.rightsizing.registry import get_strategy
from engines.spot.model import PoolKey
from engines.spot.risk import get_strategy as get_risk
from engines.sweep.compose import SweepInputs, sweep
from engines.sweep.ledger import MICRO
from engines.sweep.policy import SweepPolicy

SWEEP, RECOMMENDATION, POLICY = "sweep", "recommendation", "policy"


class SweepInputSource(Protocol):
    """The engines' inputs for a discovery run: the cluster, prices, workloads, usage history, Spot offerings."""

    def inputs(
        self, tenant: str, cluster: Mapping[str, Any], run: str, flagged: Mapping[PoolKey, str], now: int
    ) -> SweepInputs: ...
    def owners(self) -> frozenset[tuple[str, str, str]]:
        """(kind, namespace, name) of the controllers the snapshot of the last `inputs` call held: only those are
        patched (a kind the cluster did not serve cannot be read back before a patch, nor rolled back)."""
        ...


class FlaggedPools(Protocol):
    """Pools no consolidation may send pods to: the hive mind's live flags in a region (pool -> why)."""

    def flagged(self, region: str, zone_names: Mapping[str, str], now: int) -> Mapping[PoolKey, str]:
        """`zone_names`: AZ ID -> the zone name the cluster's nodes carry (flags are keyed by AZ ID)."""
        ...


@dataclass(frozen=True)
class PlanDeps:
    documents: Documents
    inputs: SweepInputSource
    hive: FlaggedPools


def sweep_policy(policy: ClusterPolicy) -> SweepPolicy:
    """The engines' policy from the cluster's (spec P4): exclusions, minimum savings, the Spot risk limit."""
    base = SweepPolicy()
    consolidation = base.consolidation.model_copy(update={
        "excluded_namespaces": tuple(policy.exclusions.namespaces),
        "min_savings_per_hour": policy.consolidation.min_savings_per_action,
        "min_savings_share": policy.consolidation.min_savings_share,
        "replacement_families": tuple(policy.node_templates.allowed_families),
    })  # fmt: skip
    spot = base.spot.model_copy(update={
        "max_risk": policy.spot.max_risk, "max_pool_share": policy.spot.max_pool_share,
        "min_on_demand_share": policy.spot.on_demand_share,
    })  # fmt: skip
    return base.model_copy(update={"consolidation": consolidation, "spot": spot})


def plan(deps: PlanDeps, tenant: str, cluster: str, sweep_id: str, now: int) -> Sweep:
    found = deps.documents.get(tenant, SWEEP, sweep_id)
    cluster_doc = deps.documents.get(tenant, "cluster", cluster)
    if found is None or cluster_doc is None:
        raise NotFoundError(f"sweep {sweep_id} of cluster {cluster} not found")
    current = Sweep.model_validate(found.body)
    if current.status != "running":
        return current  # a retried step: planned already
    state = state_of(deps.documents, tenant, cluster)
    run = str((state.body if state else {}).get("discovery_run") or "")
    if not run:
        raise NotFoundError(f"cluster {cluster} has no discovery yet")
    policy_doc = deps.documents.get(tenant, POLICY, cluster)
    policy = ClusterPolicy.model_validate(policy_doc.body) if policy_doc else ClusterPolicy()
    zones = {az_id: name for group in (cluster_doc.body.get("node_groups") or {}).values()
             for name, az_id in ((group or {}).get("az_ids") or {}).items()}  # fmt: skip
    flagged = deps.hive.flagged(str(cluster_doc.body.get("region", "")), zones, now)
    inputs = deps.inputs.inputs(tenant, cluster_doc.body, run, flagged, now)
    chosen = sweep_policy(policy)
    result = sweep(inputs, chosen, get_strategy(chosen.rightsize.strategy, chosen.rightsize.strategy_settings),
                   get_risk())  # fmt: skip
    made = recommendations_of(result, inputs, cluster, sweep_id, run, now, now + RECOMMENDATION_TTL_SECONDS,
                              deps.inputs.owners(), frozenset(policy.exclusions.namespaces))  # fmt: skip
    _supersede(deps.documents, tenant, cluster, sweep_id, now)
    ids = []
    for number, recommendation in enumerate(made):
        id = f"{sweep_id}.{number:03d}"
        if deps.documents.get(tenant, RECOMMENDATION, id) is None:
            deps.documents.create(tenant, RECOMMENDATION, id, recommendation.model_dump(), now)
        ids.append(id)
    by_kind: dict[str, float] = {}
    for recommendation in made:
        by_kind[recommendation.kind] = round(
            by_kind.get(recommendation.kind, 0.0) + recommendation.projected_savings_per_hour, 6
        )
    planned = current.model_copy(update={
        "status": "planned", "finished_at": now, "discovery_run": run, "recommendations": ids,
        "current_cost_per_hour": result.ledger.cost_before_micro / MICRO,
        "projected_savings_per_hour": round(sum(by_kind.values()), 6), "by_kind": by_kind,
        "reasons": [*result.reasons, *result.problems][:40],
    })  # fmt: skip
    deps.documents.replace(tenant, SWEEP, sweep_id, planned.model_dump(), found.version, now)
    update_state(deps.documents, tenant, cluster, now, current_cost_per_hour=planned.current_cost_per_hour,
                 planned_sweep=sweep_id)  # fmt: skip
    return planned


def _supersede(documents: Documents, tenant: str, cluster: str, sweep_id: str, now: int) -> None:
    """Open recommendations of the cluster's earlier sweeps: a newer plan replaces them (ids sort by time)."""
    cursor: str | None = None
    while True:
        page = documents.list(tenant, RECOMMENDATION, 100, cursor, prefix=f"{cluster}.")
        for item in page.items:
            if item.id < sweep_id and item.body.get("status") in OPEN_STATUSES - {"approved"}:
                documents.replace(tenant, RECOMMENDATION, item.id, {**item.body, "status": "superseded",
                                  "decision_reason": f"superseded by sweep {sweep_id}"}, item.version, now)  # fmt: skip
        if page.cursor is None:
            return
        cursor = page.cursor
