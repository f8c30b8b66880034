"""Narrow ports of discovery (and of the waste scan, which needs the same node list)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from cloudoptim.interruptions.ports import NodeRecord
from cloudoptim.tenancy.ports import Documents, Json
from engines.interruption.hive import HivePool


@dataclass(frozen=True, slots=True)
class NodeInfo:
    name: str
    instance_id: str | None  # from spec.providerID; None for nodes not on EC2
    zone: str
    instance_type: str
    capacity_type: str  # "spot" or "on-demand"
    node_group: str | None


class ClusterNodes(Protocol):
    def nodes(self, tenant: str, cluster: Json, account: Json) -> list[NodeInfo]: ...


class NodeGroupCatalog(Protocol):
    def describe(self, tenant: str, cluster: Json, account: Json) -> Mapping[str, Mapping[str, Any]]:
        """Managed node group name -> what the pipeline and hibernation use (scaling, capacity, subnets, template)."""
        ...


class InstanceRegistry(Protocol):
    def register_node(self, node: NodeRecord) -> None: ...


class PoolHours(Protocol):
    """The hive mind's per-pool counters of observed instance-hours (S7 feedback's evidence)."""

    def add_hours(self, pool: HivePool, hours: float, run: str, now: int) -> bool:
        """Add once per `run`; False when that run was already counted."""
        ...


@dataclass(frozen=True)
class DiscoveryDeps:
    documents: Documents
    nodes: ClusterNodes
    node_groups: NodeGroupCatalog
    instances: InstanceRegistry
    hours: PoolHours | None = None  # None: nothing counted (no HiveMind table configured)
