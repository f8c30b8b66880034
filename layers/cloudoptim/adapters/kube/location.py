"""Where a node runs and how it is bought, from the labels EKS, Karpenter and kops put on it.

Region: `topology.kubernetes.io/region` (every EKS node carries it), else the zone's region. AZ ID:
`topology.k8s.aws/zone-id` (the AWS cloud controller and Karpenter set it); zone names are shuffled per account,
so a name alone never says which physical zone, and so which Spot pool, a node is in. Capacity type: Karpenter's
`karpenter.sh/capacity-type`, EKS managed groups' `eks.amazonaws.com/capacityType`, and the `lifecycle` /
`node.kubernetes.io/lifecycle` labels kops and self-managed groups use.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cloudoptim.adapters.kube.documents import KubeObjects
from cloudoptim.adapters.regions import region_of_zone
from cloudoptim.errors import CloudOptimError, InputFileError, InvalidArgumentError
from engines.cluster.model import ON_DEMAND, SPOT

REGION_LABELS = ("topology.kubernetes.io/region", "failure-domain.beta.kubernetes.io/region")
ZONE_LABELS = ("topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone")
ZONE_ID_LABEL = "topology.k8s.aws/zone-id"
INSTANCE_TYPE_LABELS = ("node.kubernetes.io/instance-type", "beta.kubernetes.io/instance-type")
CAPACITY_TYPE_LABELS = (
    "karpenter.sh/capacity-type",
    "eks.amazonaws.com/capacityType",
    "node.kubernetes.io/lifecycle",
    "lifecycle",
)
RESERVED = "reserved"  # Karpenter's capacity reservations: paid up front, so no hourly price to save
_CAPACITY_TYPES = {
    "spot": SPOT,
    "ec2spot": SPOT,
    "on-demand": ON_DEMAND,
    "on_demand": ON_DEMAND,
    "ondemand": ON_DEMAND,
    "normal": ON_DEMAND,  # kops/Spotinst's name for On-Demand nodes
    RESERVED: RESERVED,
}


@dataclass(frozen=True, slots=True)
class NodePlace:
    instance_type: str
    region: str | None
    zone: str
    zone_id: str | None
    capacity_type: str


def first(labels: Mapping[str, str], keys: tuple[str, ...]) -> str | None:
    return next((labels[k] for k in keys if labels.get(k)), None)


def node_place(labels: Mapping[str, str], what: str) -> NodePlace:
    zone = first(labels, ZONE_LABELS) or ""
    zone_id = labels.get(ZONE_ID_LABEL) or None
    raw = (first(labels, CAPACITY_TYPE_LABELS) or "on-demand").strip().lower()
    capacity_type = _CAPACITY_TYPES.get(raw)
    if capacity_type is None:
        raise InputFileError(f"{what}: unknown capacity type {raw!r} (expected spot, on-demand or reserved)")
    return NodePlace(
        instance_type=first(labels, INSTANCE_TYPE_LABELS) or "",
        region=first(labels, REGION_LABELS) or _region_of(zone) or _region_of(zone_id or ""),
        zone=zone,
        zone_id=zone_id,
        capacity_type=capacity_type,
    )


def _region_of(zone: str) -> str | None:
    if not zone:
        return None
    try:
        return region_of_zone(zone)
    except CloudOptimError:
        return None


def node_labels(item: Mapping[str, Any]) -> dict[str, str]:
    meta = item.get("metadata")
    labels = meta.get("labels") if isinstance(meta, dict) else None
    return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}


def cluster_region(objects: KubeObjects, given: str | None) -> str:
    """The region the nodes say they are in; `given` (--region) when they say nothing.

    Refused: nodes in several regions (one plan prices one region), no region anywhere and none given, and a
    `given` region the nodes contradict (pricing a us-east-1 cluster at eu-west-1 rates is the silent error
    this rule exists to stop).
    """
    regions: Counter[str] = Counter()
    for node in objects.of("Node"):
        place = node_place(node_labels(node.body), f"{objects.source}: Node")
        if place.region:
            regions[place.region] += 1
    if len(regions) > 1:
        found = ", ".join(f"{r} ({n} nodes)" for r, n in sorted(regions.items()))
        raise InputFileError(f"{objects.source}: the nodes are in several regions ({found}); plan one region at a time")
    said = next(iter(regions), None)
    if said and given and said != given:
        raise InvalidArgumentError(f"--region {given}: the nodes of {objects.source} are in {said}")
    region = said or given
    if region is None:
        raise InvalidArgumentError(
            f"{objects.source}: no node carries topology.kubernetes.io/region or a zone label; pass --region"
        )
    return region


def cluster_zone_ids(objects: KubeObjects) -> dict[str, str | None]:
    """Zone name -> AZ ID as the nodes' labels pair them (None where no node of the zone carries an ID)."""
    found: dict[str, str | None] = {}
    for node in objects.of("Node"):
        place = node_place(node_labels(node.body), f"{objects.source}: Node")
        if place.zone and (found.get(place.zone) is None):
            found[place.zone] = place.zone_id
    return found
