"""Small Kubernetes List documents for emulator tests: EKS-labelled nodes, owned pods, budgets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Obj = dict[str, Any]


def node(name: str, instance_id: str, zone: str = "eu-west-1a", cpu: str = "4", ready: bool = True) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "node.kubernetes.io/instance-type": "m5.xlarge",
                "topology.kubernetes.io/zone": zone,
                "eks.amazonaws.com/capacityType": "SPOT",
                "eks.amazonaws.com/nodegroup": "general",
            },
        },
        "spec": {"providerID": f"aws:///{zone}/{instance_id}"},
        "status": {
            "allocatable": {"cpu": cpu, "memory": "15Gi", "pods": "58"},
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        },
    }


def pod(
    namespace: str,
    name: str,
    node_name: str | None,
    labels: Mapping[str, str] | None = None,
    owner: tuple[str, str] | None = ("ReplicaSet", "web-6d4f8"),
    cpu: str = "500m",
    ready: bool = True,
) -> Obj:
    meta: Obj = {"name": name, "namespace": namespace, "labels": dict(labels or {})}
    if owner:
        meta["ownerReferences"] = [
            {"apiVersion": "apps/v1", "kind": owner[0], "name": owner[1], "uid": f"uid-{owner[1]}", "controller": True}
        ]
    spec: Obj = {"containers": [{"name": "app", "image": "app:1", "resources": {"requests": {"cpu": cpu}}}]}
    if node_name:
        spec["nodeName"] = node_name
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": spec,
        "status": {
            "phase": "Running" if node_name else "Pending",
            "conditions": [{"type": "Ready", "status": "True" if ready and node_name else "False"}],
        },
    }


def pdb(
    namespace: str,
    name: str,
    match_labels: Mapping[str, str],
    min_available: int | str | None = None,
    max_unavailable: int | str | None = None,
) -> Obj:
    spec: Obj = {"selector": {"matchLabels": dict(match_labels)}}
    if min_available is not None:
        spec["minAvailable"] = min_available
    if max_unavailable is not None:
        spec["maxUnavailable"] = max_unavailable
    meta = {"name": name, "namespace": namespace}
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": meta, "spec": spec}


def cluster(*items: Obj) -> Obj:
    return {"apiVersion": "v1", "kind": "List", "items": list(items)}


def web_cluster(
    replicas: int = 3, min_available: int | str | None = None, max_unavailable: int | str | None = None
) -> Obj:
    """Two spot nodes; `replicas` web pods on the first, a DaemonSet pod on each, one budget over web."""
    web = [pod("shop", f"web-6d4f8-{i:05d}", "node-a", {"app": "web"}) for i in range(replicas)]
    daemons = [
        pod("kube-system", f"aws-node-{n}", f"node-{n}", {"k8s-app": "aws-node"}, ("DaemonSet", "aws-node"), cpu="25m")
        for n in ("a", "b")
    ]
    return cluster(
        node("node-a", "i-0aaaaaaaaaaaaaaa1"),
        node("node-b", "i-0bbbbbbbbbbbbbbb2", zone="eu-west-1b"),
        *web,
        *daemons,
        pdb("shop", "web", {"app": "web"}, min_available, max_unavailable),
    )


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
