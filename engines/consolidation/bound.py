"""A proven lower bound on the hourly cost any consolidation of this cluster can reach.

Relaxation: pods on blocked nodes stay; every other pod's requests become fluid (CPU, memory, GPUs may be
split across nodes), each candidate node may be kept fractionally, and new nodes of any offered type may be
bought in fractions. That linear program's optimum is below every real plan's cost. Weak duality gives a
bound without an LP solver: for any prices (lambda) per unit of CPU, memory and GPU that make no offered type
cheaper than lambda . capacity, the value lambda . demand - sum over candidate nodes of
max(0, lambda . capacity - price) is below the LP optimum. We search lambda over a grid of directions and the
best scale on each, so the bound is valid whatever the grid, and only its tightness depends on it.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from engines.cluster.capacity import PriceBook
from engines.cluster.model import ClusterState
from engines.consolidation.daemons import DaemonSets
from engines.consolidation.eligibility import Eligibility
from engines.consolidation.policy import ConsolidationPolicy

_GRID = 24  # directions per axis on the simplex of (cpu, memory, gpu) weights


def lower_bound(
    state: ClusterState,
    eligibility: Eligibility,
    prices: PriceBook,
    daemons: DaemonSets,
    policy: ConsolidationPolicy,
) -> float:
    fixed_cost = 0.0
    spare = np.zeros(3)
    demand = np.zeros(3)
    caps: list[tuple[float, float, float]] = []
    costs: list[float] = []
    on_node = state.pods_on()
    for node in state.nodes:
        used = np.zeros(3)
        for pod in on_node[node.name]:
            used += (pod.requests.cpu_m, pod.requests.memory, pod.requests.gpu)
        alloc = np.array(node.allocatable.as_tuple()[:3], dtype=float)
        if node.name in eligibility.blocked or not policy.allow_delete:
            fixed_cost += node.price_per_hour or 0.0
            spare += np.maximum(alloc - used, 0)
        else:
            for pod in eligibility.movable[node.name]:
                demand += (pod.requests.cpu_m, pod.requests.memory, pod.requests.gpu)
            caps.append(tuple(alloc))
            costs.append(node.price_per_hour or 0.0)
    need = np.maximum(demand - spare, 0)
    if not need.any():
        return fixed_cost
    offer_caps, offer_costs = _offers(prices, state, daemons, policy)
    node_caps = np.array(caps, dtype=float).reshape(-1, 3)
    node_costs = np.array(costs, dtype=float)
    scale = np.maximum(np.concatenate([node_caps, offer_caps]).max(axis=0), 1.0)  # units of comparable size
    return fixed_cost + max(
        0.0, _dual_bound(need / scale, node_caps / scale, node_costs, offer_caps / scale, offer_costs)
    )


def _offers(
    prices: PriceBook, state: ClusterState, daemons: DaemonSets, policy: ConsolidationPolicy
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    if not policy.allow_replace:
        return np.zeros((0, 3)), np.zeros(0)
    zones = tuple(sorted({n.zone for n in state.nodes if n.zone}))
    offers = prices.offers(zones, ("on-demand", "spot"))
    # The smallest DaemonSet overhead any node can have: subtracting it keeps the bound valid (never too high).
    overhead = np.array(min((daemons.overhead(n).as_tuple()[:3] for n in state.nodes), default=(0, 0, 0)), float)
    caps = np.array([o.allocatable.as_tuple()[:3] for o in offers], dtype=float).reshape(-1, 3)
    return np.maximum(caps - overhead, 0), np.array([o.price_per_hour for o in offers], dtype=float)


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
