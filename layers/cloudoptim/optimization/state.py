"""Per cluster, what the sweep knows now (`cluster_state` document): the latest discovery and sweep, the current
cost, and the savings realised so far by kind. Ids are `<cluster>.<UTC stamp>` (a '.' never occurs in an EKS
cluster name), so one cluster's sweeps and recommendations are a prefix of the tenant's."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cloudoptim.errors import ConflictError, PreconditionFailedError
from cloudoptim.tenancy.ports import Document, Documents

CLUSTER_STATE = "cluster_state"
RETRIES = 5


def stamp(now: int) -> str:
    return datetime.fromtimestamp(now, UTC).strftime("%Y%m%dT%H%M%SZ")


def state_of(documents: Documents, tenant: str, cluster: str) -> Document | None:
    return documents.get(tenant, CLUSTER_STATE, cluster)


def update_state(documents: Documents, tenant: str, cluster: str, now: int, **changes: Any) -> Document:
    """Merge `changes` into the cluster's state, retrying when another writer moved it on (optimistic)."""
    for _ in range(RETRIES):
        current = documents.get(tenant, CLUSTER_STATE, cluster)
        try:
            if current is None:
                return documents.create(tenant, CLUSTER_STATE, cluster, {"cluster": cluster, **changes}, now)
            return documents.replace(tenant, CLUSTER_STATE, cluster, {**current.body, **changes}, current.version, now)
        except (ConflictError, PreconditionFailedError):
            continue
    raise ConflictError(f"cluster state of {cluster}: {RETRIES} writers in a row moved it on")


def add_realised(documents: Documents, tenant: str, cluster: str, kind: str, saving: float, now: int) -> Document:
    for _ in range(RETRIES):
        current = documents.get(tenant, CLUSTER_STATE, cluster)
        realised = dict((current.body if current else {}).get("realised", {}))
        realised[kind] = round(float(realised.get(kind, 0.0)) + saving, 6)
        try:
            return update_state(documents, tenant, cluster, now, realised=realised)
        except ConflictError:
            continue
    raise ConflictError(f"cluster state of {cluster}: could not add a realised saving")
