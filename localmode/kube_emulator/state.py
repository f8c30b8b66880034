"""The emulated cluster's objects and the controllers acting on them; the caller holds the lock.

Readiness flips (a booting node, a starting replacement pod) are due times applied by `tick()` at the start of
every operation, so behaviour follows the injected clock and no background thread is needed.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Literal

from engines.cluster import budget
from engines.cluster.model import Resources
from localmode.kube_emulator.objects import Obj, is_ready, not_found, now_iso, set_ready
from localmode.kube_emulator.rollout import Controllers, daemonset, deployment, statefulset
from localmode.kube_emulator.scheduling import (
    REPLACED_KINDS,
    choose_node,
    is_terminal,
    owner,
    owner_kind,
    replacement,
    requests_of,
)
from localmode.kube_emulator.selectors import budget_selector
from localmode.kube_emulator.workloads import KINDS, Workloads, autoscale, new_pod, pinned

PodKey = tuple[str, str]
Key = tuple[str, str, str]
Removal = Literal["eviction", "delete", "node-deletion"]


@dataclass
class EmulatorStats:
    evictions_granted: int = 0
    evictions_refused: int = 0  # 429 by a disruption budget
    # A healthy pod left while its budget ended below its desired healthy count, counted every time and on every
    # path a pod leaves: a granted eviction, a DELETE, its node's deletion (the Spot reclaim). Must stay 0.
    pdb_violations: int = 0
    pdb_violations_by_eviction: int = 0
    pdb_violations_by_delete: int = 0
    pdb_violations_by_node_deletion: int = 0
    pods_recreated: int = 0
    pods_scheduled: int = 0
    pods_rolled: int = 0  # old pods a Deployment or StatefulSet rollout replaced (not evictions: no budget applies)

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass
class ClusterState:
    clock: Callable[[], float]
    pod_ready_seconds: float
    stats: EmulatorStats = field(default_factory=EmulatorStats)
    nodes: dict[str, Obj] = field(default_factory=dict)
    pods: dict[PodKey, Obj] = field(default_factory=dict)
    pdbs: dict[PodKey, Obj] = field(default_factory=dict)
    node_ready_at: dict[str, float] = field(default_factory=dict)
    pod_ready_at: dict[PodKey, float] = field(default_factory=dict)
    daemonsets: dict[PodKey, Obj] = field(default_factory=dict)  # (namespace, DaemonSet) -> a pod to stamp on new nodes
    serial: int = 0
    request_cache: dict[str, Resources] = field(default_factory=dict)
    workloads: Workloads = field(default_factory=Workloads)

    def load(self, item: Obj) -> None:
        kind, meta = item.get("kind"), item.setdefault("metadata", {})
        if kind == "Node":
            self.put_node(item)
        elif kind == "Pod" or (kind is None and "containers" in item.get("spec", {})):
            item.setdefault("kind", "Pod")
            item.setdefault("apiVersion", "v1")
            key = (meta.setdefault("namespace", "default"), meta["name"])
            self.stamp(item)
            self.pods[key] = item
            if owner_kind(item) == "DaemonSet":
                self.daemonsets.setdefault((key[0], str((owner(item) or {}).get("name"))), item)
        elif kind == "PodDisruptionBudget":
            self.stamp(item)
            self.pdbs[(meta.setdefault("namespace", "default"), meta["name"])] = item
        elif kind in KINDS:
            self.stamp(item)
            self.workloads.add(item)

    def put_node(self, node: Obj) -> None:
        self.stamp(node)
        name = node["metadata"]["name"]
        is_new = name not in self.nodes
        self.nodes[name] = node
        if is_new:
            self.stamp_daemonsets(name)

    def stamp(self, obj: Obj) -> None:
        meta = obj["metadata"]
        serial = self.next_serial()
        meta.setdefault("uid", f"emulated-{serial:012d}")
        meta.setdefault("creationTimestamp", now_iso())
        meta["resourceVersion"] = str(serial)

    def next_serial(self) -> int:
        self.serial += 1
        return self.serial

    def stamp_daemonsets(self, node_name: str) -> None:
        """A new node gets one pod of every DaemonSet: from its template as it is now (a pod of it, for one known
        only from its pods' ownerReferences)."""
        for obj in self.workloads.daemonsets.values():
            self._place(obj, self.workloads.revision(obj), node_name)
        for (namespace, name), template in self.daemonsets.items():
            if (namespace, name) not in self.workloads.daemonsets:
                pod = pinned(replacement(template, self.next_serial()), node_name)
                self.pods[(namespace, pod["metadata"]["name"])] = pod
                self.stamp(pod)

    def node(self, name: str) -> Obj:
        if name not in self.nodes:
            raise not_found("nodes", name)
        return self.nodes[name]

    def pod(self, key: PodKey) -> Obj:
        if key not in self.pods:
            raise not_found("pods", key[1])
        return self.pods[key]

    def remove_pod(self, key: PodKey, cause: Removal) -> None:
        """A pod leaves (evicted, deleted, or with its node); its controller replaces it. A healthy pod leaving
        while a budget that guards it ends up below its desired count is a violation, whatever the path."""
        pod = self.pods[key]
        healthy = is_ready(pod) and not is_terminal(pod) and not pod["metadata"].get("deletionTimestamp")
        guarding = [k for k in self.pdbs if k[0] == key[0] and self.guards(self.pdbs[k], pod)] if healthy else []
        del self.pods[key]
        self.pod_ready_at.pop(key, None)
        for budget_key in guarding:
            after = self.count(budget_key)
            if after.healthy < after.desired:
                self.stats.pdb_violations += 1
                field_name = f"pdb_violations_by_{cause.replace('-', '_')}"
                setattr(self.stats, field_name, getattr(self.stats, field_name) + 1)
        if self.controller_of(pod) is not None and not is_terminal(pod):
            self.stats.pods_recreated += 1
            self.reconcile()  # its Deployment or StatefulSet makes the replacement from the template as it is now
            self.schedule()
        elif owner_kind(pod) in REPLACED_KINDS and not is_terminal(pod):
            fresh = replacement(pod, self.next_serial())
            self.stamp(fresh)
            self.pods[(key[0], fresh["metadata"]["name"])] = fresh
            self.stats.pods_recreated += 1
            self.schedule()

    def guards(self, pdb: Obj, pod: Obj) -> bool:
        return budget_selector(pdb.get("spec") or {})(pod.get("metadata", {}).get("labels") or {})

    def count(self, key: PodKey) -> budget.BudgetCount:
        pdb = self.pdbs[key]
        spec = pdb.get("spec") or {}
        matched = [p for (ns, _), p in self.pods.items() if ns == key[0] and not is_terminal(p) and self.guards(pdb, p)]
        healthy = sum(1 for p in matched if is_ready(p) and not p["metadata"].get("deletionTimestamp"))
        return budget.count(spec.get("minAvailable"), spec.get("maxUnavailable"), len(matched), healthy)

    def with_status(self, key: PodKey) -> Obj:
        pdb = copy.deepcopy(self.pdbs[key])
        status = self.count(key)
        pdb["status"] = {
            "observedGeneration": pdb["metadata"].get("generation", 1),
            "expectedPods": status.expected,
            "currentHealthy": status.healthy,
            "desiredHealthy": status.desired,
            "disruptionsAllowed": status.disruptions_allowed,
        }
        return pdb

    def controller_of(self, pod: Obj) -> Key | None:
        """The (kind, namespace, name) of the Deployment or StatefulSet object that owns `pod`, if one exists."""
        reference, namespace = owner(pod) or {}, str(pod["metadata"].get("namespace", "default"))
        name = str(reference.get("name", ""))
        if reference.get("kind") == "ReplicaSet" and (namespace, name) in self.workloads.replicasets:
            return ("Deployment", namespace, self.workloads.replicasets[(namespace, name)])
        if reference.get("kind") == "StatefulSet" and (namespace, name) in self.workloads.statefulsets:
            return ("StatefulSet", namespace, name)
        return None

    def reconcile(self) -> None:
        """Autoscalers move their targets; Deployments and StatefulSets get exactly spec.replicas pods, rolled to
        their template as it is now (localmode.kube_emulator.rollout)."""
        autoscale(self.workloads)
        controllers = Controllers(self.pods, self.workloads, self._create, self._drop, self._place)
        for key, obj in list(self.workloads.deployments.items()):
            deployment(controllers, key, obj)
        for key, obj in list(self.workloads.statefulsets.items()):
            statefulset(controllers, key, obj)
        for key, obj in list(self.workloads.daemonsets.items()):
            daemonset(controllers, key, obj)

    def _create(self, obj: Obj, ordinal: int | None, revision: str) -> None:
        pod = new_pod(obj, self.next_serial(), ordinal, revision)
        self.pods[(obj["metadata"]["namespace"], pod["metadata"]["name"])] = pod
        self.stamp(pod)

    def _place(self, obj: Obj, revision: str, node: str) -> None:
        pod = pinned(new_pod(obj, self.next_serial(), None, revision), node)
        self.pods[(obj["metadata"]["namespace"], pod["metadata"]["name"])] = pod
        self.stamp(pod)

    def _drop(self, key: PodKey, rolled: bool) -> None:
        if key in self.pods:
            self.pods.pop(key)
            self.pod_ready_at.pop(key, None)
            self.stats.pods_rolled += int(rolled)

    def tick(self) -> None:
        now = self.clock()
        self.reconcile()
        for name, due in list(self.node_ready_at.items()):
            if due <= now and name in self.nodes:
                set_ready(self.nodes[name], True, "KubeletReady")
                del self.node_ready_at[name]
        self.schedule()
        turned = 0
        for key, due in list(self.pod_ready_at.items()):
            pod = self.pods.get(key)
            node = self.nodes.get(pod["spec"].get("nodeName", "")) if pod else None
            if pod is not None and node is not None and due <= now and is_ready(node):
                set_ready(pod, True, "PodReady")
                del self.pod_ready_at[key]
                turned += 1
        if turned:  # the controllers see the pods that just turned Ready (a rollout's next step) in the same pass
            self.reconcile()
            self.schedule()

    def schedule(self) -> None:
        """Bind pending pods (oldest first) and start the clock on pods waiting to become Ready."""
        pending = []
        for key, pod in self.pods.items():
            spec = pod.setdefault("spec", {})
            if is_terminal(pod):
                continue
            if not spec.get("nodeName"):
                pending.append((key, pod))
            elif not is_ready(pod) and key not in self.pod_ready_at:
                self.pod_ready_at[key] = self.clock() + self.pod_ready_seconds
        if not pending:
            return
        used: dict[str, Resources] = {}
        for pod in self.pods.values():
            node_name = pod["spec"].get("nodeName")
            if node_name and not is_terminal(pod):
                used[node_name] = used.get(node_name, Resources()) + self.requests(pod)
        for key, pod in pending:
            target = choose_node(self.nodes.values(), used, pod)
            if target is None:
                continue
            pod["spec"]["nodeName"] = target
            used[target] = used.get(target, Resources()) + self.requests(pod)
            pod["status"] = {"phase": "Running", "conditions": [{"type": "PodScheduled", "status": "True"}]}
            set_ready(pod, False, "ContainersNotReady")
            self.pod_ready_at[key] = self.clock() + self.pod_ready_seconds
            self.stats.pods_scheduled += 1

    def requests(self, pod: Obj) -> Resources:
        """A pod's effective requests, parsed once per pod (its spec does not change)."""
        uid = str(pod["metadata"].get("uid"))
        if uid not in self.request_cache:
            self.request_cache[uid] = requests_of(pod)
        return self.request_cache[uid]
