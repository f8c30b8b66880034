"""An in-memory KubePort for handler tests: nodes, pods and PodDisruptionBudgets with the API's eviction rules.

It records what happened (cordons, eviction outcomes, replacement pods) so tests assert outcomes, and injects
errors per operation:

>>> kube = FakeKube()
>>> _ = kube.add_node("n1", instance_id="i-0123456789abcdef0")
>>> _ = kube.add_node("n2")
>>> kube.add_pod("web", "web-1", "n1", labels={"app": "web"}); kube.add_pod("web", "web-2", "n2", labels={"app": "web"})
>>> kube.add_pdb("web", "web", {"app": "web"}, min_available=2)
>>> kube.evict("web", "web-1").result.value
'blocked_by_pdb'
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field

from cloudoptim.errors import KubeNotFoundError
from cloudoptim.interruptions.kube import BudgetStatus, EvictionOutcome, EvictionResult, NodeStatus, PodRef
from engines.cluster.budget import BudgetCount, count, may_evict, refusal_message

CONTROLLED_KINDS = frozenset({"ReplicaSet", "StatefulSet", "Job", "ReplicationController"})
OPERATIONS = ("get_node", "node_for_instance", "cordon", "pods_on_node", "evict", "pdbs")


@dataclass(frozen=True)
class FakeBudget:
    namespace: str
    name: str
    match_labels: Mapping[str, str]
    min_available: int | str | None = None
    max_unavailable: int | str | None = None


@dataclass
class FakeKube:
    """KubePort in memory. Evicted controller-owned pods come back on another Ready schedulable node."""

    recreate_evicted: bool = True
    replacements_ready: bool = True  # False: replacements stay unready until mark_ready()
    nodes: dict[str, NodeStatus] = field(default_factory=dict)
    pods: dict[tuple[str, str], PodRef] = field(default_factory=dict)
    pod_labels: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    budgets: list[FakeBudget] = field(default_factory=list)
    # What happened, in order.
    cordoned: list[str] = field(default_factory=list)
    evictions: list[EvictionOutcome] = field(default_factory=list)
    recreated: list[PodRef] = field(default_factory=list)
    _errors: dict[str, list[Exception]] = field(default_factory=dict)
    _serial: itertools.count[int] = field(default_factory=itertools.count)

    # --- building the cluster -------------------------------------------------------------------------------
    def add_node(
        self,
        name: str,
        instance_id: str | None = None,
        zone: str = "eu-west-1a",
        ready: bool = True,
        unschedulable: bool = False,
        labels: Mapping[str, str] | None = None,
    ) -> NodeStatus:
        instance_id = instance_id or f"i-{next(self._serial):017x}"
        node = NodeStatus(
            name=name,
            ready=ready,
            unschedulable=unschedulable,
            labels={"topology.kubernetes.io/zone": zone, **(labels or {})},
            provider_id=f"aws:///{zone}/{instance_id}",
        )
        self.nodes[name] = node
        return node

    def add_pod(
        self,
        namespace: str,
        name: str,
        node: str | None,
        labels: Mapping[str, str] | None = None,
        owner_kind: str | None = "ReplicaSet",
        owner_name: str | None = None,
        phase: str = "Running",
        ready: bool = True,
        mirror: bool = False,
        local_storage: bool = False,
    ) -> None:
        owner = owner_name or (f"{name.rsplit('-', 1)[0]}-rs" if owner_kind else None)
        self.pods[(namespace, name)] = PodRef(
            namespace=namespace,
            name=name,
            node_name=node,
            owner_kind=owner_kind,
            owner_name=owner,
            phase=phase,
            ready=ready,
            mirror=mirror,
            local_storage=local_storage,
        )
        self.pod_labels[(namespace, name)] = dict(labels or {})

    def add_pdb(
        self,
        namespace: str,
        name: str,
        match_labels: Mapping[str, str],
        min_available: int | str | None = None,
        max_unavailable: int | str | None = None,
    ) -> None:
        self.budgets.append(FakeBudget(namespace, name, dict(match_labels), min_available, max_unavailable))

    def set_node(self, name: str, *, ready: bool | None = None, unschedulable: bool | None = None) -> None:
        node = self.nodes[name]
        changes = {"ready": ready, "unschedulable": unschedulable}
        self.nodes[name] = node.model_copy(update={k: v for k, v in changes.items() if v is not None})

    def mark_ready(self) -> None:
        """Every scheduled running pod becomes Ready (the replacements' readiness probes passed)."""
        for key, pod in self.pods.items():
            if pod.node_name and pod.phase == "Running":
                self.pods[key] = pod.model_copy(update={"ready": True})

    def fail(self, operation: str, error: Exception, times: int = 1) -> None:
        """The next `times` calls of `operation` (a KubePort method name) raise `error`."""
        if operation not in OPERATIONS:
            raise ValueError(f"unknown operation {operation!r}; one of {OPERATIONS}")
        self._errors.setdefault(operation, []).extend([error] * times)

    # --- KubePort -------------------------------------------------------------------------------------------
    def get_node(self, name: str) -> NodeStatus | None:
        self._raise_injected("get_node")
        return self.nodes.get(name)

    def node_for_instance(self, instance_id: str) -> str | None:
        self._raise_injected("node_for_instance")
        return next((n.name for n in self.nodes.values() if n.instance_id == instance_id), None)

    def cordon(self, name: str) -> NodeStatus:
        self._raise_injected("cordon")
        if name not in self.nodes:
            raise KubeNotFoundError(f"cordon node {name}: HTTP 404 nodes {name!r} not found")
        self.set_node(name, unschedulable=True)
        self.cordoned.append(name)
        return self.nodes[name]

    def pods_on_node(self, name: str) -> list[PodRef]:
        self._raise_injected("pods_on_node")
        return [p for p in self.pods.values() if p.node_name == name]

    def evict(self, namespace: str, name: str, grace_seconds: int | None = None) -> EvictionOutcome:
        self._raise_injected("evict")
        pod = self.pods.get((namespace, name))
        if pod is None:
            return self._record(EvictionOutcome(namespace=namespace, name=name, result=EvictionResult.GONE))
        for budget in self._budgets_of(pod):
            status = self._count(budget)
            if not may_evict(status, pod.phase, pod.ready):
                message = refusal_message(budget.name, status)
                outcome = EvictionOutcome(
                    namespace=namespace, name=name, result=EvictionResult.BLOCKED_BY_PDB, message=message
                )
                return self._record(outcome)
        labels = self.pod_labels.pop((namespace, name))
        del self.pods[(namespace, name)]
        if self.recreate_evicted and pod.owner_kind in CONTROLLED_KINDS:
            self._recreate(pod, labels)
        return self._record(EvictionOutcome(namespace=namespace, name=name, result=EvictionResult.EVICTED))

    def pdbs(self) -> list[BudgetStatus]:
        self._raise_injected("pdbs")
        found = []
        for budget in self.budgets:
            status = self._count(budget)
            found.append(
                BudgetStatus(
                    namespace=budget.namespace,
                    name=budget.name,
                    min_available=budget.min_available,
                    max_unavailable=budget.max_unavailable,
                    match_labels=dict(budget.match_labels),
                    expected_pods=status.expected,
                    current_healthy=status.healthy,
                    desired_healthy=status.desired,
                    disruptions_allowed=status.disruptions_allowed,
                )
            )
        return found

    # --- internals ------------------------------------------------------------------------------------------
    def _raise_injected(self, operation: str) -> None:
        pending = self._errors.get(operation)
        if pending:
            raise pending.pop(0)

    def _record(self, outcome: EvictionOutcome) -> EvictionOutcome:
        self.evictions.append(outcome)
        return outcome

    def _matches(self, budget: FakeBudget, key: tuple[str, str]) -> bool:
        labels = self.pod_labels[key]
        return key[0] == budget.namespace and all(labels.get(k) == v for k, v in budget.match_labels.items())

    def _budgets_of(self, pod: PodRef) -> list[FakeBudget]:
        return [b for b in self.budgets if self._matches(b, (pod.namespace, pod.name))]

    def _count(self, budget: FakeBudget) -> BudgetCount:
        matched = [p for k, p in self.pods.items() if self._matches(budget, k) and not p.terminal]
        healthy = sum(1 for p in matched if p.ready)
        return count(budget.min_available, budget.max_unavailable, len(matched), healthy)

    def _recreate(self, pod: PodRef, labels: dict[str, str]) -> None:
        target = next(
            (n.name for n in self.nodes.values() if n.ready and not n.unschedulable and n.name != pod.node_name),
            None,
        )
        name = f"{pod.owner_name or pod.name}-{next(self._serial):05x}"
        replacement = replace_pod(pod, name, target, ready=self.replacements_ready and target is not None)
        self.pods[(pod.namespace, name)] = replacement
        self.pod_labels[(pod.namespace, name)] = labels
        self.recreated.append(replacement)


def replace_pod(pod: PodRef, name: str, node: str | None, ready: bool) -> PodRef:
    """The controller's new pod: same owner, Pending until a node takes it."""
    return pod.model_copy(
        update={"name": name, "node_name": node, "ready": ready, "phase": "Running" if node else "Pending"}
    )


__all__ = ["FakeBudget", "FakeKube", "replace_pod"]
