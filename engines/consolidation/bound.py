"""A proven lower bound on the hourly cost any consolidation of this cluster can reach, under ASSUMPTIONS.

Relaxation: pods on blocked nodes stay; every other pod's requests become fluid (CPU, memory, GPUs may be
split across nodes), each candidate node may be kept fractionally, and new nodes of any offered type may be
bought in fractions. That linear program's optimum is below every real plan's cost. Weak duality gives a
bound without an LP solver: for any prices (lambda) per unit of CPU, memory and GPU that make no offered type
cheaper than lambda . capacity, the value lambda . demand - sum over candidate nodes of
max(0, lambda . capacity - price) is below the LP optimum. We search lambda over a grid of directions and the
best scale on each, so the bound is valid whatever the grid, and only its tightness depends on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engines.cluster.capacity import PriceBook
from engines.cluster.model import ClusterState, Node, Pod
from engines.consolidation.daemons import DaemonSets
from engines.consolidation.eligibility import Eligibility
from engines.consolidation.groups import GroupKey, group_nodes, may_replace, new_node_template, policy_allows
from engines.consolidation.policy import ConsolidationPolicy

_GRID = 24  # directions per axis on the simplex of (cpu, memory, gpu) weights
# What the bound holds under: a plan breaking one of these (draining a node a rule keeps, launching a type a
# replacement may not be) can go below it. Stated with the bound in the plan's JSON and table.
ASSUMPTIONS = (
    "nodes a rule keeps (the blocked list) stay, at their price",
    "new nodes are only types a replacement may be: the zone, capacity type, architecture and accelerator family "
    "of the nodes it replaces, within the policy's generations and families",
    "pods keep their node selectors, node affinity, tolerations and volume zones; pod-to-pod rules, minimum "
    "savings and budgets' pace are relaxed, and a pod's cpu, memory and GPUs may come from several nodes",
    "resources other than cpu, memory and nvidia.com/gpu are not counted",
    "unpriced nodes are left out, as from the costs",
)


def lower_bound(
    state: ClusterState,
    eligibility: Eligibility,
    prices: PriceBook,
    daemons: DaemonSets,
    policy: ConsolidationPolicy,
) -> float:
    """Fixed cost of blocked nodes plus, per independent part of the cluster, the relaxation's dual bound.

    Parts: node groups (zone, capacity type, taints, pool, arch: what a replacement inherits) joined when some
    movable pod may run in both. Pods of one part can never use another part's nodes or offers, so the bound
    of the whole is the sum of the parts' bounds, which is much tighter than one pool of fungible capacity.
    """
    groups = _node_groups(state)
    on_node = state.pods_on()
    classes = _pod_classes(state, eligibility)
    parent = list(range(len(groups) + len(classes)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    compatible: list[list[int]] = []
    for c, pod_class in enumerate(classes):
        fits = [g for g, group in enumerate(groups) if any(pod_class.may_run_on(n) for n in group.members)]
        compatible.append(fits)
        for g in fits:
            parent[find(len(groups) + c)] = find(g)
    total = sum(n.price_per_hour or 0.0 for n in state.nodes if _fixed(n, eligibility, policy))
    for root in {find(g) for g in range(len(groups))}:
        part_groups = [g for g in range(len(groups)) if find(g) == root]
        part_classes = [c for c in range(len(classes)) if find(len(groups) + c) == root]
        total += _part_bound(part_groups, part_classes, groups, classes, on_node, eligibility, prices, daemons, policy)
    return total


def _fixed(node: Node, eligibility: Eligibility, policy: ConsolidationPolicy) -> bool:
    """Kept whatever the plan: blocked, or no action may remove it (a replacement removes a node too, so a
    replace-only policy such as node rightsizing still frees its candidates)."""
    return node.name in eligibility.blocked or not (policy.allow_delete or policy.allow_replace)


@dataclass(frozen=True, slots=True)
class Group:
    """A replacement group (groups.py) and its nodes."""

    key: GroupKey
    members: list[Node]


@dataclass(frozen=True, slots=True)
class PodClass:
    """Movable pods that may run on the same nodes: one sample, their zone pin, their summed demand."""

    sample: Pod
    home_zone: str | None  # the zone of a pod's persistent volume: it cannot leave it
    demand: npt.NDArray[np.float64]  # summed (cpu, memory, gpu) requests

    def may_run_on(self, node: Node) -> bool:
        return (self.home_zone is None or node.zone == self.home_zone) and self.sample.static_fit(node) is None


def _node_groups(state: ClusterState) -> list[Group]:
    return [Group(key, members) for key, members in group_nodes(state.nodes).items()]


def _pod_classes(state: ClusterState, eligibility: Eligibility) -> list[PodClass]:
    zone_of = {n.name: n.zone for n in state.nodes}

    def home(pod: Pod) -> str | None:
        return zone_of.get(pod.node or "") if pod.persistent_volume else None

    samples: dict[tuple[object, ...], Pod] = {}
    demand: dict[tuple[object, ...], npt.NDArray[np.float64]] = {}
    for node in state.nodes:
        if node.name in eligibility.blocked:
            continue
        for pod in eligibility.movable[node.name]:
            key = (tuple(sorted(pod.node_selector.items())), pod.node_affinity, pod.tolerations, home(pod))
            if key not in samples:
                samples[key], demand[key] = pod, np.zeros(3)
            demand[key] += (pod.requests.cpu_m, pod.requests.memory, pod.requests.gpu)
    return [PodClass(pod, home(pod), demand[key]) for key, pod in samples.items()]


def _part_bound(
    part_groups: list[int],
    part_classes: list[int],
    groups: list[Group],
    classes: list[PodClass],
    on_node: dict[str, list[Pod]],
    eligibility: Eligibility,
    prices: PriceBook,
    daemons: DaemonSets,
    policy: ConsolidationPolicy,
) -> float:
    demand = sum((classes[c].demand for c in part_classes), np.zeros(3))
    spare = np.zeros(3)
    caps: list[npt.NDArray[np.float64]] = []
    costs: list[float] = []
    offer_caps: list[npt.NDArray[np.float64]] = []
    offer_costs: list[float] = []
    for g in part_groups:
        key, members = groups[g].key, groups[g].members
        for node in members:
            alloc = np.array(node.allocatable.vector()[:3], dtype=float)
            pods = (
                on_node[node.name]
                if node.name in eligibility.blocked
                else [p for p in on_node[node.name] if p.is_daemon]
            )
            used = sum((np.array(p.requests.vector()[:3], dtype=float) for p in pods), np.zeros(3))
            if _fixed(node, eligibility, policy):
                spare += np.maximum(alloc - used, 0)
            else:
                caps.append(np.maximum(alloc - used, 0))  # its DaemonSets stay if it is kept
                costs.append(node.price_per_hour or 0.0)
        if policy.allow_replace and part_classes:
            samples = [classes[c].sample for c in part_classes]
            for cap, cost in _group_offers(
                key.zone, key.capacity_type, key.arch, members[0], samples, prices, daemons, policy
            ):
                offer_caps.append(cap)
                offer_costs.append(cost)
    need = np.maximum(demand - spare, 0)
    if not need.any():
        return 0.0
    node_caps = np.array(caps, dtype=float).reshape(-1, 3)
    offers = np.array(offer_caps, dtype=float).reshape(-1, 3)
    scale = np.maximum(np.concatenate([node_caps, offers, need[None, :]]).max(axis=0), 1.0)
    value = _dual_bound(need / scale, node_caps / scale, np.array(costs), offers / scale, np.array(offer_costs))
    return max(0.0, value)


def _group_offers(
    zone: str,
    capacity_type: str,
    arch: str,
    seed: Node,
    samples: list[Pod],
    prices: PriceBook,
    daemons: DaemonSets,
    policy: ConsolidationPolicy,
) -> list[tuple[npt.NDArray[np.float64], float]]:
    """What a replacement in this group could offer: capacity net of DaemonSets, for types some pod accepts."""
    found = []
    for offer in prices.offers((zone,), (capacity_type,)):
        instance = prices.instance_types.get(offer.instance_type)
        if not policy_allows(policy, instance) or not may_replace(seed, offer, instance):
            continue
        node = new_node_template(seed, offer, 0)
        if not any(p.static_fit(node) is None for p in samples):
            continue
        overhead = np.array(daemons.overhead(node).vector()[:3], dtype=float)
        found.append(
            (np.maximum(np.array(offer.allocatable.vector()[:3], dtype=float) - overhead, 0), offer.price_per_hour)
        )
    return found


def _dual_bound(
    need: npt.NDArray[np.float64],
    node_caps: npt.NDArray[np.float64],
    node_costs: npt.NDArray[np.float64],
    offer_caps: npt.NDArray[np.float64],
    offer_costs: npt.NDArray[np.float64],
) -> float:
    best = 0.0
    for w in _directions(need):
        a_nodes = node_caps @ w
        a_offers = offer_caps @ w
        # The largest scale s keeping every offered type at least as dear as its capacity valued at s*w.
        positive = a_offers > 0
        s_max = float(np.min(offer_costs[positive] / a_offers[positive])) if positive.any() else np.inf
        best = max(best, _best_on_ray(float(need @ w), a_nodes, node_costs, s_max))
    return best


def _best_on_ray(demand: float, a: npt.NDArray[np.float64], cost: npt.NDArray[np.float64], s_max: float) -> float:
    """max over 0 <= s <= s_max of s*demand - sum(max(0, s*a_i - cost_i)): concave, peaks at a breakpoint."""
    if demand <= 0:
        return 0.0
    useful = a > 0
    breaks = cost[useful] / a[useful]
    slopes = a[useful]
    order = np.argsort(breaks)
    breaks, slopes = breaks[order], slopes[order]
    # The slope after breakpoint i is demand - cumsum(slopes)[i]; stop where it turns negative.
    cumulative = np.cumsum(slopes)
    turning = int(np.searchsorted(cumulative, demand, side="left"))
    s = float(breaks[turning]) if turning < len(breaks) else np.inf
    s = min(s, s_max)
    if not np.isfinite(s):
        return 0.0  # unbounded only if nothing prices the demand; no useful bound then
    return float(s * demand - np.maximum(s * a - cost, 0).sum())


def _directions(need: npt.NDArray[np.float64]) -> list[npt.NDArray[np.float64]]:
    found = []
    for i in range(_GRID + 1):
        for j in range(_GRID + 1 - i):
            w = np.array([i, j, _GRID - i - j], dtype=float) / _GRID
            if (w * need).sum() > 0:
                found.append(w)
    return found
