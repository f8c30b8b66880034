"""The nodes of the seeded cluster as the tenant registration needs them, read from its Kubernetes JSON.

The seed is a Kubernetes List (or a `{"nodes": [...], ...}` object); nodes carry the well-known EKS /
Karpenter labels. `with_provider_ids` rewrites each node's `spec.providerID` to the moto instance that
stands for it, so EC2, the registry and the Kubernetes API agree on every instance id. `with_oom_kill` gives one
sidecar the status of a container the kernel OOM-killed, so local mode has a container to remediate.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from cloudoptim.adapters.kube.quantity import parse_quantity

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


OOM_LIMIT_BYTES = 256 * 2**20  # a sidecar this small is what a burst of logs or traces OOM-kills in practice


def with_oom_kill(seed: Mapping[str, Any], finished_at: str = "2025-04-30T03:12:07Z") -> Any:
    """A copy of the seed where one container was OOM-killed once, as the kubelet reports it: restarted (running
    again, Ready), `lastState.terminated` with reason OOMKilled and exit code 137 (SIGKILL). The container is the
    first small-memory sidecar of a Deployment's pod (name order), so local mode's sweeps see OOM remediation."""
    patched = copy.deepcopy(dict(seed))
    pods = sorted(
        (i for i in patched.get("items") or [] if isinstance(i, dict) and i.get("kind") == "Pod"),
        key=lambda p: (p["metadata"].get("namespace", ""), p["metadata"]["name"]),
    )
    for pod in pods:
        owners = pod["metadata"].get("ownerReferences") or [{}]
        containers = (pod.get("spec") or {}).get("containers") or []
        victim = next((c for c in containers[1:] if _memory_limit(c) <= OOM_LIMIT_BYTES), None)
        if owners[0].get("kind") != "ReplicaSet" or victim is None:
            continue
        statuses: list[dict[str, Any]] = []
        for container in containers:
            image = str(container.get("image", ""))
            digest = hashlib.sha256(image.encode()).hexdigest()
            status: dict[str, Any] = {"name": container["name"], "ready": True, "started": True, "image": image,
                                      "imageID": f"{image.split(':')[0]}@sha256:{digest}", "restartCount": 0,
                                      "containerID": f"containerd://{digest[:32]}{len(statuses):032d}",
                                      "state": {"running": {"startedAt": finished_at}}}  # fmt: skip
            if container is victim:
                status["restartCount"] = 1
                status["lastState"] = {"terminated": {"reason": "OOMKilled", "exitCode": 137,
                                                      "finishedAt": finished_at}}  # fmt: skip
            statuses.append(status)
        pod.setdefault("status", {})["containerStatuses"] = statuses
        return patched
    return patched


def _memory_limit(container: Mapping[str, Any]) -> int:
    limit = ((container.get("resources") or {}).get("limits") or {}).get("memory")
    if limit is None:
        return 2**62
    return int(parse_quantity(str(limit), f"container {container.get('name')} memory limit"))
