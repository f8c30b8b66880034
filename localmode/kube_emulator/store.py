"""The emulated cluster as the API sees it: every operation under one lock, readiness brought up to the clock."""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from engines.cluster import budget
from localmode.kube_emulator.objects import (
    ApiError,
    Obj,
    allocatable_for,
    is_ready,
    node_object,
    not_found,
    set_ready,
)
from localmode.kube_emulator.scheduling import is_terminal, suffix
from localmode.kube_emulator.selectors import parse_field_selector, parse_label_selector
from localmode.kube_emulator.state import ClusterState, EmulatorStats, PodKey
from localmode.kube_emulator.workloads import derive

__all__ = ["ClusterStore", "EmulatorStats"]


class ClusterStore:
    """Nodes, pods and budgets of one cluster; methods raise ApiError as the API server answers."""

    def __init__(
        self,
        document: Mapping[str, Any] | None = None,
        *,
        pod_ready_seconds: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._state = ClusterState(clock=clock, pod_ready_seconds=pod_ready_seconds)
        self._lock = threading.RLock()
        self.usage: Any = None  # localmode.kube_emulator.metrics.UsageModel, made on the first metrics request
        for item in (document or {}).get("items") or []:
            self._state.load(copy.deepcopy(item))
        derive(self._state.pods, self._state.workloads)

    @property
    def state(self) -> ClusterState:
        """For the workload routes (localmode.kube_emulator.workload_api); hold `operation()` while using it."""
        return self._state

    @property
    def stats(self) -> EmulatorStats:
        return self._state.stats

    def set_pod_ready_seconds(self, seconds: float) -> None:
        """How long pods take to pass their readiness probes, from now on; pods waiting longer are due sooner."""
        with self._lock:
            state = self._state
            state.pod_ready_seconds = seconds
            soonest = state.clock() + seconds
            state.pod_ready_at = {key: min(due, soonest) for key, due in state.pod_ready_at.items()}

    @contextmanager
    def operation(self) -> Iterator[None]:
        """Hold the lock with readiness and scheduling brought up to the clock."""
        with self._lock:
            self._state.tick()
            yield

    # --- nodes ---------------------------------------------------------------------------------------------
    def list_nodes(self, label_selector: str | None = None, field_selector: str | None = None) -> list[Obj]:
        with self.operation():
            return _select(self._state.nodes.values(), label_selector, field_selector)

    def get_node(self, name: str) -> Obj:
        with self.operation():
            return copy.deepcopy(self._state.node(name))

    def create_node(self, node: Obj) -> Obj:
        with self.operation():
            name = node.get("metadata", {}).get("name")
            if not name:
                raise ApiError(422, "Invalid", "metadata.name: Required value")
            if name in self._state.nodes:
                raise ApiError(409, "AlreadyExists", f'nodes "{name}" already exists')
            self._state.put_node(node)
            return copy.deepcopy(node)

    def replace_node(self, name: str, node: Obj) -> Obj:
        with self.operation():
            self._state.node(name)
            if node.get("metadata", {}).get("name") != name:
                raise ApiError(400, "BadRequest", "the name of the object does not match the name on the URL")
            self._state.put_node(node)
            return copy.deepcopy(node)

    def delete_node(self, name: str) -> Obj:
        """The node object goes; its pods are garbage collected and controllers replace theirs elsewhere."""
        with self.operation():
            node = self._state.nodes.pop(self._state.node(name)["metadata"]["name"])
            self._state.node_ready_at.pop(name, None)
            for key in [k for k, p in self._state.pods.items() if p.get("spec", {}).get("nodeName") == name]:
                self._state.remove_pod(key, "node-deletion")
            return node

    def register_node(
        self,
        name: str,
        instance_id: str,
        zone: str,
        instance_type: str,
        labels: Mapping[str, str] | None = None,
        ready_after_seconds: float = 1.0,
        allocatable: Mapping[str, str] | None = None,
    ) -> Obj:
        """What the kubelet of a booting EC2 instance does: the Node appears NotReady, Ready after the delay."""
        node = node_object(
            name,
            instance_id,
            zone,
            instance_type,
            dict(labels or {}),
            dict(allocatable or allocatable_for(instance_type)),
        )
        with self.operation():
            if name in self._state.nodes:
                raise ApiError(409, "AlreadyExists", f'nodes "{name}" already exists')
            self._state.put_node(node)
            self._state.node_ready_at[name] = self._state.clock() + ready_after_seconds
            self._state.tick()
            return copy.deepcopy(self._state.nodes[name])

    def set_node_ready(self, name: str, ready: bool) -> None:
        """A node stops (or resumes) posting status; its pods follow, as the node lifecycle controller does."""
        with self.operation():
            set_ready(self._state.node(name), ready, "KubeletReady" if ready else "NodeStatusUnknown")
            self._state.node_ready_at.pop(name, None)
            for pod in self._state.pods.values():
                if pod.get("spec", {}).get("nodeName") == name and not is_terminal(pod):
                    set_ready(pod, ready, "PodCompleted" if ready else "NodeNotReady")

    def put_node(self, node: Obj) -> None:
        """Store a patched node (the server applies the patch to a copy from get_node)."""
        with self.operation():
            self._state.node(node["metadata"]["name"])
            self._state.put_node(node)

    # --- pods ----------------------------------------------------------------------------------------------
    def list_pods(
        self, namespace: str | None = None, label_selector: str | None = None, field_selector: str | None = None
    ) -> list[Obj]:
        with self.operation():
            pods = [p for (ns, _), p in self._state.pods.items() if namespace in (None, ns)]
            return _select(pods, label_selector, field_selector)

    def get_pod(self, namespace: str, name: str) -> Obj:
        with self.operation():
            return copy.deepcopy(self._state.pod((namespace, name)))

    def create_pod(self, namespace: str, pod: Obj) -> Obj:
        with self.operation():
            meta = pod.setdefault("metadata", {})
            if not meta.get("name") and meta.get("generateName"):
                meta["name"] = meta["generateName"] + suffix(self._state.next_serial())
            meta["namespace"] = namespace
            if (namespace, meta.get("name")) in self._state.pods:
                raise ApiError(409, "AlreadyExists", f'pods "{meta.get("name")}" already exists')
            self._state.load(pod)
            self._state.tick()
            return copy.deepcopy(pod)

    def delete_pod(self, namespace: str, name: str) -> Obj:
        with self.operation():
            pod = self._state.pod((namespace, name))
            self._state.remove_pod((namespace, name), "delete")
            return pod

    def evict(self, namespace: str, name: str, dry_run: bool = False) -> None:
        """The eviction subresource: delete the pod unless its disruption budget forbids it (429)."""
        with self.operation():
            key = (namespace, name)
            pod = self._state.pod(key)
            phase = str(pod.get("status", {}).get("phase") or "Pending")
            state = self._state
            guards = [k for k in state.pdbs if k[0] == namespace and state.guards(state.pdbs[k], pod)]
            if pod["metadata"].get("deletionTimestamp"):
                guards = []  # already going: the budget has counted it out
            if len(guards) > 1:
                raise ApiError(
                    500,
                    "InternalError",
                    "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
                )
            for pdb_key in guards:
                status = self._state.count(pdb_key)
                if not budget.may_evict(status, phase, is_ready(pod)):
                    self._state.stats.evictions_refused += 1
                    cause = {"reason": "DisruptionBudget", "message": budget.refusal_message(pdb_key[1], status)}
                    raise ApiError(
                        429,
                        "TooManyRequests",
                        "Cannot evict pod as it would violate the pod's disruption budget.",
                        {"causes": [cause]},
                    )
            if dry_run:
                return
            # Counted in remove_pod like every other way out: the refusal check above is the rule under test.
            self._state.remove_pod(key, "eviction")
            self._state.stats.evictions_granted += 1

    # --- budgets -------------------------------------------------------------------------------------------
    def list_pdbs(self, namespace: str | None = None) -> list[Obj]:
        with self.operation():
            return [self._state.with_status(k) for k in sorted(self._state.pdbs) if namespace in (None, k[0])]

    def get_pdb(self, namespace: str, name: str) -> Obj:
        with self.operation():
            if (namespace, name) not in self._state.pdbs:
                raise not_found("poddisruptionbudgets.policy", name)
            return self._state.with_status((namespace, name))

    def create_pdb(self, namespace: str, pdb: Obj) -> Obj:
        with self.operation():
            pdb.setdefault("metadata", {})["namespace"] = namespace
            self._state.load(pdb)
            return self._state.with_status((namespace, pdb["metadata"]["name"]))

    def budget_counts(self) -> dict[PodKey, budget.BudgetCount]:
        with self.operation():
            return {k: self._state.count(k) for k in self._state.pdbs}


def _select(items: Any, label_selector: str | None, field_selector: str | None) -> list[Obj]:
    by_labels, by_fields = parse_label_selector(label_selector), parse_field_selector(field_selector)
    chosen = [i for i in items if by_labels(i.get("metadata", {}).get("labels") or {}) and by_fields(i)]
    return [
        copy.deepcopy(i)
        for i in sorted(chosen, key=lambda i: (i["metadata"].get("namespace", ""), i["metadata"]["name"]))
    ]
