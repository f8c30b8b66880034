"""The Sweep state machine's steps (statemachines/sweep.asl.json routes, these decide): discover, sample, plan,
decide (start what the policy lets run on its own), failed. State: {"tenant_id","cluster","sweep_id"} plus what
each step adds. Every step is safe to retry: the run id, the sweep's status and the execution names make a repeat
find its own work done."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cloudoptim.optimization import executions
from cloudoptim.optimization.discover import DiscoveryDeps, discover, sample_usage
from cloudoptim.optimization.ports import OptimizationDeps
from cloudoptim.optimization.records import Recommendation, Sweep
from cloudoptim.optimization.sweep_plan import PlanDeps, plan
from cloudoptim.tenancy.policy import ClusterPolicy

State = dict[str, Any]
ACTOR = "cloudoptim:sweep"
ORDER = {"oom": 0, "workload_rightsizing": 1, "spot": 2, "node_rightsizing": 3, "consolidation": 4}
LEVELS = {"consolidation": "consolidation", "node_rightsizing": "node_rightsizing", "spot": "spot",
          "workload_rightsizing": "workload_rightsizing", "oom": "oom_remediation"}  # fmt: skip


@dataclass(frozen=True)
class SweepDeps:
    optimization: OptimizationDeps
    discovery: DiscoveryDeps
    planning: PlanDeps


def _discover(deps: SweepDeps, state: State, now: int) -> State:
    found = discover(deps.discovery, state["tenant_id"], state["cluster"], now)
    return {**state, "discovery_run": found.run, "nodes": found.nodes, "pods": found.pods}


def _sample(deps: SweepDeps, state: State, now: int) -> State:
    return {**state, "usage_hours": sample_usage(deps.discovery, state["tenant_id"], state["cluster"], now)}


def _plan(deps: SweepDeps, state: State, now: int) -> State:
    planned = plan(deps.planning, state["tenant_id"], state["cluster"], state["sweep_id"], now)
    return {**state, "recommendations": len(planned.recommendations),
            "projected_savings_per_hour": planned.projected_savings_per_hour}  # fmt: skip


def _decide(deps: SweepDeps, state: State, now: int) -> State:
    """Start the recommendations whose capability the policy runs `automatic`, inside a maintenance window and
    within the disruption budget (nodes touched); the others wait for a person."""
    docs, tenant, cluster = deps.optimization.documents, state["tenant_id"], state["cluster"]
    found = docs.get(tenant, "sweep", state["sweep_id"])
    policy_doc = docs.get(tenant, "policy", cluster)
    policy = ClusterPolicy.model_validate(policy_doc.body) if policy_doc else ClusterPolicy()
    if found is None:
        return {**state, "automatic": []}
    sweep = Sweep.model_validate(found.body)
    if sweep.automatic or not policy.windows_open_at(now):
        return {**state, "automatic": sweep.automatic}
    budget = _node_budget(policy, int(state.get("nodes") or 0))
    started: list[str] = []
    found_all = [(id, d) for id in sweep.recommendations if (d := docs.get(tenant, "recommendation", id)) is not None]
    # workloads first: the consolidation was planned on their new requests
    for id, document in sorted(found_all, key=lambda pair: (ORDER.get(str(pair[1].body.get("kind")), 9), pair[0])):
        recommendation = Recommendation.model_validate(document.body)
        level = getattr(policy.automation, LEVELS[recommendation.kind])
        touched = sum(len(a.get("nodes") or []) for a in recommendation.actions)
        if level != "automatic" or recommendation.status != "open" or touched > budget:
            continue
        executions.start(deps.optimization, tenant, document, ACTOR, now, dry_run=sweep.dry_run)
        budget -= touched
        started.append(id)
    docs.replace(tenant, "sweep", found.id, {**found.body, "automatic": started}, found.version, now)
    return {**state, "automatic": started}


def _node_budget(policy: ClusterPolicy, nodes: int) -> int:
    limit = policy.disruption_budget.max_nodes
    if isinstance(limit, str):
        return max(1, nodes * int(limit.rstrip("%")) // 100)
    return limit


def _failed(deps: SweepDeps, state: State, now: int) -> State:
    docs, tenant = deps.optimization.documents, state["tenant_id"]
    found = docs.get(tenant, "sweep", state["sweep_id"])
    error = state.get("error") or {}
    if found is not None and found.body.get("status") == "running":
        body = {**found.body, "status": "failed", "finished_at": now,
                "reasons": [f"{error.get('Error', 'error')}: {str(error.get('Cause', ''))[:500]}"]}  # fmt: skip
        docs.replace(tenant, "sweep", found.id, body, found.version, now)
    return {**state, "failed": True}


STEPS: dict[str, Callable[[SweepDeps, State, int], State]] = {
    "discover": _discover, "sample": _sample, "plan": _plan, "decide": _decide, "failed": _failed,
}  # fmt: skip


def run_step(step: str, deps: SweepDeps, state: State, now: int) -> State:
    if step not in STEPS:
        raise ValueError(f"unknown sweep step {step!r} (known: {', '.join(STEPS)})")
    return STEPS[step](deps, state, now)
