"""The savings ledger (spec P5): current spend, projected and realised savings, per capability, one formula.

Each dollar belongs to one recommendation: the sweep composes workload rightsizing, then consolidation on the new
requests, then Spot for the nodes left, and gives each step only what it adds over the steps before it, so the
projected total never exceeds the current cost (engines/sweep). Realised savings are measured: the price of the
nodes an execution removed less the price of those it launched, after the execution."""

from __future__ import annotations

from dataclasses import dataclass, field

from cloudoptim.optimization.ports import OptimizationDeps
from cloudoptim.optimization.recommendations import RECOMMENDATION, effective_status, parsed
from cloudoptim.optimization.records import KINDS, Sweep
from cloudoptim.optimization.state import state_of
from cloudoptim.optimization.sweeps import latest_sweep
from cloudoptim.tenancy.principal import Action, Principal

PROJECTED = frozenset({"open", "approved", "executing", "needs_gitops"})
FORMULA = (
    "current = the hourly price of every node of each cluster's latest discovery (Spot at the pool's price, "
    "On-Demand at list price); projected = the sum, over the latest sweep's open, approved and running "
    "recommendations, of each one's exclusive saving (workload rightsizing, then consolidation and node "
    "rightsizing on the new requests, then Spot; each counted once, so projected <= current); realised = the sum, "
    "over executions that succeeded and were not rolled back, of the price of the nodes removed less the price "
    "of the nodes launched, measured after the execution, each node dollar once: a consolidation or node "
    "rightsizing credits first the workload rightsizing whose freed requests it removed (what those patches' "
    "guards priced), the rest to itself. $/month = $/h x 730."
)


@dataclass
class Totals:
    current_cost_per_hour: float = 0.0
    projected_savings_per_hour: float = 0.0
    realised_savings_per_hour: float = 0.0
    by_capability: dict[str, dict[str, float]] = field(
        default_factory=lambda: {
            k: {"projected_savings_per_hour": 0.0, "realised_savings_per_hour": 0.0, "recommendations": 0.0}
            for k in KINDS
        }
    )


def totals(deps: OptimizationDeps, principal: Principal, cluster: str | None, now: int) -> Totals:
    principal.require(Action.READ)
    tenant = principal.tenant_id
    result = Totals()
    for name in _clusters(deps, tenant, cluster):
        state = state_of(deps.documents, tenant, name)
        if state is None:
            continue
        for kind, saving in dict(state.body.get("realised", {})).items():
            result.by_capability[kind]["realised_savings_per_hour"] += float(saving)
        latest = latest_sweep(deps, tenant, name)
        if latest is None:
            continue
        sweep = Sweep.model_validate(latest.body)
        result.current_cost_per_hour += sweep.current_cost_per_hour or 0.0
        for id in sweep.recommendations:
            document = deps.documents.get(tenant, RECOMMENDATION, id)
            if document is None:
                continue
            recommendation = parsed(document)
            if effective_status(recommendation, now) in PROJECTED:
                line = result.by_capability[recommendation.kind]
                line["projected_savings_per_hour"] += recommendation.projected_savings_per_hour
                line["recommendations"] += 1
    result.projected_savings_per_hour = sum(v["projected_savings_per_hour"] for v in result.by_capability.values())
    result.realised_savings_per_hour = sum(v["realised_savings_per_hour"] for v in result.by_capability.values())
    return result


def _clusters(deps: OptimizationDeps, tenant: str, cluster: str | None) -> list[str]:
    if cluster is not None:
        return [cluster] if deps.documents.get(tenant, "cluster", cluster) else []
    names, cursor = [], None
    while True:
        page = deps.documents.list(tenant, "cluster", 500, cursor)
        names += [d.id for d in page.items]
        cursor = page.cursor
        if cursor is None:
            return names
