"""Narrow ports of the interruption pipeline: only what the services use. Adapters live in
cloudoptim.adapters.aws (botocore/pynamodb) and tests/fakes (in memory)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from cloudoptim.interruptions.kube import KubePort
from engines.interruption.hive import Flag, HivePool

CapacityType = Literal["spot", "on-demand"]


@dataclass(frozen=True, slots=True)
class NodeRecord:
    """Registry item `INSTANCE#<id>`/`NODE`."""

    instance_id: str
    tenant_id: str
    cluster: str
    node_name: str
    node_group: str | None
    region: str
    availability_zone: str
    az_id: str | None
    instance_type: str
    capacity_type: CapacityType = "spot"


@dataclass(frozen=True, slots=True)
class TenantRecord:
    """Registry item `TENANT#<tenant>`/`META`."""

    tenant_id: str
    account_id: str
    role_arn: str
    external_id: str
    regions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class NodeGroup:
    name: str
    launch_template_id: str
    launch_template_version: str = "$Default"
    subnets: Mapping[str, str] = field(default_factory=dict)  # zone (AZ name or AZ ID) -> subnet id
    capacity_type: CapacityType = "spot"
    # Optional AZ name -> AZ ID of the subnets' zones (names differ per account); without it only the
    # interrupted node's own zone name can be matched to price data keyed by AZ ID.
    az_ids: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ClusterRecord:
    """Registry item `TENANT#<tenant>`/`CLUSTER#<cluster>`."""

    tenant_id: str
    cluster: str
    endpoint: str
    ca_data: str
    credentials: Mapping[str, str]
    node_groups: Mapping[str, NodeGroup] = field(default_factory=dict)


class Registry(Protocol):
    def node_for_instance(self, instance_id: str) -> NodeRecord | None: ...
    def register_node(self, node: NodeRecord) -> None: ...
    def tenant(self, tenant_id: str) -> TenantRecord: ...
    def cluster(self, tenant_id: str, cluster: str) -> ClusterRecord: ...


class HiveMind(Protocol):
    def flag(self, flag: Flag, event_id: str, kind: str) -> None: ...
    def flags_for_pool(self, pool: HivePool, now: int) -> Sequence[Flag]: ...
    def active_flags(self, region: str, now: int) -> Sequence[Flag]: ...


@dataclass(frozen=True, slots=True)
class AuditEntry:
    tenant_id: str
    cluster: str
    at: int
    execution: str
    event_id: str
    kind: str
    node: str
    outcome: str
    replacement: str | None
    pods_evicted: int
    reasons: tuple[str, ...]
    dry_run: bool


class Audit(Protocol):
    def record(self, entry: AuditEntry) -> str: ...


class Idempotency(Protocol):
    """Claim an event before any effect; complete it after, release it on failure so a retry can redo it.
    A claim left IN_PROGRESS by a crashed invocation can be taken over after `in_progress_seconds`."""

    def claim(self, key: str, now: int, ttl_seconds: int) -> bool: ...
    def complete(self, key: str) -> None: ...
    def release(self, key: str) -> None: ...


class Executions(Protocol):
    def start(self, name: str, payload: Mapping[str, object]) -> Literal["started", "duplicate"]: ...


@dataclass(frozen=True, slots=True)
class LaunchSpec:
    launch_template_id: str
    launch_template_version: str
    instance_type: str
    subnet_id: str
    capacity_type: CapacityType
    tags: Mapping[str, str]
    client_token: str


@dataclass(frozen=True, slots=True)
class Launched:
    instance_id: str
    private_dns_name: str  # the EKS node name of the default AMIs; "" when EC2 has not assigned it yet


class Launcher(Protocol):
    def launch(self, spec: LaunchSpec) -> Launched: ...


class PoolLocator(Protocol):
    """Finds the pool of an instance the registry does not know (EC2 in the sending account)."""

    def locate(self, account_id: str | None, region: str, instance_id: str) -> HivePool | None: ...


class CustomerCloud(Protocol):
    """AWS in a tenant's account, through its role."""

    def launcher(self, tenant: TenantRecord, region: str) -> Launcher: ...


class KubeConnector(Protocol):
    """A KubePort (cloudoptim.adapters.kube.api) for one tenant's cluster."""

    def connect(self, tenant: TenantRecord, cluster: ClusterRecord, region: str) -> KubePort: ...
