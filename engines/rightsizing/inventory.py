"""What the cluster says about the workloads: pods with their containers, owners and OOM status, nodes, HPAs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

ContainerKind = Literal["container", "init", "sidecar"]
Resource = Literal["cpu", "memory"]
RESOURCES: tuple[Resource, Resource] = ("cpu", "memory")
OOM_KILLED = "OOMKilled"


@dataclass(frozen=True, slots=True)
class ContainerResources:
    """Requests and limits of one container; None where the spec leaves them unset."""

    cpu_request_cores: float | None = None
    cpu_limit_cores: float | None = None
    memory_request_bytes: int | None = None
    memory_limit_bytes: int | None = None

    def ceiling(self, resource: Resource) -> float | None:
        """The most the container is given today: the larger of request and limit (a limit caps usage)."""
        if resource == "cpu":
            values = (self.cpu_request_cores, self.cpu_limit_cores)
        else:
            values = (self.memory_request_bytes, self.memory_limit_bytes)
        present = [v for v in values if v is not None]
        return max(present) if present else None

    def merged(self, other: ContainerResources) -> ContainerResources:
        """The larger of each field: replicas of one template agree except during a rollout."""

        def bigger(a: float | None, b: float | None) -> float | None:
            return b if a is None else a if b is None else max(a, b)

        def bigger_int(a: int | None, b: int | None) -> int | None:
            return b if a is None else a if b is None else max(a, b)

        return ContainerResources(
            bigger(self.cpu_request_cores, other.cpu_request_cores),
            bigger(self.cpu_limit_cores, other.cpu_limit_cores),
            bigger_int(self.memory_request_bytes, other.memory_request_bytes),
            bigger_int(self.memory_limit_bytes, other.memory_limit_bytes),
        )


@dataclass(frozen=True, slots=True)
class ContainerStatus:
    """The part of a containerStatus that OOM remediation reads."""

    restart_count: int = 0
    last_termination_reason: str | None = None
    termination_reason: str | None = None

    @property
    def oom_killed(self) -> bool:
        return OOM_KILLED in (self.last_termination_reason, self.termination_reason)


@dataclass(frozen=True, slots=True)
class PodContainer:
    name: str
    kind: ContainerKind
    resources: ContainerResources
    status: ContainerStatus = ContainerStatus()


@dataclass(frozen=True, slots=True, order=True)
class WorkloadRef:
    """The controller a pod belongs to (Deployment/web); a bare pod is its own workload."""

    kind: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind}/{self.name}"


@dataclass(frozen=True, slots=True)
class Pod:
    namespace: str
    name: str
    owner: WorkloadRef
    containers: tuple[PodContainer, ...]
    node: str | None = None

    def container(self, name: str) -> PodContainer | None:
        return next((c for c in self.containers if c.name == name), None)


@dataclass(frozen=True, slots=True)
class Node:
    name: str
    allocatable_memory_bytes: int | None = None
    allocatable_cpu_cores: float | None = None


@dataclass(frozen=True, slots=True)
class Autoscaler:
    """A HorizontalPodAutoscaler: the workload it scales and the resources its metrics read.

    `resources` come from Resource metrics (every container); `container_resources` from ContainerResource
    metrics, as (container, resource) pairs.
    """

    namespace: str
    name: str
    target: WorkloadRef
    resources: frozenset[str] = frozenset()
    container_resources: frozenset[tuple[str, str]] = frozenset()

    def scales_on(self, container: str, resource: Resource) -> bool:
        return resource in self.resources or (container, resource) in self.container_resources


@dataclass(frozen=True, slots=True)
class WorkloadContainer:
    """One container of one workload, across its replicas: the unit a recommendation is made for."""

    namespace: str
    workload: WorkloadRef
    container: str
    kind: ContainerKind
    pods: tuple[Pod, ...]
    current: ContainerResources
    containers_in_pod: int

    @property
    def pod_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.pods)


@dataclass(frozen=True)
class Inventory:
    """Pods, nodes and HPAs of the cluster, with the queries the engine needs."""

    pods: tuple[Pod, ...] = ()
    nodes: Mapping[str, Node] = field(default_factory=dict)
    autoscalers: tuple[Autoscaler, ...] = ()

    def pod(self, namespace: str, name: str) -> Pod | None:
        return self._pods_by_name.get((namespace, name))

    def node(self, name: str | None) -> Node | None:
        return self.nodes.get(name) if name else None

    def autoscalers_of(self, namespace: str, workload: WorkloadRef) -> tuple[Autoscaler, ...]:
        return tuple(a for a in self.autoscalers if a.namespace == namespace and a.target == workload)

    def workload_containers(self) -> tuple[WorkloadContainer, ...]:
        """Every container of every workload (init containers and sidecars included), sorted by name."""
        groups: dict[tuple[str, WorkloadRef, str], list[tuple[Pod, PodContainer]]] = defaultdict(list)
        for pod in self.pods:
            for container in pod.containers:
                groups[(pod.namespace, pod.owner, container.name)].append((pod, container))
        out = []
        for (namespace, workload, name), members in sorted(groups.items()):
            _, first = members[0]
            current = first.resources
            for _, container in members[1:]:
                current = current.merged(container.resources)
            pods = tuple(sorted((pod for pod, _ in members), key=lambda p: p.name))
            out.append(
                WorkloadContainer(
                    namespace=namespace,
                    workload=workload,
                    container=name,
                    kind=first.kind,
                    pods=pods,
                    current=current,
                    containers_in_pod=max(len(pod.containers) for pod in pods),
                )
            )
        return tuple(out)

    @cached_property
    def _pods_by_name(self) -> dict[tuple[str, str], Pod]:
        return {(p.namespace, p.name): p for p in self.pods}
