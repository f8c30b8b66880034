"""One discovery pass: for every registered cluster, register its nodes' instances (`INSTANCE#<id>` items, so a Spot
notice about any of them resolves to the tenant) and record its managed node groups in the cluster document. A
cluster that cannot be reached is reported and left as it was."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from cloudoptim.discovery.ports import DiscoveryDeps
from cloudoptim.errors import CloudOptimError, ConflictError, PreconditionFailedError
from cloudoptim.interruptions.ports import NodeRecord
from cloudoptim.pricing.regions import tenant_ids
from cloudoptim.tenancy.ports import Document
from engines.interruption.hive import HivePool

PAGE = 100
# discover_clusters runs hourly (cdk/constructs/account_jobs.py): each node seen stands for an hour in its pool.
HOURS_PER_RUN = 1.0


@dataclass(frozen=True)
class ClusterDiscovery:
    tenant: str
    cluster: str
    nodes: int = 0
    registered: int = 0
    node_groups: int = 0
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"tenant": self.tenant, "cluster": self.cluster, "nodes": self.nodes, "registered": self.registered,
                "node_groups": self.node_groups, "error": self.error}  # fmt: skip


def clusters_of(deps: DiscoveryDeps, tenant: str) -> list[Document]:
    found: list[Document] = []
    cursor: str | None = None
    while True:
        page = deps.documents.list(tenant, "cluster", PAGE, cursor)
        found.extend(page.items)
        if page.cursor is None:
            return found
        cursor = page.cursor


def discover_all(deps: DiscoveryDeps, now: int) -> list[ClusterDiscovery]:
    return [
        discover(deps, tenant, cluster, now)
        for tenant in tenant_ids(deps.documents)
        for cluster in clusters_of(deps, tenant)
    ]


def discover(deps: DiscoveryDeps, tenant: str, cluster: Document, now: int) -> ClusterDiscovery:
    account = deps.documents.get(tenant, "account", str(cluster.body.get("account_id")))
    if account is None:
        return ClusterDiscovery(tenant, cluster.id, error="its account is not onboarded")
    region = str(cluster.body.get("region"))
    try:
        nodes = deps.nodes.nodes(tenant, cluster.body, account.body)
        groups = deps.node_groups.describe(tenant, cluster.body, account.body)
    except CloudOptimError as exc:
        return ClusterDiscovery(tenant, cluster.id, error=str(exc))
    registered = 0
    az_ids = _az_ids(cluster.body, groups)
    pools: dict[HivePool, int] = {}
    for node in nodes:
        if node.instance_id is None:
            continue
        on_demand = node.capacity_type == "on-demand"
        record = NodeRecord(
            instance_id=node.instance_id, tenant_id=tenant, cluster=cluster.id, node_name=node.name,
            node_group=node.node_group, region=region, availability_zone=node.zone, az_id=az_ids.get(node.zone),
            instance_type=node.instance_type, capacity_type="on-demand" if on_demand else "spot", seen_at=now,
        )  # fmt: skip
        deps.instances.register_node(record)
        registered += 1
        if record.az_id and record.capacity_type == "spot":
            pool = HivePool(region, record.az_id, record.instance_type)
            pools[pool] = pools.get(pool, 0) + 1
    _count_hours(deps, tenant, cluster.id, pools, now)
    _record_groups(deps, tenant, cluster, dict(groups), now)
    return ClusterDiscovery(tenant, cluster.id, len(nodes), registered, len(groups))


def _count_hours(deps: DiscoveryDeps, tenant: str, cluster: str, pools: dict[HivePool, int], now: int) -> None:
    """S7's evidence: the Spot instance-hours this run observed per pool, counted once per cluster and hour (the
    run key), so a retried or overlapping run adds nothing twice."""
    if deps.hours is None:
        return
    run = f"{tenant}/{cluster}/{now // 3600}"
    for pool, count in sorted(pools.items()):
        deps.hours.add_hours(pool, count * HOURS_PER_RUN, run, now)


def _az_ids(cluster: Any, groups: Any) -> dict[str, str]:
    """AZ name -> AZ ID from the node groups (registration's and EKS's): names differ per account, the hive mind's
    pools are keyed by ID, so a node's pool (the registry's ByPool index) is known only through this map."""
    found: dict[str, str] = {}
    for source in (dict(cluster.get("node_groups") or {}), dict(groups)):
        for group in source.values():
            found.update({str(k): str(v) for k, v in dict(dict(group or {}).get("az_ids") or {}).items()})
    return found


def _record_groups(deps: DiscoveryDeps, tenant: str, cluster: Document, groups: dict[str, Any], now: int) -> None:
    """Merge what EKS says into the document's node groups (keeping what registration wrote), under If-Match."""
    current = cluster
    for _ in range(3):
        body = copy.deepcopy(dict(current.body))
        merged = {name: {**dict((body.get("node_groups") or {}).get(name) or {}), **dict(found)}
                  for name, found in groups.items()}  # fmt: skip
        if merged == body.get("node_groups"):
            return
        body["node_groups"] = merged
        try:
            deps.documents.replace(tenant, "cluster", cluster.id, body, current.version, now)
            return
        except (ConflictError, PreconditionFailedError):
            fresh = deps.documents.get(tenant, "cluster", cluster.id)
            if fresh is None:
                return  # removed meanwhile
            current = fresh
