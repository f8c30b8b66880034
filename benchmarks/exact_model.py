"""The CP-SAT model of benchmarks/exact_consolidation.py (see its docstring): variables, constraints, objective."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model

from benchmarks.karpenter_simulation import Catalogue, Template, kind
from engines.cluster.capacity import PriceBook
from engines.cluster.model import HOSTNAME_KEY, ClusterState, Node, Pod
from engines.consolidation.daemons import DaemonSets
from engines.consolidation.eligibility import assess
from engines.consolidation.placement import Placement
from engines.consolidation.policy import ConsolidationPolicy

MICRO = 1_000_000  # costs are integer micro-dollars per hour
MIB = 2**20
Var = Any  # a CP-SAT Boolean variable


@dataclass(frozen=True)
class ExactSettings:
    time_limit: float = 60.0
    workers: int = 2
    bins_per_group: int = 20
    menu_size: int | None = 25  # None: the whole undominated menu
    seed: int = 1
    # Pool each group's bins into one with integer type counts and no anti-affinity: a weaker model, but its
    # linear relaxation equals that of the uncapped model (spread a pooled solution evenly over one bin per pod)
    # at a fraction of the size. Used for the LP bound only.
    pooled: bool = False


@dataclass
class Group:
    template: Template
    menu: list[int]  # offer indices into template.offers
    capacity: npt.NDArray[np.int64]  # clipped, per menu entry
    pods: list[Pod]
    truncated: bool
    bins: list[tuple[Var, list[Var]]] = field(default_factory=list)  # (used, type choices) per bin


@dataclass
class ExactModel:
    model: cp_model.CpModel
    fixed: float  # $/h of the blocked nodes, which stay whatever happens
    keep: dict[str, Var]
    assign: dict[str, dict[object, Var]]  # pod key -> bin (node index, or (group, bin)) -> var
    groups: list[Group]
    pooled: bool

    @property
    def capped(self) -> bool:
        """Some group has fewer bins than pods, or a truncated menu: solutions of the uncapped problem may be lost."""
        return any(g.truncated or (len(g.bins) < len(g.pods) and not self.pooled) for g in self.groups)


def build_model(
    state: ClusterState, prices: PriceBook, policy: ConsolidationPolicy, settings: ExactSettings
) -> ExactModel:
    eligibility = assess(state, policy)
    placement = Placement(state, preferred_targets=set())
    zones = tuple(sorted({n.zone for n in state.nodes if n.zone}))
    catalogue = Catalogue(prices, policy, DaemonSets.of(state), zones)
    model = cp_model.CpModel()
    fixed = sum(n.price_per_hour or 0.0 for n in state.nodes if n.name in eligibility.blocked)
    removable = [n for n in state.nodes if n.name not in eligibility.blocked]
    keep = {n.name: model.new_bool_var(f"keep[{n.name}]") for n in removable}
    pods = [p for n in removable for p in eligibility.movable[n.name]]
    conflicts = _conflicts(pods, [p for ps in eligibility.movable.values() for p in ps])
    assign: dict[str, dict[object, Var]] = {p.key: {} for p in pods}
    loads: dict[object, list[tuple[Pod, Var]]] = {}
    for pod in pods:
        _existing_bins(model, placement, pod, keep, conflicts, assign[pod.key], loads)
    groups = _groups(model, catalogue, removable, pods, settings, assign, loads)
    for pod in pods:
        # Linear forms throughout (not clauses): CP-SAT's LP and our LP bound only see linear constraints
        model.add(sum(assign[pod.key].values()) + keep[pod.node or ""] == 1)
    for b, members in loads.items():
        if isinstance(b, int):  # an existing node: what is free on it now (never below zero)
            free = np.maximum(placement.free[b], 0)
            # times keep: the same integer solutions, but a much tighter linear relaxation (a better bound)
            held = keep.get(placement.nodes[b].name, 1)
            for d in range(4):
                model.add(sum(_need(p)[d] * v for p, v in members) <= int(_room(free)[d]) * held)
    for p_key, q_key in conflicts.pairs:
        for b in assign[p_key].keys() & assign[q_key].keys():
            if not (settings.pooled and isinstance(b, tuple)):  # a pooled bin is many nodes
                model.add(assign[p_key][b] + assign[q_key][b] <= 1)
    cost = sum(_micro(n.price_per_hour) * keep[n.name] for n in removable)
    cost += sum(_price(g, ys) for g in groups for _, ys in g.bins)
    model.minimize(cost)
    return ExactModel(model, fixed, keep, assign, groups, settings.pooled)


def _need(pod: Pod) -> tuple[int, int, int, int]:
    """Requests with memory in MiB rounded down (capacities: rounded up): the rows stay well scaled for the LP,
    and rounding towards feasibility keeps the model a relaxation (by under 1 MiB a pod)."""
    cpu, memory, gpu, pods = pod.requests.vector()  # other resources are relaxed: the model stays a relaxation
    return (cpu, memory // MIB, gpu, pods)


def _room(capacity: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    scaled = capacity.copy()
    scaled[..., 1] = -(-scaled[..., 1] // MIB)
    return scaled


def _micro(price: float | None) -> int:
    return round((price or 0.0) * MICRO)


@dataclass
class _Conflicts:
    """Hostname anti-affinity: pairs of movable pods that may not share a bin, and per pod the pods it avoids."""

    pairs: list[tuple[str, str]]
    avoid: dict[str, set[str]]  # pod key -> keys of conflicting pods (movable or not)


def _conflicts(movable: list[Pod], every: Iterable[Pod]) -> _Conflicts:
    everyone = list(every)
    keys = {p.key for p in movable}
    avoid: dict[str, set[str]] = {p.key: set() for p in movable}
    for p in everyone:
        for term in p.anti_affinity:
            if term.topology_key != HOSTNAME_KEY:
                continue
            for q in everyone:
                if q.key != p.key and q.namespace in term.namespaces and term.selector.matches(q.labels):
                    # symmetric, as the scheduler treats required anti-affinity
                    if p.key in keys:
                        avoid[p.key].add(q.key)
                    if q.key in keys:
                        avoid[q.key].add(p.key)
    pairs = sorted({(min(a, b), max(a, b)) for a, qs in avoid.items() for b in qs if b in keys})
    return _Conflicts(pairs, avoid)


def _existing_bins(
    model: cp_model.CpModel,
    placement: Placement,
    pod: Pod,
    keep: dict[str, Var],
    conflicts: _Conflicts,
    assign: dict[object, Var],
    loads: dict[object, list[tuple[Pod, Var]]],
) -> None:
    n = placement.count
    need = placement.need(pod)
    mask = placement.static_mask(pod, placement.home_zone(pod))[:n] & placement.accepts[:n]
    mask &= (placement.free[:n] >= need).all(axis=1)
    hosts = {placement.location[k] for k in conflicts.avoid[pod.key] if k in placement.location}
    for index in np.flatnonzero(mask):
        b = int(index)
        node = placement.nodes[b]
        if node.name == pod.node or b in hosts:
            continue
        var = model.new_bool_var(f"x[{pod.key},{node.name}]")
        if node.name in keep:
            model.add(var <= keep[node.name])
        assign[b] = var
        loads.setdefault(b, []).append((pod, var))


def _groups(
    model: cp_model.CpModel,
    catalogue: Catalogue,
    removable: list[Node],
    pods: list[Pod],
    settings: ExactSettings,
    assign: dict[str, dict[object, Var]],
    loads: dict[object, list[tuple[Pod, Var]]],
) -> list[Group]:
    templates: list[Template] = []
    group_nodes: dict[tuple[str, ...], set[str]] = {}  # kind() -> removable nodes of that kind
    for node in removable:
        template = catalogue.template(node)
        if all(t is not template for t in templates):
            templates.append(template)
        group_nodes.setdefault(kind(node), set()).add(node.name)
    groups = []
    for g, template in enumerate(templates):
        # a new node keeps the zone, capacity type, arch and GPU family of the nodes whose pods it takes
        users = [p for p in pods if p.node in group_nodes[kind(template.seed)] and template.compatible(p).any()]
        group = _menu(template, users, settings.menu_size)
        if not group.menu:
            continue
        # pooled: one bin whose type counts are integers, standing for all the group's bins (see ExactSettings)
        count = len(group.pods) if settings.pooled else 1
        for j in range(1 if settings.pooled else min(settings.bins_per_group, len(group.pods))):
            used = model.new_int_var(0, count, f"used[{g},{j}]")
            ys = [model.new_int_var(0, count, f"type[{g},{j},{t}]") for t in group.menu]
            model.add(sum(ys) == used)
            if group.bins:  # symmetry: bins of a group are interchangeable, so order them by price
                previous_used, previous = group.bins[-1]
                model.add(used <= previous_used)
                model.add(_price(group, previous) >= _price(group, ys))
            group.bins.append((used, ys))
            members = []
            for pod in group.pods:
                fits = template.compatible(pod)[group.menu] & (group.capacity >= _need(pod)).all(axis=1)
                if not fits.any():
                    continue
                var = model.new_bool_var(f"x[{pod.key},new{g}.{j}]")
                model.add(var <= sum(y for y, ok in zip(ys, fits, strict=True) if ok))
                assign[pod.key][(g, j)] = var
                members.append((pod, var))
            loads[(g, j)] = members
            for d in range(4):
                supply = sum(int(group.capacity[t, d]) * y for t, y in enumerate(ys))
                model.add(sum(_need(p)[d] * v for p, v in members) <= supply)
        groups.append(group)
    return groups


def _price(group: Group, ys: list[Var]) -> Any:
    return sum(_micro(group.template.prices[t]) * y for t, y in zip(group.menu, ys, strict=True))


def _menu(template: Template, users: list[Pod], size: int | None) -> Group:
    """The undominated offers of a group, with capacities clipped to what its pods could ever use."""
    if not users:
        return Group(template, [], np.zeros((0, 4), dtype=np.int64), users, False)
    demand = np.sum([_need(p) for p in users], axis=0)
    clipped = np.minimum(_room(np.maximum(template.capacity[:, :4], 0)), demand)
    masks = np.array([template.compatible(p) for p in users])  # pod x offer
    requests = np.array([_need(p) for p in users], dtype=np.int64)
    holds = masks & (clipped[None, :, :] >= requests[:, None, :]).all(axis=2)
    kept: list[int] = []
    for i in np.flatnonzero(holds.any(axis=0)):  # offers are cheapest first
        dominated = any(
            (clipped[j] >= clipped[i]).all() and (masks[:, j] >= masks[:, i]).all() for j in kept
        )  # an earlier (no dearer) offer holds as much, for every pod this one could take
        if not dominated:
            kept.append(int(i))
    truncated = size is not None and len(kept) > size
    menu = kept[:size] if size is not None else kept
    return Group(template, menu, clipped[menu], users, truncated)
