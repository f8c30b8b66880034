"""`kubectl get pods,nodes,hpa -A -o json` as the rightsizing engine's Inventory.

Pods give containers, init containers and native sidecars (init containers with restartPolicy Always) with their
requests, limits and last termination; nodes their allocatable memory; HPAs (autoscaling/v2, or v1's CPU target)
the workload and resources they scale on. A pod's workload comes from its controller ownerReference: a
ReplicaSet named `<deployment>-<pod-template-hash>` stands for that Deployment.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from cloudoptim.adapters.kube.documents import KubeObjects, read_objects
from cloudoptim.adapters.kube.quantity import cpu_millicores, memory_bytes
from cloudoptim.errors import InputFileError
from engines.rightsizing.inventory import (
    Autoscaler,
    ContainerKind,
    ContainerResources,
    ContainerStatus,
    Inventory,
    Node,
    Pod,
    PodContainer,
    WorkloadRef,
)

_HASH = re.compile(r"^[a-z0-9]{5,10}$")


def load_inventory(path: Path) -> Inventory:
    """Pods, nodes and HPAs of the file (JSON or YAML, Lists or typed lists, several documents); other kinds are
    ignored."""
    return inventory_of(read_objects(path), str(path))


def inventory_of(objects: KubeObjects, source: str) -> Inventory:
    """The Inventory of objects already read (a cluster file serves consolidation and rightsizing alike)."""
    path = source
    pods, nodes, autoscalers = [], {}, []
    for item in objects.objects:
        where = f"{path}: {item.where}"
        if item.kind == "Pod":
            pods.append(_pod(item.body, where))
        elif item.kind == "Node":
            node = _node(item.body, where)
            nodes[node.name] = node
        elif item.kind == "HorizontalPodAutoscaler":
            autoscalers.append(_autoscaler(item.body, where))
    if not pods:
        raise InputFileError(f"{path}: no Pod in the list (found {objects.describe()})")
    return Inventory(tuple(pods), nodes, tuple(autoscalers))


def _pod(item: dict[str, Any], where: str) -> Pod:
    metadata = _dict(item.get("metadata"), f"{where}.metadata")
    name, namespace = _name(metadata, where), str(metadata.get("namespace") or "default")
    where = f"{where} (pod {namespace}/{name})"
    spec = _dict(item.get("spec"), f"{where}.spec")
    status = _dict(item.get("status"), f"{where}.status")
    statuses = {
        str(s.get("name")): _status(s)
        for block in ("containerStatuses", "initContainerStatuses")
        for s in (_dict(x, f"{where}.status.{block}") for x in _list(status.get(block), f"{where}.status.{block}"))
    }
    containers = []
    for block in ("initContainers", "containers"):
        for index, raw in enumerate(_list(spec.get(block), f"{where}.spec.{block}")):
            container = _dict(raw, f"{where}.spec.{block}[{index}]")
            cname = str(container.get("name") or "")
            if not cname:
                raise InputFileError(f"{where}.spec.{block}[{index}]: container has no name")
            kind: ContainerKind = "container" if block == "containers" else "init"
            if block == "initContainers" and container.get("restartPolicy") == "Always":
                kind = "sidecar"  # a native sidecar runs beside the app for the pod's whole life
            resources = _resources(container.get("resources"), f"{where}.spec.{block}[{index}].resources")
            containers.append(PodContainer(cname, kind, resources, statuses.get(cname, ContainerStatus())))
    if not containers:
        raise InputFileError(f"{where}: spec.containers is empty")
    return Pod(namespace, name, _owner(metadata, name, where), tuple(containers), spec.get("nodeName") or None)


def _owner(metadata: dict[str, Any], pod: str, where: str) -> WorkloadRef:
    references = [_dict(r, f"{where}.metadata.ownerReferences") for r in _list(metadata.get("ownerReferences"), where)]
    controller = next((r for r in references if r.get("controller")), references[0] if references else None)
    if controller is None:
        return WorkloadRef("Pod", pod)
    kind, name = str(controller.get("kind") or ""), str(controller.get("name") or "")
    if not kind or not name:
        raise InputFileError(f"{where}: ownerReference without kind or name")
    if kind == "ReplicaSet":
        labels = _dict(metadata.get("labels"), f"{where}.metadata.labels")
        template_hash = str(labels.get("pod-template-hash") or "")
        base, _, suffix = name.rpartition("-")
        if base and (suffix == template_hash or (not template_hash and _HASH.match(suffix))):
            return WorkloadRef("Deployment", base)
    return WorkloadRef(kind, name)


def _resources(block: Any, where: str) -> ContainerResources:
    block = _dict(block, where)
    requests = _dict(block.get("requests"), f"{where}.requests")
    limits = _dict(block.get("limits"), f"{where}.limits")
    # Kubernetes defaults an unset request to the limit.
    requests = {**limits, **requests}

    def cores(values: dict[str, Any], what: str) -> float | None:
        return cpu_millicores(values["cpu"], f"{where}.{what}.cpu") / 1000 if "cpu" in values else None

    def size(values: dict[str, Any], what: str) -> int | None:
        return memory_bytes(values["memory"], f"{where}.{what}.memory") if "memory" in values else None

    return ContainerResources(
        cores(requests, "requests"), cores(limits, "limits"), size(requests, "requests"), size(limits, "limits")
    )


def _status(raw: dict[str, Any]) -> ContainerStatus:
    def reason(state: Any) -> str | None:
        terminated = state.get("terminated") if isinstance(state, dict) else None
        return str(terminated.get("reason")) if isinstance(terminated, dict) and terminated.get("reason") else None

    restarts = raw.get("restartCount", 0)
    return ContainerStatus(
        restart_count=restarts if isinstance(restarts, int) and restarts >= 0 else 0,
        last_termination_reason=reason(raw.get("lastState")),
        termination_reason=reason(raw.get("state")),
    )


def _node(item: dict[str, Any], where: str) -> Node:
    metadata = _dict(item.get("metadata"), f"{where}.metadata")
    name = _name(metadata, where)
    allocatable = _dict(_dict(item.get("status"), f"{where}.status").get("allocatable"), f"{where}.allocatable")
    memory = (
        memory_bytes(allocatable["memory"], f"{where} (node {name}).allocatable.memory")
        if "memory" in allocatable
        else None
    )
    cpu = (
        cpu_millicores(allocatable["cpu"], f"{where} (node {name}).allocatable.cpu") / 1000
        if "cpu" in allocatable
        else None
    )
    return Node(name, memory, cpu)


def _autoscaler(item: dict[str, Any], where: str) -> Autoscaler:
    metadata = _dict(item.get("metadata"), f"{where}.metadata")
    name, namespace = _name(metadata, where), str(metadata.get("namespace") or "default")
    spec = _dict(item.get("spec"), f"{where} (hpa {namespace}/{name}).spec")
    target = _dict(spec.get("scaleTargetRef"), f"{where}.spec.scaleTargetRef")
    if not target.get("kind") or not target.get("name"):
        raise InputFileError(f"{where} (hpa {namespace}/{name}): scaleTargetRef needs kind and name")
    resources: set[str] = {"cpu"} if spec.get("targetCPUUtilizationPercentage") is not None else set()
    per_container: set[tuple[str, str]] = set()
    for metric in _list(spec.get("metrics"), f"{where}.spec.metrics"):
        metric = _dict(metric, f"{where}.spec.metrics")
        if metric.get("type") == "Resource":
            resources.add(str(_dict(metric.get("resource"), f"{where}.resource").get("name")))
        elif metric.get("type") == "ContainerResource":
            block = _dict(metric.get("containerResource"), f"{where}.containerResource")
            per_container.add((str(block.get("container")), str(block.get("name"))))
    ref = WorkloadRef(str(target["kind"]), str(target["name"]))
    return Autoscaler(namespace, name, ref, frozenset(resources), frozenset(per_container))


def _name(metadata: dict[str, Any], where: str) -> str:
    name = metadata.get("name")
    if not isinstance(name, str) or not name:
        raise InputFileError(f"{where}: metadata.name is missing")
    return name


def _dict(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputFileError(f"{where}: expected an object, got {type(value).__name__}")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InputFileError(f"{where}: expected a list, got {type(value).__name__}")
    return value
