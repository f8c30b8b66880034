"""The proactive rebalancing's tenant-side stores over the tenancy documents: each cluster's policy (the default
until one is saved) and the recommendation a `recommend` policy gets, as a `spot` recommendation the API lists."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cloudoptim.errors import ConflictError
from cloudoptim.optimization.recommendations import RECOMMENDATION
from cloudoptim.optimization.records import Recommendation
from cloudoptim.tenancy.policies import POLICY
from cloudoptim.tenancy.policy import ClusterPolicy
from cloudoptim.tenancy.ports import Documents
from cloudoptim.tenancy.tenants import safe_mode

HIVE_SWEEP_ID = "hive-mind"  # not a sweep's: the recommendation came from the hive mind's escalation
FALLBACK_TTL_SECONDS = 3600


class DocumentPolicies:
    def __init__(self, documents: Documents) -> None:
        self._documents = documents

    def policy(self, tenant_id: str, cluster: str) -> ClusterPolicy:
        found = self._documents.get(tenant_id, POLICY, cluster)
        return ClusterPolicy.model_validate(found.body) if found else ClusterPolicy()

    def safe_mode(self, tenant_id: str) -> bool:
        return safe_mode(self._documents, tenant_id)


class DocumentRecommendations:
    """One recommendation document per key; the id is the key, so a duplicate escalation writes nothing new."""

    def __init__(self, documents: Documents) -> None:
        self._documents = documents

    def recommend(self, tenant_id: str, key: str, body: Mapping[str, object], now: int) -> bool:
        recommendation = as_recommendation(body, now)
        try:
            self._documents.create(tenant_id, RECOMMENDATION, key, recommendation.model_dump(mode="json"), now)
        except ConflictError:
            return False
        return True


def as_recommendation(body: Mapping[str, Any], now: int) -> Recommendation:
    """The rebalance use case's body (pool, level, evidence as counts, the nodes with their reasons) as a `spot`
    recommendation; it expires with the level (when the first counted customer leaves the 60-minute window)."""
    evidence = dict(body.get("evidence") or {})
    nodes: Sequence[Mapping[str, Any]] = list(body.get("nodes") or [])
    pool = str(body["pool"])
    region, az_id, instance_type = pool.split("#", 2)
    expires = evidence.get("level_expires_at")
    count = len(nodes)
    return Recommendation(
        cluster=str(body["cluster"]),
        kind="spot",
        title=f"replace then drain {count} node(s) in the risky Spot pool {instance_type} {az_id}",
        current=f"{count} Spot node(s) of {instance_type} in {az_id} ({region}), a pool other customers were "
        "just interrupted in",
        recommended="launch each node's replacement in another pool, then cordon and drain it",
        projected_savings_per_hour=0.0,
        reasons=[
            f"{pool} is {body.get('level')}: {evidence.get('customers')} customer(s) and "
            f"{evidence.get('interruptions')} interruption(s) in the last {evidence.get('window_minutes')} minutes",
            *(f"{n.get('node_name')} ({n.get('instance_id')}): {n.get('reason')}" for n in nodes),
        ],
        actions=[{"kind": "proactive-rebalance", "pool": pool, **dict(n)} for n in nodes],
        sweep_id=HIVE_SWEEP_ID,
        discovery_run=pool,
        expires_at=int(expires) if isinstance(expires, int) and expires > now else now + FALLBACK_TTL_SECONDS,
    )
