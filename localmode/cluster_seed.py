"""The nodes of the seeded cluster as the tenant registration needs them, read from its Kubernetes JSON.

The seed is a Kubernetes List (or a `{"nodes": [...], ...}` object); nodes carry the well-known EKS /
Karpenter labels. `with_provider_ids` rewrites each node's `spec.providerID` to the moto instance that
stands for it, so EC2, the registry and the Kubernetes API agree on every instance id.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

ZONE_LABELS = ("topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone")
TYPE_LABELS = ("node.kubernetes.io/instance-type", "beta.kubernetes.io/instance-type")
CAPACITY_LABELS = ("karpenter.sh/capacity-type", "eks.amazonaws.com/capacityType")
GROUP_LABELS = ("eks.amazonaws.com/nodegroup", "karpenter.sh/nodepool", "alpha.eksctl.io/nodegroup-name")
DEFAULT_GROUP = "default"


@dataclass(frozen=True)
class SeedNode:
    name: str
    zone: str
    instance_type: str
    capacity_type: str  # "spot" | "on-demand"
    node_group: str


def _first(labels: Mapping[str, str], keys: tuple[str, ...], default: str) -> str:
    return next((labels[k] for k in keys if labels.get(k)), default)


def node_objects(seed: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    items = seed.get("items")
    if isinstance(items, list):
        yield from (i for i in items if isinstance(i, dict) and i.get("kind", "Node") == "Node" and "spec" in i)
        return
    yield from (n for n in seed.get("nodes", []) if isinstance(n, dict))


def seed_nodes(seed: Mapping[str, Any], default_zone: str) -> list[SeedNode]:
    """The seed's nodes; a missing label falls back to a sensible default instead of failing the drill."""
    nodes = []
    for obj in node_objects(seed):
        labels = obj.get("metadata", {}).get("labels", {}) or {}
        capacity = _first(labels, CAPACITY_LABELS, "spot").lower().replace("_", "-")
        nodes.append(
            SeedNode(
                name=str(obj["metadata"]["name"]),
                zone=_first(labels, ZONE_LABELS, default_zone),
                instance_type=_first(labels, TYPE_LABELS, "m5.large"),
                capacity_type="on-demand" if capacity.startswith("on") else "spot",
                node_group=_first(labels, GROUP_LABELS, DEFAULT_GROUP),
            )
        )
    return nodes


def provider_id(zone: str, instance_id: str) -> str:
    return f"aws:///{zone}/{instance_id}"


def with_provider_ids(seed: Mapping[str, Any], instance_of: Mapping[str, str], zone_of: Mapping[str, str]) -> Any:
    """A copy of the seed whose nodes point at the given instance ids (by node name)."""
    patched = copy.deepcopy(dict(seed))
    for obj in node_objects(patched):
        name = str(obj["metadata"]["name"])
        if name in instance_of:
            obj.setdefault("spec", {})["providerID"] = provider_id(zone_of[name], instance_of[name])
    return patched
