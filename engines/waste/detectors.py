"""The four waste detectors (W1-W4), one small function each, registered by name so the scanner, the CLI and
the tests run the same list. A detector reads the inventory, CloudOptim's first-seen records and prices at `now`,
and returns findings plus the first-seen records it keeps (AWS keeps no "idle since" date: we record our own).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from engines.pricing.freshness import describe_seconds
from engines.registry import Registry
from engines.waste.model import (
    GIB,
    HOURS_PER_MONTH,
    Finding,
    FindingCode,
    Instance,
    Inventory,
    NotAssessed,
    Prices,
    WasteKind,
    WastePolicy,
)

PVC_NAME, PVC_NAMESPACE = "kubernetes.io/created-for/pvc/name", "kubernetes.io/created-for/pvc/namespace"
PV_NAME = "kubernetes.io/created-for/pv/name"
CLUSTER_TAGS = ("eks:cluster-name", "ebs.csi.aws.com/cluster", "KubernetesCluster", "aws:eks:cluster-name")


@dataclass(frozen=True, slots=True)
class Context:
    inventory: Inventory
    first_seen: Mapping[str, int]
    prices: Prices
    policy: WastePolicy
    now: int


@dataclass
class Result:
    findings: list[Finding] = field(default_factory=list)
    first_seen: dict[str, int] = field(default_factory=dict)  # records this detector keeps
    not_assessed: list[NotAssessed] = field(default_factory=list)


Detector = Callable[[Context], Result]


def iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def ignored(tags: Mapping[str, str], policy: WastePolicy) -> bool:
    key, value = policy.ignore_tag
    return tags.get(key, "").lower() == value


def cluster_tag(tags: Mapping[str, str]) -> str | None:
    for key in CLUSTER_TAGS:
        if tags.get(key):
            return tags[key]
    return next((k.split("/", 2)[2] for k in tags if k.startswith("kubernetes.io/cluster/")), None)


def ghost_instances(ctx: Context) -> Result:
    """W1: running, not a node of any registered cluster (by providerID), past the grace, not ignore-tagged."""
    result = Result()
    nodes = ctx.inventory.node_ids()
    clusters = len(ctx.inventory.cluster_nodes)
    for instance in ctx.inventory.instances:
        if instance.state != "running" or instance.instance_id in nodes or ignored(instance.tags, ctx.policy):
            continue
        age = ctx.now - instance.launch_time
        if age < ctx.policy.ghost_grace_seconds:
            continue
        reasons = [
            f"running for {describe_seconds(age)} (launched {iso(instance.launch_time)}), past the "
            f"{ctx.policy.ghost_grace_seconds // 3600} h grace",
            f"not a node of any registered cluster ({clusters} cluster(s), {len(nodes)} node(s) matched by providerID)",
        ]
        owner = cluster_tag(instance.tags)
        if owner is not None:
            reasons.append(f"tagged as a node of cluster {owner}, which is not registered with CloudOptim")
        monthly = _instance_cost(instance, ctx.prices, reasons)
        reasons.append(f"not tagged {ctx.policy.ignore_tag[0]}={ctx.policy.ignore_tag[1]}")
        result.findings.append(
            Finding(WasteKind.GHOST_INSTANCE, instance.instance_id, monthly, tuple(reasons), "stop",
                    FindingCode.NOT_A_NODE)
        )  # fmt: skip
    return result


def _instance_cost(instance: Instance, prices: Prices, reasons: list[str]) -> float:
    price = prices.on_demand.get(instance.instance_type)
    if price is None:
        reasons.append(f"no On-Demand price for {instance.instance_type}: cost unknown, counted as $0")
        return 0.0
    reasons.append(f"{instance.instance_type} On-Demand ${price.value:.4f}/h x {HOURS_PER_MONTH} h ({price.note})")
    if instance.lifecycle == "spot":
        reasons.append("a Spot instance: the On-Demand price is an upper bound of what it costs")
    return round(price.value * HOURS_PER_MONTH, 2)


def zombie_volumes(ctx: Context) -> Result:
    """W2: unattached longer than the grace by CloudOptim's own first-seen record; ignore- and backup-tagged
    volumes skipped; the PVC that created it named when its tags say so; snapshot before delete."""
    result = Result()
    for volume in ctx.inventory.volumes:
        if volume.state != "available" or volume.attached_to:
            continue  # attached (again): its record is dropped
        if ignored(volume.tags, ctx.policy) or any(k.startswith(ctx.policy.backup_tag_prefixes) for k in volume.tags):
            continue
        since = ctx.first_seen.get(volume.volume_id, ctx.now)
        result.first_seen[volume.volume_id] = since
        idle = ctx.now - since
        if idle <= ctx.policy.zombie_after_seconds:
            continue
        reasons = [
            f"unattached since at least {iso(since)} ({describe_seconds(idle)}) by CloudOptim's first-seen record "
            f"(AWS keeps no detach date), past the {ctx.policy.zombie_after_seconds // 86400}-day grace",
        ]
        reasons.extend(_volume_owner(volume.tags))
        monthly = _volume_cost(volume.volume_type, volume.size_gib, ctx.prices, reasons)
        result.findings.append(
            Finding(WasteKind.ZOMBIE_VOLUME, volume.volume_id, monthly, tuple(reasons), "snapshot-and-delete",
                    FindingCode.UNATTACHED_PAST_GRACE)
        )  # fmt: skip
    return result


def _volume_owner(tags: Mapping[str, str]) -> list[str]:
    found = []
    if PVC_NAME in tags:
        pvc = f"{tags.get(PVC_NAMESPACE, '?')}/{tags[PVC_NAME]}"
        volume = f" (PV {tags[PV_NAME]})" if PV_NAME in tags else ""
        found.append(f"created for PVC {pvc}{volume}: the claim was deleted or no longer mounts it")
    owner = cluster_tag(tags)
    if owner is not None:
        found.append(f"tagged for cluster {owner}")
    return found


def _volume_cost(volume_type: str, size_gib: int, prices: Prices, reasons: list[str]) -> float:
    price = prices.ebs.get(volume_type)
    if price is None:
        reasons.append(f"no price for volume type {volume_type}: cost unknown, counted as $0")
        return 0.0
    reasons.append(f"{size_gib} GiB {volume_type} x ${price.value}/GB-month ({price.note}); storage only")
    if prices.snapshot_gb_month is not None:
        kept = size_gib * prices.snapshot_gb_month.value
        reasons.append(f"the snapshot kept before deleting costs at most ${kept:.2f}/month (full size, less after)")
    return round(size_gib * price.value, 2)


def unused_public_ipv4(ctx: Context) -> Result:
    """W3: $0.005/h per public IPv4 address: Elastic IPs associated with nothing, and public addresses on cluster
    nodes (EKS nodes reach the control plane and registries through NAT or VPC endpoints)."""
    result = Result()
    monthly = round(ctx.prices.ipv4_hourly * HOURS_PER_MONTH, 2)
    price = f"${ctx.prices.ipv4_hourly}/h per public IPv4 address x {HOURS_PER_MONTH} h"
    elastic = set()
    for address in ctx.inventory.addresses:
        elastic.add(address.public_ip)
        if address.association_id or address.instance_id or address.network_interface_id:
            continue
        if ignored(address.tags, ctx.policy):
            continue
        unused = (f"Elastic IP {address.public_ip} is associated with no instance or interface", price)
        result.findings.append(
            Finding(WasteKind.UNUSED_PUBLIC_IPV4, address.resource_id, monthly, unused, "release",
                    FindingCode.UNASSOCIATED_ELASTIC_IP)
        )  # fmt: skip
    nodes = ctx.inventory.node_ids()
    for instance in ctx.inventory.instances:
        if instance.instance_id not in nodes or not instance.public_ip or instance.public_ip in elastic:
            continue
        if instance.state != "running" or ignored(instance.tags, ctx.policy):
            continue
        reasons = (
            f"cluster node {instance.instance_id} has the auto-assigned public address {instance.public_ip}",
            "a node needs one only in a public subnet without a NAT gateway; private subnets (or turning off "
            "auto-assign on the subnet) remove the charge",
            price,
        )
        result.findings.append(
            Finding(WasteKind.UNUSED_PUBLIC_IPV4, f"{instance.instance_id}:{instance.public_ip}", monthly, reasons,
                    "remove-public-ip", FindingCode.NODE_PUBLIC_IP)
        )  # fmt: skip
    return result


def cross_az_traffic(ctx: Context) -> Result:
    """W4: traffic between instances in different zones, where flow-log data exists; said so where it does not."""
    result = Result()
    flows = ctx.inventory.flows
    if flows is None:
        result.not_assessed.append(NotAssessed(WasteKind.CROSS_AZ_TRAFFIC, ctx.inventory.flows_note))
        return result
    where = {ip: inst for inst in ctx.inventory.instances for ip in inst.private_ips}
    pairs: dict[tuple[str, str], int] = defaultdict(int)
    spans: dict[tuple[str, str], tuple[int, int]] = {}
    outside = 0
    for flow in flows:
        src, dst = where.get(flow.src_ip), where.get(flow.dst_ip)
        if src is None or dst is None:
            outside += 1
            continue
        if src.availability_zone == dst.availability_zone:
            continue
        pair = tuple(sorted((src.instance_id, dst.instance_id)))
        key = (pair[0], pair[1])
        pairs[key] += flow.bytes
        first, last = spans.get(key, (flow.start, flow.end))
        spans[key] = (min(first, flow.start), max(last, flow.end))
    by_id = {i.instance_id: i for i in ctx.inventory.instances}
    for (a, b), sent in sorted(pairs.items()):
        start, end = spans[(a, b)]
        hours = max((end - start) / 3600, 1.0)
        gigabytes = sent / GIB
        monthly = round(gigabytes * 2 * ctx.prices.cross_az_per_gb * HOURS_PER_MONTH / hours, 2)
        if monthly < ctx.policy.min_cross_az_monthly:
            continue
        reasons = (
            f"{gigabytes:.2f} GiB between {a} ({by_id[a].availability_zone}) and {b} ({by_id[b].availability_zone}) "
            f"in {hours:.1f} h of flow logs ({iso(start)} to {iso(end)})",
            f"${ctx.prices.cross_az_per_gb}/GB on each side of the zone boundary, scaled to {HOURS_PER_MONTH} h",
            "co-locate the chatty workloads of these nodes in one zone (topology-aware routing or pod affinity)",
        )
        result.findings.append(
            Finding(WasteKind.CROSS_AZ_TRAFFIC, f"{a}<->{b}", monthly, reasons, "co-locate", FindingCode.CROSS_AZ)
        )
    if outside:
        note = f"{outside} flow record(s) to or from addresses outside the scanned instances were not costed"
        result.not_assessed.append(NotAssessed(WasteKind.CROSS_AZ_TRAFFIC, note))
    return result


DETECTORS = Registry[Detector](
    "waste detector",
    {
        WasteKind.GHOST_INSTANCE.value: lambda _: ghost_instances,
        WasteKind.ZOMBIE_VOLUME.value: lambda _: zombie_volumes,
        WasteKind.UNUSED_PUBLIC_IPV4.value: lambda _: unused_public_ipv4,
        WasteKind.CROSS_AZ_TRAFFIC.value: lambda _: cross_az_traffic,
    },
)
