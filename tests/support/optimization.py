"""Sweeps and recommendations written the way the planner writes them, for API tests."""

from __future__ import annotations

from cloudoptim.optimization.records import RECOMMENDATION_TTL_SECONDS, Recommendation, Sweep
from cloudoptim.optimization.state import update_state
from cloudoptim.optimization.sweeps import sweep_id
from cloudoptim.tenancy.ports import Documents


def planned_sweep(
    documents: Documents, tenant: str, cluster: str, now: int, savings: dict[str, float], cost: float = 10.0
) -> tuple[str, list[str]]:
    """A finished sweep of `cluster` with one open recommendation per kind in `savings` ($/h each)."""
    sweep = sweep_id(cluster, now)
    ids = []
    for index, (kind, saving) in enumerate(savings.items(), start=1):
        id = f"{sweep}.{index:03d}"
        recommendation = Recommendation(
            cluster=cluster, kind=kind, title=f"{kind} #{index}", current="2 nodes", recommended="1 node",
            projected_savings_per_hour=saving, cost_before_per_hour=cost / 2, reasons=[f"saves ${saving}/h"],
            sweep_id=sweep, discovery_run=f"{cluster}.run", expires_at=now + RECOMMENDATION_TTL_SECONDS,
        )  # fmt: skip
        documents.create(tenant, "recommendation", id, recommendation.model_dump(), now)
        ids.append(id)
    done = Sweep(cluster=cluster, status="planned", started_at=now, finished_at=now, recommendations=ids,
                 current_cost_per_hour=cost, projected_savings_per_hour=sum(savings.values()))  # fmt: skip
    documents.create(tenant, "sweep", sweep, done.model_dump(), now)
    update_state(documents, tenant, cluster, now, last_sweep=sweep, current_cost_per_hour=cost)
    return sweep, ids
