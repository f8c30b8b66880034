"""What the waste detectors read (an account region's inventory, CloudOptim's first-seen records, prices) and what
they produce (findings)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

HOURS_PER_MONTH = 730  # AWS's convention for monthly prices
GIB = 1024**3
IGNORE_TAG = ("cloudoptim.io/ignore", "true")


class WasteKind(StrEnum):
    GHOST_INSTANCE = "ghost_instance"
    ZOMBIE_VOLUME = "zombie_volume"
    UNUSED_PUBLIC_IPV4 = "unused_public_ipv4"
    CROSS_AZ_TRAFFIC = "cross_az_traffic"


@dataclass(frozen=True, slots=True)
class Instance:
    instance_id: str
    state: str  # running, stopped, ...
    instance_type: str
    launch_time: int
    availability_zone: str
    lifecycle: str = "on-demand"  # "spot" for Spot instances
    public_ip: str | None = None
    private_ips: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Volume:
    volume_id: str
    state: str  # available = attached to nothing
    volume_type: str
    size_gib: int
    create_time: int
    availability_zone: str
    attached_to: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Address:
    """An Elastic IP."""

    public_ip: str
    allocation_id: str | None
    association_id: str | None
    instance_id: str | None = None
    network_interface_id: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def resource_id(self) -> str:
        return self.allocation_id or self.public_ip


@dataclass(frozen=True, slots=True)
class Flow:
    """Aggregated VPC flow-log traffic from one private address to another over [start, end)."""

    src_ip: str
    dst_ip: str
    bytes: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Inventory:
    """One account region as scanned. `cluster_nodes` maps each registered cluster to its nodes' instance ids
    (from the nodes' providerIDs). `flows` is None when no flow-log data exists for the region."""

    region: str
    instances: tuple[Instance, ...] = ()
    volumes: tuple[Volume, ...] = ()
    addresses: tuple[Address, ...] = ()
    cluster_nodes: Mapping[str, frozenset[str]] = field(default_factory=dict)
    flows: tuple[Flow, ...] | None = None
    flows_note: str = "no VPC flow-log data for this region"

    def node_ids(self) -> frozenset[str]:
        return frozenset().union(*self.cluster_nodes.values()) if self.cluster_nodes else frozenset()


@dataclass(frozen=True, slots=True)
class PriceRef:
    """A price and where it came from (for the finding's reason)."""

    value: float
    note: str


@dataclass(frozen=True, slots=True)
class Prices:
    """Prices the detectors cost findings with; `on_demand` per instance type ($/h), `ebs` per volume type
    ($/GB-month), `snapshot_gb_month` for what a kept snapshot costs."""

    on_demand: Mapping[str, PriceRef]
    ebs: Mapping[str, PriceRef]
    snapshot_gb_month: PriceRef | None = None
    ipv4_hourly: float = 0.005
    cross_az_per_gb: float = 0.01  # charged on each side of the zone boundary


@dataclass(frozen=True, slots=True)
class WastePolicy:
    ghost_grace_seconds: int = 24 * 3600
    zombie_after_seconds: int = 7 * 24 * 3600
    ignore_tag: tuple[str, str] = IGNORE_TAG
    backup_tag_prefixes: tuple[str, ...] = ("aws:backup:", "aws:dlm:")
    min_cross_az_monthly: float = 1.0  # smaller node pairs are noise


class FindingCode(StrEnum):
    NOT_A_NODE = "not-a-node"
    UNATTACHED_PAST_GRACE = "unattached-past-grace"
    UNASSOCIATED_ELASTIC_IP = "unassociated-elastic-ip"
    NODE_PUBLIC_IP = "node-public-ip"
    CROSS_AZ = "cross-az-traffic"


@dataclass(frozen=True, slots=True)
class Finding:
    kind: WasteKind
    resource_id: str
    monthly_cost: float
    reasons: tuple[str, ...]
    action: str
    code: FindingCode

    def as_json(self) -> dict[str, object]:
        return {"kind": self.kind.value, "resource_id": self.resource_id, "monthly_cost": self.monthly_cost,
                "reasons": list(self.reasons), "action": self.action}  # fmt: skip


@dataclass(frozen=True, slots=True)
class NotAssessed:
    kind: WasteKind
    reason: str


@dataclass(frozen=True, slots=True)
class Report:
    findings: tuple[Finding, ...]
    first_seen: Mapping[str, int]  # resource id -> when CloudOptim first saw it idle (kept between scans)
    not_assessed: tuple[NotAssessed, ...] = ()

    @property
    def monthly_waste(self) -> float:
        return round(sum(f.monthly_cost for f in self.findings), 2)

    def as_json(self) -> dict[str, object]:
        return {
            "findings": [f.as_json() for f in self.findings],
            "monthly_waste": self.monthly_waste,
            "not_assessed": [{"kind": n.kind.value, "reason": n.reason} for n in self.not_assessed],
        }
