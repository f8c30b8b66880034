"""A mutable simulation of where pods run, with undo, used by the planner to try moves cheaply.

Free capacity lives in one numpy array so "which nodes can take this pod" is a single vectorised test; the
static rules (selectors, taints, zone of a volume) are cached per pod class; pod-to-pod rules go to Topology.
Columns are cpu, memory, nvidia.com/gpu, pods, then every other resource some pod of the cluster requests
(`extras`): a resource no pod asks for can never stop a move, so a typical cluster keeps four columns.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from engines.cluster.model import HOSTNAME_KEY, ZONE_KEY, ClusterState, Node, Pod, Resources
from engines.consolidation.topology import Topology

TARGET_PREFERRED, TARGET_CANDIDATE = 0, 1
_SPARE_SLOTS = 512  # room for new nodes without reallocating


def largest_first(pod: Pod) -> tuple[int, int, int]:
    """Sort key (use with reverse=True) that places GPU pods, then the biggest CPU and memory requests, first."""
    return (pod.requests.gpu, pod.requests.cpu_m, pod.requests.memory)


class Placement:
    def __init__(self, state: ClusterState, preferred_targets: set[str]):
        self.nodes: list[Node] = list(state.nodes)
        self.extras = state.extra_resources
        self.width = 4 + len(self.extras)
        self._needs: dict[str, npt.NDArray[np.int64]] = {}
        size = len(self.nodes) + _SPARE_SLOTS
        self.alloc = np.zeros((size, self.width), dtype=np.int64)
        self.free = np.zeros((size, self.width), dtype=np.int64)
        self.accepts = np.zeros(size, dtype=bool)
        self.alive = np.zeros(size, dtype=bool)
        self.tier = np.full(size, TARGET_CANDIDATE, dtype=np.int8)
        self.index = {n.name: i for i, n in enumerate(self.nodes)}
        for i, node in enumerate(self.nodes):
            self.alloc[i] = node.allocatable.vector(self.extras)
            self.alive[i] = True
            self.accepts[i] = not node.unschedulable
            if node.name in preferred_targets:
                self.tier[i] = TARGET_PREFERRED
        self.free[:] = self.alloc
        self.location: dict[str, int] = {}
        self._masks: dict[tuple[object, ...], npt.NDArray[np.bool_]] = {}
        self._journal: list[tuple[str, object, int]] = []
        self._domain_nodes: dict[str, Counter[str]] = {}  # topology key -> live nodes per domain
        self._live = len(self.nodes)
        for pod in state.pods:
            if pod.is_active and pod.node in self.index:
                i = self.index[pod.node]
                self.free[i] -= self.need(pod)
                if not pod.is_daemon:
                    self.location[pod.key] = i
        self.topology = Topology((p for p in state.pods if p.key in self.location), self._domain)
        for pod in state.pods:
            if pod.key in self.location:
                self.topology.add(pod, self.location[pod.key])

    # -- queries ---------------------------------------------------------------------------------------------
    @property
    def count(self) -> int:
        return len(self.nodes)

    def need(self, pod: Pod) -> npt.NDArray[np.int64]:
        """The pod's requests as a row of this placement's columns (cached: read on every move)."""
        found = self._needs.get(pod.key)
        if found is None:
            found = self._needs[pod.key] = np.array(pod.requests.vector(self.extras), dtype=np.int64)
        return found

    def vector(self, resources: Resources) -> npt.NDArray[np.int64]:
        return np.array(resources.vector(self.extras), dtype=np.int64)

    def _domain(self, node: int, key: str) -> str | None:
        if key == HOSTNAME_KEY:
            return self.nodes[node].name
        if key == ZONE_KEY:
            return self.nodes[node].zone
        return self.nodes[node].labels.get(key)

    def domain_count(self, key: str) -> int:
        """How many topology domains of `key` have a live node (kept up to date as nodes open and close)."""
        if key not in self._domain_nodes:
            counts: Counter[str] = Counter()
            for i in np.flatnonzero(self.alive[: self.count]):
                value = self._domain(int(i), key)
                if value is not None:
                    counts[value] += 1
            self._domain_nodes[key] = counts
        return sum(1 for c in self._domain_nodes[key].values() if c > 0) if key != HOSTNAME_KEY else self._live

    def _reshape(self, node: int, sign: int) -> None:
        self._live += sign
        for key, counts in self._domain_nodes.items():
            value = self._domain(node, key)
            if value is not None:
                counts[value] += sign

    def static_mask(self, pod: Pod, home_zone: str | None) -> npt.NDArray[np.bool_]:
        key = (tuple(sorted(pod.node_selector.items())), pod.node_affinity, pod.tolerations, home_zone)
        mask = self._masks.get(key)
        if mask is None or len(mask) < self.count:
            known = 0 if mask is None else len(mask)
            extra = np.array([self._static_ok(pod, n, home_zone) for n in self.nodes[known:]], dtype=bool)
            mask = extra if mask is None else np.concatenate([mask, extra])
            self._masks[key] = mask
        return mask

    @staticmethod
    def _static_ok(pod: Pod, node: Node, home_zone: str | None) -> bool:
        return (home_zone is None or node.zone == home_zone) and pod.static_fit(node) is None

    def home_zone(self, pod: Pod) -> str | None:
        """Pods with a persistent volume stay in the zone of the volume (the zone they run in now)."""
        if not pod.persistent_volume or pod.node is None or pod.node not in self.index:
            return None
        return self.nodes[self.index[pod.node]].zone

    def best_target(self, pod: Pod, avoid: Callable[[int], bool] | None = None) -> int | None:
        """Where `pod` (currently unplaced) fits best: preferred targets first, then the tightest fit."""
        n = self.count
        need = self.need(pod)
        mask = self.static_mask(pod, self.home_zone(pod))[:n] & self.accepts[:n]
        mask &= (self.free[:n] >= need).all(axis=1)
        candidates = np.flatnonzero(mask)
        if candidates.size == 0:
            return None
        alloc = np.maximum(self.alloc[candidates, :2], 1)
        leftover = ((self.free[candidates, :2] - need[:2]) / alloc).max(axis=1)
        order = candidates[np.lexsort((leftover, self.tier[candidates]))]
        for node in order:
            index = int(node)
            if avoid is not None and avoid(index):
                continue
            if self.topology.empty or self.topology.violation(pod, index, self.domain_count) is None:
                return index
        return None

    def fits(self, pod: Pod, node: int) -> bool:
        """Whether the (unplaced) pod may go on `node` now: room, its static rules, and pod-to-pod rules."""
        return (
            bool((self.free[node] >= self.need(pod)).all())
            and pod.static_fit(self.nodes[node]) is None
            and self.topology.violation(pod, node, self.domain_count) is None
        )

    # -- changes (journaled so a failed attempt can be undone) ------------------------------------------------
    def checkpoint(self) -> int:
        return len(self._journal)

    def rollback(self, mark: int) -> None:
        while len(self._journal) > mark:
            op, subject, node = self._journal.pop()
            if op == "place":
                assert isinstance(subject, Pod)
                self._unplace(subject, node)
            elif op == "unplace":
                assert isinstance(subject, Pod)
                self._place(subject, node)
            elif op == "close":
                self.alive[node], self.accepts[node] = True, not self.nodes[node].unschedulable
                self._reshape(node, +1)
            elif op == "open":
                self._reshape(node, -1)
                del self.index[self.nodes.pop().name]
                for key, mask in self._masks.items():
                    self._masks[key] = mask[:node]
                self.alive[node] = self.accepts[node] = False
                self.free[node] = self.alloc[node] = 0
            elif op == "tier":
                assert isinstance(subject, int)
                self.tier[node] = subject

    def unplace(self, pod: Pod) -> None:
        node = self.location[pod.key]
        self._unplace(pod, node)
        self._journal.append(("unplace", pod, node))

    def place(self, pod: Pod, node: int) -> None:
        self._place(pod, node)
        self._journal.append(("place", pod, node))

    def close(self, node: int) -> None:
        """The node is gone: nothing may be placed on it."""
        self.alive[node] = self.accepts[node] = False
        self._reshape(node, -1)
        self._journal.append(("close", None, node))

    def set_tier(self, node: int, tier: int) -> None:
        self._journal.append(("tier", int(self.tier[node]), node))
        self.tier[node] = tier

    def open(self, node: Node, reserved: npt.NDArray[np.int64]) -> int:
        """Add a new node (its DaemonSet pods already take `reserved`, a row of this placement); returns its index."""
        index = len(self.nodes)
        if index >= len(self.alloc):
            self._grow()
        self.nodes.append(node)
        self.index[node.name] = index
        self.alloc[index] = node.allocatable.vector(self.extras)
        self.free[index] = self.alloc[index] - reserved
        self.alive[index] = self.accepts[index] = True
        self.tier[index] = TARGET_PREFERRED
        self._reshape(index, +1)
        self._journal.append(("open", None, index))
        return index

    def _grow(self) -> None:
        extra = len(self.alloc)  # doubling keeps the amortised cost of opening a node constant
        self.alloc = np.concatenate([self.alloc, np.zeros((extra, self.width), dtype=np.int64)])
        self.free = np.concatenate([self.free, np.zeros((extra, self.width), dtype=np.int64)])
        self.accepts = np.concatenate([self.accepts, np.zeros(extra, dtype=bool)])
        self.alive = np.concatenate([self.alive, np.zeros(extra, dtype=bool)])
        self.tier = np.concatenate([self.tier, np.full(extra, TARGET_CANDIDATE, dtype=np.int8)])

    def _place(self, pod: Pod, node: int) -> None:
        self.free[node] -= self.need(pod)
        self.location[pod.key] = node
        self.topology.add(pod, node)

    def _unplace(self, pod: Pod, node: int) -> None:
        self.free[node] += self.need(pod)
        del self.location[pod.key]
        self.topology.add(pod, node, sign=-1)

    def overcommitted(self) -> list[str]:
        """Names of live nodes whose pods need more than they have (never true for a valid plan)."""
        bad = np.flatnonzero(self.alive[: self.count] & (self.free[: self.count] < 0).any(axis=1))
        return [self.nodes[int(i)].name for i in bad]
