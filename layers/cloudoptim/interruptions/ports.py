"""Narrow ports of the interruption pipeline: only what the services use. Adapters live in
cloudoptim.adapters.aws (botocore/pynamodb) and tests/fakes (in memory)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal, Protocol

from cloudoptim.interruptions.kube import KubePort
from cloudoptim.onboarding import ACCESS_ROLE_PREFIX
from engines.interruption.hive import Escalation, Flag, HivePool

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
    seen_at: int | None = None  # epoch s a discovery (or the launch that made it) last saw it; None: unknown


@dataclass(frozen=True, slots=True)
class TenantRecord:
    """Registry item `TENANT#<tenant>`/`META`. The ExternalId is not here: only the assume-role path reads it
    (cloudoptim.tenancy.ports.ExternalIds)."""

    tenant_id: str
    account_id: str
    role_arn: str
    regions: tuple[str, ...] = ()
    safe_mode: bool = False  # the tenant's switch (PUT /v1/settings/safe-mode): every workflow runs dry

    def for_account(self, account_id: str, regions: tuple[str, ...] | None = None) -> TenantRecord:
        """The same tenant in another of its accounts: that account's CloudOptimAccess-<tenant> role."""
        if account_id == self.account_id:
            return self
        partition = self.role_arn.split(":")[1] if self.role_arn.count(":") >= 5 else "aws"
        role = f"arn:{partition}:iam::{account_id}:role/{ACCESS_ROLE_PREFIX}{self.tenant_id}"
        return TenantRecord(
            self.tenant_id, account_id, role, self.regions if regions is None else regions, self.safe_mode
        )


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
    account_id: str | None = None  # the AWS account its nodes run in (a tenant may onboard several)

    def owner(self, tenant: TenantRecord) -> TenantRecord:
        """The tenant's record with this cluster's account and role: what acting on its nodes assumes."""
        return tenant if self.account_id is None else tenant.for_account(self.account_id)


class Registry(Protocol):
    def node_for_instance(self, instance_id: str) -> NodeRecord | None: ...
    def register_node(self, node: NodeRecord) -> None: ...
    def tenant(self, tenant_id: str) -> TenantRecord: ...
    def cluster(self, tenant_id: str, cluster: str) -> ClusterRecord: ...
    def tenant_for_account(self, account_id: str) -> str | None:
        """The tenant owning an AWS account: a keyed read (`ACCOUNT#<id>`), never a scan."""
        ...


class HiveMind(Protocol):
    """Flags (30 minutes) and interruption records (engines.interruption.hive.RECORD_TTL_SECONDS) per pool."""

    def flag(self, flag: Flag, event_id: str, kind: str) -> None: ...
    def record(self, record: Flag, event_id: str) -> None:
        """One interruption, one item (a customer's second interruption is a second record)."""
        ...

    def flags_for_pool(self, pool: HivePool, now: int) -> Sequence[Flag]: ...
    def records_for_pool(self, pool: HivePool, now: int) -> Sequence[Flag]: ...
    def active_flags(self, region: str, now: int) -> Sequence[Flag]: ...
    def in_region(self, region: str, now: int) -> RegionHive:
        """A region's live flags and records in one read."""
        ...

    def customers_for_pool(self, pool: HivePool, now: int) -> Sequence[Flag]:
        """Each customer's latest interruption in the pool within the escalation window (one per customer: a read
        bounded by customers, not interruptions; what ingest escalates on)."""
        ...

    def recent_in_region(self, region: str, now: int) -> RegionHive:
        """Live flags, and as `records` each customer's latest interruption per pool in the window (what a
        replacement choice weighs; the same verdicts as the records, read in size of customers)."""
        ...

    def evidence_in_region(self, region: str, now: int) -> RegionHive:
        """S7's evidence: the region's interruption records of the week and the instance-hours observed over the
        same span (`hours`); may be a few minutes old (it moves slowly, and it is the large read)."""
        ...


@dataclass(frozen=True, slots=True)
class RegionHive:
    flags: tuple[Flag, ...]
    records: tuple[Flag, ...]
    # pool key -> instance-hours observed over the records' span (discovery's counters; S7 feedback's evidence)
    hours: Mapping[str, float] = field(default_factory=dict)


class Escalations(Protocol):
    """Hands a pool that reached CONFIRMED_RISKY to the proactive rebalancing, without waiting for it (the
    "CloudOptim Pool Escalated" event of docs/events.md: the pool, its level and counts, no tenant)."""

    def confirmed(self, escalation: Escalation) -> None: ...


class Claim(StrEnum):
    """What a claim attempt found."""

    TAKEN = "taken"  # ours now: go on
    DONE = "done"  # completed earlier: a duplicate
    IN_PROGRESS = "in-progress"  # another invocation holds it and may still finish: retry shortly


class Idempotency(Protocol):
    """Claim an event before any effect; complete it after, release it on failure so a retry can redo it.
    A claim left in progress by a crashed invocation can be taken over once its in-progress window (longer than
    the function's timeout, shorter than the queue's visibility timeout) has passed. `owner` names who took it, so
    a release never frees a claim someone else has taken since."""

    def claim(self, key: str, now: int, ttl_seconds: int, owner: str | None = None) -> Claim: ...
    def claim_all(self, keys: Sequence[str], now: int, ttl_seconds: int, owner: str | None = None) -> bool:
        """All or none: True when every key was free and is now held by `owner`; False changes nothing."""
        ...

    def complete(self, key: str) -> None: ...
    def complete_all(self, keys: Sequence[str]) -> None:
        """Complete several claims at once (all or none): one write for ingest's event and guards."""
        ...

    def release(self, key: str, owner: str | None = None) -> None: ...


class Redelivery(Protocol):
    """The queue message being handled comes back after `seconds` rather than the full visibility timeout."""

    def retry_soon(self, receipt_handle: str, seconds: int) -> None: ...


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


class Terminator(Protocol):
    def terminate(self, instance_id: str, tags: Mapping[str, str]) -> bool:
        """Terminate the instance only if it carries every tag in `tags` (what CloudOptim put on its own
        launches); False when it does not, or is already gone."""
        ...


@dataclass(frozen=True, slots=True)
class FoundInstance:
    """An instance the registry does not know, as the tenant's account describes it: its pool, and what its tags say
    of the cluster and node group it joined (a node an Auto Scaling group or Karpenter launched since discovery)."""

    pool: HivePool | None
    availability_zone: str
    instance_type: str
    capacity_type: CapacityType
    node_name: str  # its private DNS name: the Node's name in EKS
    cluster: str | None = None
    node_group: str | None = None


class PoolLocator(Protocol):
    """Finds an instance the registry does not know, in the tenant's own account."""

    def locate(self, tenant: TenantRecord, region: str, instance_id: str) -> FoundInstance | None: ...


class CustomerCloud(Protocol):
    """AWS in a tenant's account, through its role (a session limited to what the caller needs)."""

    def launcher(self, tenant: TenantRecord, region: str) -> Launcher: ...
    def terminator(self, tenant: TenantRecord, region: str) -> Terminator: ...


class KubeConnector(Protocol):
    """A KubePort (cloudoptim.adapters.kube.api) for one tenant's cluster."""

    def connect(self, tenant: TenantRecord, cluster: ClusterRecord, region: str) -> KubePort: ...
