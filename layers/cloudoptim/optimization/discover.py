"""Discovery for the sweep: a cluster's objects stored as one snapshot per run, with a small summary document, and
its usage sampled into the history the rightsizing window reads. Nothing here changes the cluster."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cloudoptim.errors import NotFoundError
from cloudoptim.optimization.ports import ClusterReader, SnapshotStore
from cloudoptim.optimization.state import stamp, update_state
from cloudoptim.optimization.usage_history import merge, span_hours
from cloudoptim.tenancy.ports import Document, Documents

DISCOVERY = "discovery"
USAGE_RETRIES = 5


@dataclass(frozen=True)
class DiscoveryDeps:
    documents: Documents
    clusters: ClusterReader
    snapshots: SnapshotStore


@dataclass(frozen=True)
class Discovered:
    run: str
    nodes: int
    pods: int
    budgets: int
    oom_killed: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _docs(deps: DiscoveryDeps, tenant: str, cluster: str) -> tuple[Document, Document]:
    found = deps.documents.get(tenant, "cluster", cluster)
    if found is None:
        raise NotFoundError(f"cluster {cluster} not found")
    account = deps.documents.get(tenant, "account", str(found.body.get("account_id")))
    if account is None:
        raise NotFoundError(f"the account of cluster {cluster} is not onboarded")
    return found, account


def discover(deps: DiscoveryDeps, tenant: str, cluster: str, now: int) -> Discovered:
    """Snapshot the cluster (idempotent per second: the run id is the cluster and the time)."""
    cluster_doc, account_doc = _docs(deps, tenant, cluster)
    snapshot = deps.clusters.snapshot(tenant, cluster_doc.body, account_doc.body)
    run = f"{cluster}.{stamp(now)}"
    key = deps.snapshots.put_snapshot(tenant, cluster, run, snapshot.document)
    items: Sequence[Mapping[str, Any]] = snapshot.document.get("items") or []
    count = {kind: sum(1 for i in items if i.get("kind") == kind) for kind in ("Node", "Pod", "PodDisruptionBudget")}
    found = Discovered(run, count["Node"], count["Pod"], count["PodDisruptionBudget"], oom_kills(items),
                       list(snapshot.notes))  # fmt: skip
    summary = {"cluster": cluster, "at": now, "snapshot": key, "nodes": found.nodes, "pods": found.pods,
               "budgets": found.budgets, "oom_killed": found.oom_killed, "notes": found.notes}  # fmt: skip
    if deps.documents.get(tenant, DISCOVERY, run) is None:
        deps.documents.create(tenant, DISCOVERY, run, summary, now)
    update_state(deps.documents, tenant, cluster, now, discovery_run=run, discovered_at=now)
    return found


def sample_usage(deps: DiscoveryDeps, tenant: str, cluster: str, now: int) -> int:
    """Fold the containers' usage now into the cluster's history; returns the hours the history covers."""
    cluster_doc, account_doc = _docs(deps, tenant, cluster)
    samples = deps.clusters.pod_usage(tenant, cluster_doc.body, account_doc.body)
    for _ in range(USAGE_RETRIES):
        history, etag = deps.snapshots.get_usage(tenant, cluster)
        merged = merge(history, samples, now)
        if deps.snapshots.put_usage(tenant, cluster, merged, etag):
            return span_hours(merged)
    raise RuntimeError(f"usage history of {cluster}: {USAGE_RETRIES} writers in a row moved it on")


def oom_kills(items: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Containers whose last termination was an OOM kill (the kubelet's `lastState.terminated.reason`)."""
    found = []
    for item in items:
        if item.get("kind") != "Pod":
            continue
        meta = item.get("metadata") or {}
        for status in (item.get("status") or {}).get("containerStatuses") or []:
            terminated = (status.get("lastState") or {}).get("terminated") or {}
            if terminated.get("reason") == "OOMKilled":
                found.append({"namespace": str(meta.get("namespace")), "pod": str(meta.get("name")),
                              "container": str(status.get("name"))})  # fmt: skip
    return found
