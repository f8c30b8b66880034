"""The execution steps' ports in memory: a cluster of engine values (nodes, pods, budgets, owners) with the
Eviction API's budget rule and a scheduler that places an evicted controller-owned pod on the emptiest schedulable
node; Auto Scaling groups; a price book. Outcomes are read from the state, not from recorded calls."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

from cloudoptim.interruptions.kube import BudgetStatus, EvictionOutcome, EvictionResult, NodeStatus, PodRef
from cloudoptim.interruptions.ports import ClusterRecord, TenantRecord
from cloudoptim.optimization.execution.ports import LiveCluster, LiveWorkload
from engines.cluster.model import ClusterState, Node, Pod, Resources
from engines.execution.revalidate import ContainerNow, ContainerTarget

GIB = 1024**3


@dataclass
class FakeOwner:
    labels: dict[str, str]
    annotations: dict[str, str]
    replicas: int
    containers: dict[str, ContainerNow]


@dataclass
class FakeExecutionKube:
    nodes: dict[str, Node] = field(default_factory=dict)
    ready: dict[str, bool] = field(default_factory=dict)
    instances: dict[str, str] = field(default_factory=dict)
    pods: dict[str, Pod] = field(default_factory=dict)
    budgets: dict[str, int] = field(default_factory=dict)  # pod key prefix (namespace/app) -> disruptions allowed
    owners: dict[tuple[str, str, str], FakeOwner] = field(default_factory=dict)
    nodeclaims: dict[str, str] = field(default_factory=dict)  # claim name -> node name
    pdb_violations: int = 0

    def add_node(self, name: str, instance_id: str, instance_type: str = "m5.xlarge", cores: int = 4,
                 labels: Mapping[str, str] | None = None) -> None:  # fmt: skip
        allocatable = Resources(cores * 1000, 16 * GIB, 0, 110)
        self.nodes[name] = Node(name, instance_type, "eu-west-1a", "on-demand", allocatable, None, dict(labels or {}))
        self.ready[name], self.instances[name] = True, instance_id

    def add_pod(self, key: str, node: str, cpu_m: int = 500) -> None:
        namespace, name = key.split("/")
        app = name.rsplit("-", 1)[0]
        self.pods[key] = Pod(namespace, name, node, Resources(cpu_m, GIB, 0, 1), owner_kind="ReplicaSet",
                             owner_name=f"{app}-rs", labels={"app": app})  # fmt: skip

    # --- ExecutionKube ---
    def live(self) -> LiveCluster:
        return LiveCluster(ClusterState("eu-west-1", tuple(self.nodes.values()), tuple(self.pods.values()), ()),
                           dict(self.ready), dict(self.instances))  # fmt: skip

    def get_node(self, name: str) -> NodeStatus | None:
        node = self.nodes.get(name)
        if node is None:
            return None
        provider = f"aws:///eu-west-1a/{self.instances[name]}"
        return NodeStatus(name=name, ready=self.ready[name], unschedulable=node.unschedulable, provider_id=provider)

    def node_for_instance(self, instance_id: str) -> str | None:
        return next((n for n, i in self.instances.items() if i == instance_id), None)

    def cordon(self, name: str) -> NodeStatus:
        self.nodes[name] = dataclasses.replace(self.nodes[name], unschedulable=True)
        found = self.get_node(name)
        assert found is not None
        return found

    def uncordon(self, name: str) -> None:
        self.nodes[name] = dataclasses.replace(self.nodes[name], unschedulable=False)

    def pods_on_node(self, name: str) -> list[PodRef]:
        return [PodRef(namespace=p.namespace, name=p.name, node_name=p.node, owner_kind=p.owner_kind,
                       owner_name=p.owner_name, ready=True) for p in self.pods.values() if p.node == name]  # fmt: skip

    def evict(self, namespace: str, name: str, grace_seconds: int | None = None) -> EvictionOutcome:
        key = f"{namespace}/{name}"
        pod = self.pods.get(key)
        if pod is None:
            return EvictionOutcome(namespace=namespace, name=name, result=EvictionResult.GONE)
        budget = f"{namespace}/{pod.labels.get('app')}"
        if self.budgets.get(budget, 1) <= 0:
            return EvictionOutcome(namespace=namespace, name=name, result=EvictionResult.BLOCKED_BY_PDB)
        if budget in self.budgets:
            self.budgets[budget] -= 1  # given back once the pod runs again elsewhere (below)
        target = self._schedulable(pod)
        self.pods[key] = dataclasses.replace(pod, node=target)
        if budget in self.budgets and target is not None:
            self.budgets[budget] += 1
        return EvictionOutcome(namespace=namespace, name=name, result=EvictionResult.EVICTED)

    def _schedulable(self, pod: Pod) -> str | None:
        load = {n: sum(p.requests.cpu_m for p in self.pods.values() if p.node == n) for n in self.nodes}
        fits = [n for n, node in self.nodes.items() if not node.unschedulable and self.ready[n]
                and load[n] + pod.requests.cpu_m <= node.allocatable.cpu_m]  # fmt: skip
        return min(fits, key=lambda n: load[n]) if fits else None

    def pdbs(self) -> list[BudgetStatus]:
        return []  # budgets are counted in `budgets` (the Eviction API answers from them)

    def workload(self, kind: str, namespace: str, name: str) -> LiveWorkload | None:
        owner = self.owners.get((kind, namespace, name))
        if owner is None:
            return None
        return LiveWorkload(owner.labels, owner.annotations, owner.replicas, dict(owner.containers))

    def patch_container(self, kind: str, namespace: str, name: str, container: str, target: ContainerTarget) -> None:
        owner = self.owners[(kind, namespace, name)]
        now = owner.containers[container]
        owner.containers[container] = ContainerNow(
            target.cpu_request_cores if target.cpu_request_cores is not None else now.cpu_request_cores,
            target.memory_request_bytes if target.memory_request_bytes is not None else now.memory_request_bytes,
            target.memory_limit_bytes if target.memory_limit_bytes is not None else now.memory_limit_bytes,
        )

    def delete_nodeclaim(self, node_name: str) -> bool:
        claim = next((c for c, n in self.nodeclaims.items() if n == node_name), None)
        if claim is None:
            return False
        del self.nodeclaims[claim]
        self.remove_node(node_name)
        return True

    def remove_node(self, name: str) -> None:
        self.nodes.pop(name, None)
        self.ready.pop(name, None)
        self.instances.pop(name, None)

    def execution(self, tenant: TenantRecord, cluster: ClusterRecord, region: str) -> FakeExecutionKube:
        return self


@dataclass
class FakeFleet:
    """Auto Scaling groups by name with their instances and desired capacity; terminating leaves the cluster too."""

    kube: FakeExecutionKube
    groups: dict[str, list[str]] = field(default_factory=dict)
    desired: dict[str, int] = field(default_factory=dict)
    tags: dict[str, dict[str, str]] = field(default_factory=dict)

    def group_of(self, instance_id: str) -> str | None:
        return next((g for g, members in self.groups.items() if instance_id in members), None)

    def terminate_in_group(self, instance_id: str) -> bool:
        group = self.group_of(instance_id)
        if group is None:
            return False
        self.groups[group].remove(instance_id)
        self.desired[group] -= 1
        node = self.kube.node_for_instance(instance_id)
        if node:
            self.kube.remove_node(node)
        return True

    def tags_of(self, instance_id: str) -> Mapping[str, str] | None:
        return self.tags.get(instance_id)

    def fleet(self, tenant: TenantRecord, region: str) -> FakeFleet:
        return self


@dataclass(frozen=True)
class FlatPrices:
    per_type: Mapping[str, float]

    def price(self, instance_type: str, zone: str, capacity_type: str) -> float | None:
        return self.per_type.get(instance_type)
