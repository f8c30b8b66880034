"""Per cluster, what the sweep knows now (`cluster_state` document): the latest discovery and sweep, the current
cost, the savings realised so far by kind and the workload patches' claims no node change has realised yet. Ids
are `<cluster>.<UTC stamp>` (a '.' never occurs in an EKS cluster name), so one cluster's sweeps and
recommendations are a prefix of the tenant's."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cloudoptim.errors import ConflictError, PreconditionFailedError
from cloudoptim.tenancy.ports import Document, Documents
from engines.execution.credit import credit

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
    """Credit a kept execution's measured saving to the cluster's ledger, each node dollar once
    (engines.execution.credit: a workload patch's value is claimed until a node change realises it)."""
    for _ in range(RETRIES):
        current = documents.get(tenant, CLUSTER_STATE, cluster)
        body = current.body if current else {}
        credited = credit(dict(body.get("realised", {})), dict(body.get("claimed", {})), kind, saving)
        try:
            return update_state(documents, tenant, cluster, now, realised=credited.realised, claimed=credited.claims)
        except ConflictError:
            continue
    raise ConflictError(f"cluster state of {cluster}: could not add a realised saving")
