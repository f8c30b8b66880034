"""Workload rightsizing applied to the cluster: new container requests, each memory request at least its peak.

The rightsizing engine answers per workload container; the cluster model holds one effective request per pod
(app containers and native sidecars together, or the largest classic init container if larger, as kube-scheduler
computes it). A pod's new request is its old one plus the change of that effective request, so the pod overhead
and every other resource stay as the cluster file gave them.

Memory is incompressible: whatever the strategy says, no container's memory request ends below the peak the
window saw for any of its replicas (a usage the sanity checks refuse as impossible is not a peak).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace

from engines.cluster.model import ClusterState, Pod
from engines.cluster.resources import Resources
from engines.rightsizing.inventory import Inventory, PodContainer
from engines.rightsizing.inventory import Pod as InventoryPod
from engines.rightsizing.result import RightsizeResult
from engines.rightsizing.sanity import implausible, largest_node
from engines.rightsizing.usage import ContainerKey, UsageData


@dataclass(frozen=True, slots=True)
class NewRequest:
    """One container's requests after the sweep (the same as today where nothing changed)."""

    namespace: str
    pod: str
    container: str
    cpu_request_cores: float
    memory_request_bytes: int
    changed: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Resized:
    """The cluster with the new requests, one row per container, and the peak each memory request must cover."""

    state: ClusterState
    requests: tuple[NewRequest, ...]
    peaks: Mapping[ContainerKey, int]


def apply_requests(state: ClusterState, inventory: Inventory, result: RightsizeResult, window: UsageData) -> Resized:
    """`window`: the usage the rightsizing read (already cut to its window), for the memory peaks."""
    chosen = _chosen(result)
    peaks = real_peaks(inventory, window)
    rows: list[NewRequest] = []
    new_pods: dict[str, Pod] = {}
    by_key = {p.key: p for p in state.pods}
    for pod in inventory.pods:
        mine = [_row(pod, c, chosen.get((pod.namespace, pod.name, c.name)), peaks) for c in pod.containers]
        rows += mine
        after = [(c, r.cpu_request_cores, r.memory_request_bytes) for c, r in zip(pod.containers, mine, strict=True)]
        current = by_key.get(f"{pod.namespace}/{pod.name}")
        if current is not None and any(r.changed for r in mine):
            new_pods[current.key] = replace(current, requests=_moved(current.requests, pod, after))
    pods = tuple(new_pods.get(p.key, p) for p in state.pods)
    return Resized(replace(state, pods=pods), tuple(rows), peaks)


def _chosen(result: RightsizeResult) -> dict[tuple[str, str, str], tuple[float | None, int | None, str]]:
    """(namespace, pod, container) -> (cores, bytes, why) the rightsizing recommends (None: leave as is)."""
    out = {}
    for rec in result.recommendations:
        why = "; ".join(rec.reasons)
        for pod in rec.pods:
            out[(rec.namespace, pod, rec.container)] = (rec.cpu_request_cores, rec.memory_request_bytes, why)
    return out


def real_peaks(inventory: Inventory, window: UsageData) -> dict[ContainerKey, int]:
    """Per container, the largest memory sample of the window that the sanity checks accept as real."""
    largest = largest_node(list(inventory.nodes.values()), "memory")
    peaks = {}
    for key, series in window.memory.items():
        pod = inventory.pod(key.namespace, key.pod)
        if not len(series) or pod is None:
            continue
        if implausible(series, "memory", inventory.node(pod.node), largest) is None:
            peaks[key] = math.ceil(series.peak)
    return peaks


def _row(
    pod: InventoryPod,
    container: PodContainer,
    chosen: tuple[float | None, int | None, str] | None,
    peaks: Mapping[ContainerKey, int],
) -> NewRequest:
    cpu_now, memory_now = _requested(container)
    cpu, memory, reasons = cpu_now, memory_now, []
    if chosen is not None:
        cores, size, why = chosen
        cpu = cpu_now if cores is None else cores
        memory = memory_now if size is None else size
        reasons.append(why)
    peak = peaks.get(ContainerKey(pod.namespace, pod.name, container.name))
    if peak is not None and memory < peak:
        reasons.append(f"memory raised to the observed peak {peak} bytes (the request was {memory})")
        memory = peak
    changed = math.ceil(cpu * 1000) != math.ceil(cpu_now * 1000) or memory != memory_now
    return NewRequest(pod.namespace, pod.name, container.name, cpu, memory, changed, tuple(reasons))


def _requested(container: PodContainer) -> tuple[float, int]:
    """What the scheduler counts today: the request, else the limit (Kubernetes defaults one to the other)."""
    r = container.resources
    cpu = r.cpu_request_cores if r.cpu_request_cores is not None else r.cpu_limit_cores
    memory = r.memory_request_bytes if r.memory_request_bytes is not None else r.memory_limit_bytes
    return cpu or 0.0, memory or 0


def _effective(pod: InventoryPod, sizes: list[tuple[PodContainer, float, int]]) -> Resources:
    running, init = Resources(), Resources()
    for container, cores, size in sizes:
        need = Resources(math.ceil(cores * 1000), size)
        if container.kind == "init":
            init = init.maximum(need)
        else:
            running = running + need
    return running.maximum(init)


def _moved(requests: Resources, pod: InventoryPod, after: list[tuple[PodContainer, float, int]]) -> Resources:
    before = [(c, *_requested(c)) for c, _, _ in after]
    return requests + _effective(pod, after) - _effective(pod, before)
