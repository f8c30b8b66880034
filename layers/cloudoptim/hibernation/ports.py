"""Narrow ports of hibernation: the cluster's workloads (Kubernetes API), its node groups (EKS), a way to reach both
for a tenant's cluster, and the state machine that acts. Adapters: cloudoptim.adapters (kube, aws); tests/fakes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from cloudoptim.audit.log import AuditLog
from cloudoptim.tenancy.ports import Documents, Json
from engines.hibernation.plan import Change, Inventory, Kind, NodeGroupSize


@dataclass(frozen=True, slots=True)
class NodeCount:
    total: int
    ready: int


class ClusterWorkloads(Protocol):
    """What hibernation reads and changes through the cluster's Kubernetes API."""

    def inventory(self) -> Inventory:
        """Deployments, StatefulSets, CronJobs, HPAs and KEDA ScaledObjects (no node groups)."""
        ...

    def apply(self, change: Change) -> None:
        """Set the change's fields: replicas (scale subresource), suspend, KEDA annotations (None removes one)."""
        ...

    def nodes(self) -> NodeCount: ...

    def pods_pending(self) -> int:
        """Pods not bound to a node yet (phase Pending, no nodeName)."""
        ...

    def not_ready(self, kind: Kind) -> Sequence[str]:
        """Workloads of `kind` (namespace/name) whose ready replicas are below their replicas."""
        ...


class NodeGroups(Protocol):
    """A cluster's managed node groups (EKS DescribeNodegroup / UpdateNodegroupConfig)."""

    def sizes(self, names: Sequence[str]) -> list[NodeGroupSize]: ...
    def resize(self, name: str, min_size: int, max_size: int, desired: int) -> None: ...


class ClusterAccess(Protocol):
    """Reach a tenant's cluster through its account's role (`cluster` and `account` are their documents)."""

    def workloads(self, tenant: str, cluster: Json, account: Json) -> ClusterWorkloads: ...
    def node_groups(self, tenant: str, cluster: Json, account: Json) -> NodeGroups: ...


class Executions(Protocol):
    def start(self, name: str, payload: Mapping[str, object]) -> Literal["started", "duplicate"]: ...


@dataclass(frozen=True)
class HibernationDeps:
    documents: Documents
    audit: AuditLog
    access: ClusterAccess


@dataclass(frozen=True)
class TickDeps:
    documents: Documents
    audit: AuditLog
    executions: Executions
