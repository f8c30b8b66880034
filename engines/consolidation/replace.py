"""Replacements: several under-used nodes into one new node (M->1), or one node into a cheaper one (E2).

Within a group of interchangeable nodes (same zone, capacity type, taints and node pool), nodes are taken
least-used first; for each prefix of 1..max_nodes_per_replace nodes the cheapest offer that holds all their
pods (plus the DaemonSets the new node will run) is simulated, and the prefix that saves most wins.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np

from engines.cluster.capacity import PriceBook
from engines.cluster.model import HOSTNAME_KEY, Node, NodeOffer, Pod, Resources
from engines.consolidation.daemons import DaemonSets
from engines.consolidation.eligibility import Eligibility
from engines.consolidation.placement import Placement
from engines.consolidation.plan import Action, Move, Replacement
from engines.consolidation.policy import ConsolidationPolicy
from engines.spot.model import InstanceType

NODE_POOL_LABELS = ("karpenter.sh/nodepool", "eks.amazonaws.com/nodegroup")
# Labels that describe one machine, not the pool: the new node gets its own values.
_PER_MACHINE = (
    HOSTNAME_KEY,
    "node.kubernetes.io/instance-type",
    "beta.kubernetes.io/instance-type",
    "nvidia.com/gpu.present",
)
_TRIES_PER_PREFIX = 3


class Replacer:
    def __init__(
        self,
        placement: Placement,
        prices: PriceBook,
        policy: ConsolidationPolicy,
        eligibility: Eligibility,
        daemons: DaemonSets,
    ):
        self.placement, self.policy, self.eligibility, self.daemons = placement, policy, eligibility, daemons
        self._offers: dict[tuple[str, str], list[NodeOffer]] = defaultdict(list)
        zones = tuple(sorted({n.zone for n in placement.nodes if n.zone}))
        self._prices = prices
        for offer in prices.offers(zones, ("on-demand", "spot")):
            if policy_allows(policy, prices.instance_types.get(offer.instance_type)):
                self._offers[(offer.zone, offer.capacity_type)].append(offer)
        self._new_nodes = 0
        self._arrays: dict[tuple[str, ...], tuple[list[NodeOffer], Any, Any]] = {}

    def _offer_arrays(self, seed: Node) -> tuple[list[NodeOffer], Any, Any]:
        key = (seed.zone, seed.capacity_type, node_arch(seed), gpu_family(seed))
        if key not in self._arrays:
            offers = [
                o
                for o in self._offers.get((seed.zone, seed.capacity_type), [])
                if may_replace(seed, o, self._prices.instance_types.get(o.instance_type))
            ]
            capacities = np.array([o.allocatable.as_tuple() for o in offers], dtype=np.int64).reshape(-1, 4)
            self._arrays[key] = (offers, capacities, np.array([o.price_per_hour for o in offers]))
        return self._arrays[key]

    def run(self, nodes: Sequence[Node], actions: list[Action], failures: dict[str, str]) -> None:
        self._new_nodes = sum(1 for a in actions if a.type == "replace")
        for group in _groups(nodes).values():
            group.sort(key=self._used)
            while group:
                action = self._best_action(group)
                if action is None:
                    failures.setdefault(group[0].name, self._why_not(group[0]))
                    group.pop(0)
                    continue
                actions.append(action)
                taken = set(action.nodes)
                group[:] = [n for n in group if n.name not in taken]

    def _used(self, node: Node) -> float:
        need = _sum(self.eligibility.movable[node.name])
        alloc = node.allocatable
        return max(need.cpu_m / max(alloc.cpu_m, 1), need.memory / max(alloc.memory, 1))

    def _best_action(self, group: list[Node]) -> Action | None:
        best: tuple[float, int, NodeOffer] | None = None
        seed = group[0]
        offers, capacities, prices = self._offer_arrays(seed)
        if not offers:
            return None
        overhead = np.array(self.daemons.overhead(self._template(seed, offers[0], 0)).as_tuple(), dtype=np.int64)
        need = Resources()
        spent = 0.0
        evictions: Counter[int] = Counter()
        for k in range(1, min(self.policy.max_nodes_per_replace, len(group)) + 1):
            pods = self.eligibility.movable[group[k - 1].name]
            evictions.update(self.eligibility.pdb_of[p.key] for p in pods if p.key in self.eligibility.pdb_of)
            if any(n > self.eligibility.pdbs[i].disruptions_allowed for i, n in evictions.items()):
                break  # one action may not evict more pods of a budget than it allows at once
            need = need + _sum(pods)
            spent += group[k - 1].price_per_hour or 0.0
            limit = spent - max(self.policy.min_savings_per_hour, self.policy.min_savings_share * spent)
            room = (capacities - overhead >= np.array(need.as_tuple(), dtype=np.int64)).all(axis=1)
            if not room.any():
                break  # the pods of this prefix fit in no single node: longer prefixes will not either
            for i in np.flatnonzero(room & (prices <= limit))[:_TRIES_PER_PREFIX]:
                offer = offers[int(i)]
                saving = spent - offer.price_per_hour
                if (best is None or saving > best[0] + 1e-9) and self._simulate(group[:k], offer, commit=False):
                    best = (saving, k, offer)
                    break
        if best is None:
            return None
        saving, k, offer = best
        moves = self._simulate(group[:k], offer, commit=True)
        assert moves is not None  # the same simulation succeeded a moment ago
        self._new_nodes += 1
        return self._action(group[:k], offer, moves, saving)

    def _simulate(self, nodes: Sequence[Node], offer: NodeOffer, commit: bool) -> list[Move] | None:
        placement = self.placement
        mark = placement.checkpoint()
        new_node = self._template(nodes[0], offer, self._new_nodes)
        pods = sorted((p for n in nodes for p in self.eligibility.movable[n.name]), key=_size, reverse=True)
        for node in nodes:
            placement.close(placement.index[node.name])
        for pod in pods:
            placement.unplace(pod)
        target = placement.open(new_node, self.daemons.overhead(new_node).as_tuple())
        moves = []
        for pod in pods:
            if (
                pod.static_fit(new_node) is not None
                or not (placement.free[target] >= pod.requests.as_tuple()).all()
                or placement.topology.violation(pod, target, placement.domain_count) is not None
            ):
                placement.rollback(mark)
                return None
            placement.place(pod, target)
            moves.append(Move(pod.key, f"new:{self._new_nodes}"))
        if not commit:
            placement.rollback(mark)
        return moves

    def _template(self, seed: Node, offer: NodeOffer, index: int) -> Node:
        return new_node_template(seed, offer, index)

    def _action(self, nodes: Sequence[Node], offer: NodeOffer, moves: list[Move], saving: float) -> Action:
        spent = sum(n.price_per_hour or 0.0 for n in nodes)
        kind = "one node by a smaller one" if len(nodes) == 1 else f"{len(nodes)} nodes by one"
        reasons = (
            f"replaces {kind}: {', '.join(sorted({n.instance_type for n in nodes}))} -> {offer.instance_type}",
            f"their {len(moves)} pod(s) and the DaemonSets fit on the new node without breaking their rules",
            f"saves ${saving:.4f}/h of ${spent:.4f}/h ({100 * saving / spent:.0f}%)",
        )
        replacement = Replacement(offer.instance_type, offer.capacity_type, offer.zone, offer.price_per_hour)
        return Action("replace", tuple(n.name for n in nodes), replacement, tuple(moves), saving, reasons)

    def _why_not(self, node: Node) -> str:
        if not self._offers.get((node.zone, node.capacity_type)):
            return f"no {node.capacity_type} offers priced in {node.zone} to replace it with"
        return "its pods cannot be deleted away or replaced by a cheaper node without breaking their rules"


def policy_allows(policy: ConsolidationPolicy, instance: InstanceType | None) -> bool:
    """The policy's node template: catalogue types only, current generation, allowed families."""
    if instance is None or (policy.replacement_current_generation_only and not instance.current_generation):
        return False
    return not policy.replacement_families or instance.family in policy.replacement_families


def gpu_family(node: Node) -> str:
    """The instance family of a GPU node ("" for others): replacements stay within it."""
    return node.instance_type.split(".", 1)[0] if node.allocatable.gpu > 0 else ""


def node_arch(node: Node) -> str:
    return "arm64" if node.labels.get("kubernetes.io/arch") == "arm64" else "x86_64"


def may_replace(seed: Node, offer: NodeOffer, instance: InstanceType | None) -> bool:
    """Same architecture (images are built for one); a GPU node only by its own family, because the family
    fixes the GPU model and a pod asking for `nvidia.com/gpu` was tested on that model, not on any GPU."""
    if instance is None or offer.arch != node_arch(seed):
        return False
    return seed.allocatable.gpu == 0 or instance.family == gpu_family(seed)


def new_node_template(seed: Node, offer: NodeOffer, index: int) -> Node:
    """The node a replacement becomes: the pool's labels and taints, the offer's type, zone and capacity."""
    labels = {k: v for k, v in seed.labels.items() if k not in _PER_MACHINE}
    labels |= {HOSTNAME_KEY: f"new:{index}", "node.kubernetes.io/instance-type": offer.instance_type}
    if offer.allocatable.gpu > 0:
        labels["nvidia.com/gpu.present"] = "true"
    return Node(
        name=f"new:{index}",
        instance_type=offer.instance_type,
        zone=offer.zone,
        capacity_type=offer.capacity_type,
        allocatable=offer.allocatable,
        price_per_hour=offer.price_per_hour,
        labels=labels,
        taints=seed.taints,
    )


def _groups(nodes: Sequence[Node]) -> dict[tuple[object, ...], list[Node]]:
    groups: dict[tuple[object, ...], list[Node]] = defaultdict(list)
    for node in nodes:
        pool = next((node.labels[k] for k in NODE_POOL_LABELS if k in node.labels), "")
        groups[(node.zone, node.capacity_type, node.taints, pool, node_arch(node), gpu_family(node))].append(node)
    return groups


def _sum(pods: Sequence[Pod]) -> Resources:
    total = Resources()
    for pod in pods:
        total = total + pod.requests
    return total


def _size(pod: Pod) -> tuple[int, int, int]:
    return (pod.requests.gpu, pod.requests.cpu_m, pod.requests.memory)
