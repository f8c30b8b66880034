"""Narrow ports of the execution steps. Adapters: cloudoptim.adapters.kube.execution (the cluster's API),
cloudoptim.adapters.aws.auto_scaling (the tenant's Auto Scaling groups); the interruption pipeline's launcher,
terminator and registry are reused as they are. tests/fakes/execution.py holds the in-memory ones."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from cloudoptim.audit.log import AuditLog
from cloudoptim.interruptions.kube import KubePort
from cloudoptim.interruptions.ports import ClusterRecord, CustomerCloud, Registry, TenantRecord
from cloudoptim.optimization.ports import Workflows
from cloudoptim.tenancy.ports import Documents
from engines.cluster.model import ClusterState
from engines.execution.revalidate import ContainerNow, ContainerTarget


@dataclass(frozen=True)
class LiveCluster:
    """The cluster now: nodes (unpriced), pods and budgets, and per node its readiness and instance."""

    state: ClusterState
    ready: Mapping[str, bool] = field(default_factory=dict)
    instances: Mapping[str, str] = field(default_factory=dict)  # node name -> EC2 instance id


@dataclass(frozen=True)
class LiveWorkload:
    """A Deployment, StatefulSet or DaemonSet: what decides whether it may be patched, and its containers."""

    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    replicas: int  # a DaemonSet's: the pods it runs
    containers: Mapping[str, ContainerNow]


class ExecutionKube(KubePort, Protocol):
    """The drain port of the interruption pipeline, plus what executions read and change."""

    def live(self) -> LiveCluster: ...
    def uncordon(self, name: str) -> None: ...
    def workload(self, kind: str, namespace: str, name: str) -> LiveWorkload | None: ...
    def patch_container(self, kind: str, namespace: str, name: str, container: str, target: ContainerTarget) -> None:
        """Set the container's CPU and memory requests and memory limit (None leaves a value as it is)."""
        ...

    def delete_nodeclaim(self, node_name: str) -> bool:
        """Delete the Karpenter NodeClaim whose status names the node; False when there is none."""
        ...


class ExecutionConnector(Protocol):
    def execution(self, tenant: TenantRecord, cluster: ClusterRecord, region: str) -> ExecutionKube: ...


class NodeFleet(Protocol):
    """The tenant's Auto Scaling groups and instances (EKS managed node groups run in Auto Scaling groups too)."""

    def group_of(self, instance_id: str) -> str | None: ...
    def terminate_in_group(self, instance_id: str) -> bool:
        """TerminateInstanceInAutoScalingGroup with ShouldDecrementDesiredCapacity: the group does not replace it.
        False when the instance is already gone."""
        ...

    def tags_of(self, instance_id: str) -> Mapping[str, str] | None: ...


class FleetAccess(Protocol):
    def fleet(self, tenant: TenantRecord, region: str) -> NodeFleet: ...


class NodePrices(Protocol):
    """The price book the engines use (engines.cluster.capacity.PriceBook satisfies it)."""

    def price(self, instance_type: str, zone: str, capacity_type: str) -> float | None: ...


@dataclass(frozen=True)
class ExecutionDeps:
    documents: Documents
    audit: AuditLog
    workflows: Workflows  # a stale plan asks for a new sweep
    registry: Registry
    kube: ExecutionConnector
    cloud: CustomerCloud  # launches and tag-scoped terminations, as in the interruption pipeline
    fleet: FleetAccess
    prices: Callable[[str], NodePrices]  # region -> its price book
    wait_seconds: int = 30  # between readiness checks and eviction rounds (the state machine's Waits)
