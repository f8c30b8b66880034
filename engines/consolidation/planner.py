"""Consolidation planner: delete empty nodes, drain under-used ones, merge or shrink the rest (spec E1, E2).

The search differs from Karpenter's in three ways, each aimed at a complaint its users have:
- every candidate is tried (not a prefix of at most 100), with one vectorised placement per pod, so a
  1,000-node cluster plans in about a second instead of timing out;
- it runs from several candidate orders and keeps the cheapest plan (a multi-start greedy), since the order
  decides which holes later pods can use;
- replacements may take many nodes into one (M->1) or one node into a smaller one (rightsizing), choosing the
  group size that saves most, and every action must clear a minimum saving so nothing churns for cents.
A proven lower bound (bound.py) says how far from optimal the result can be.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from engines.cluster.capacity import PriceBook
from engines.cluster.model import ClusterState, Node, Resources
from engines.consolidation.bound import ASSUMPTIONS, lower_bound
from engines.consolidation.daemons import DaemonSets
from engines.consolidation.eligibility import Eligibility, assess
from engines.consolidation.placement import TARGET_PREFERRED, Placement, largest_first
from engines.consolidation.plan import Action, BlockCode, Blocked, BlockReason, Move, Plan
from engines.consolidation.policy import ConsolidationPolicy
from engines.consolidation.replace import Replacer

Order = Callable[[Node], tuple[float, ...]]
_NO_CHEAPER = BlockReason(BlockCode.NO_CHEAPER_ARRANGEMENT, "no cheaper arrangement found for its pods")


@dataclass
class _Search:
    """One greedy pass in a given candidate order."""

    name: str
    actions: list[Action] = field(default_factory=list)
    failures: dict[str, BlockReason] = field(default_factory=dict)
    savings: float = 0.0


def plan_consolidation(state: ClusterState, prices: PriceBook, policy: ConsolidationPolicy | None = None) -> Plan:
    policy = policy or ConsolidationPolicy()
    eligibility = assess(state, policy)
    daemons = DaemonSets.of(state)
    orders = _orders(state, eligibility)[: policy.searches]
    placement = Placement(state, preferred_targets=set(eligibility.blocked))
    replacer = Replacer(placement, prices, policy, eligibility, daemons)  # its offer tables serve every search
    best: _Search | None = None
    for name, order, replace_first in orders:
        start = placement.checkpoint()
        result = _search(state, placement, replacer, policy, eligibility, name, order, replace_first)
        placement.rollback(start)  # every search starts from the cluster as it is
        if best is None or _net(result, policy) > _net(best, policy) + 1e-9:
            best = result
    assert best is not None
    before = state.cost_per_hour()
    bound = lower_bound(state, eligibility, prices, daemons, policy)
    return Plan(
        cost_before_per_hour=before,
        cost_after_per_hour=before - best.savings,
        actions=tuple(best.actions),
        blocked=_blocked(state, eligibility, best, replacer),
        lower_bound_cost_per_hour=bound,
        search=f"search '{best.name}' chosen among {'; '.join(n for n, _, _ in orders)}",
        unpriced_nodes=state.unpriced,
        bound_assumptions=ASSUMPTIONS,
    )


def _net(search: _Search, policy: ConsolidationPolicy) -> float:
    """Savings less the charge per pod moved: the plan that moves fewer pods wins unless the others save more."""
    return search.savings - policy.charge_per_pod_moved * sum(len(a.moves) for a in search.actions)


def _orders(state: ClusterState, eligibility: Eligibility) -> list[tuple[str, Order, bool]]:
    """The searches, best first on the OpenB clusters: (name, candidate order, replacements before deletes).

    Replacing first lets big half-empty nodes split before deletes pin them as targets; deleting first drains the
    emptiest nodes into the others' room. Orders: least used, priciest, Karpenter's savings ratio, fewest pods."""

    def used(node: Node) -> float:
        need = sum((pod.requests for pod in eligibility.movable[node.name]), Resources())
        alloc = node.allocatable
        pairs = ((need.cpu_m, alloc.cpu_m), (need.memory, alloc.memory), (need.gpu, alloc.gpu))
        shares = [t / a for t, a in pairs if a > 0]
        return max(shares, default=0.0)

    def price(node: Node) -> float:
        return node.price_per_hour or 0.0

    def least_used(n: Node) -> tuple[float, ...]:
        return (used(n), -price(n))

    return [
        ("least-used, replacements first", least_used, True),
        ("priciest", lambda n: (-price(n), used(n)), False),
        ("savings-ratio", lambda n: (-price(n) / (1 + len(eligibility.movable[n.name])), used(n)), False),
        ("least-used", least_used, False),
        ("fewest-pods", lambda n: (len(eligibility.movable[n.name]), used(n), -price(n)), False),
    ]


def _search(
    state: ClusterState,
    placement: Placement,
    replacer: Replacer,
    policy: ConsolidationPolicy,
    eligibility: Eligibility,
    name: str,
    order: Order,
    replace_first: bool = False,
) -> _Search:
    result = _Search(name)
    pinned: set[int] = set()  # nodes that received pods: never drained afterwards (no pod moves twice)
    candidates = sorted((n for n in state.nodes if n.name not in eligibility.blocked), key=order)

    def deletes(empty_only: bool = False) -> None:
        removed = {n for a in result.actions for n in a.nodes}
        for node in candidates:
            if node.name not in removed and not (empty_only and eligibility.movable[node.name]):
                _try_delete(placement, eligibility, policy, node, pinned, result)

    def empties() -> None:
        deletes(empty_only=True)

    def replaces() -> None:
        removed = {n for a in result.actions for n in a.nodes}
        remaining = [n for n in candidates if n.name not in removed and placement.index[n.name] not in pinned]
        replacer.run(remaining, result.actions, result.failures, paced=replace_first)

    # Empty nodes go first in every search: deleting them is free of moves.
    phases = [empties, replaces, deletes] if replace_first else [deletes, replaces, deletes]
    for phase in phases:
        if (phase is replaces and policy.allow_replace) or (phase is not replaces and policy.allow_delete):
            phase()
    result.savings = sum(a.savings_per_hour for a in result.actions)
    return result


def _try_delete(
    placement: Placement,
    eligibility: Eligibility,
    policy: ConsolidationPolicy,
    node: Node,
    pinned: set[int],
    result: _Search,
) -> None:
    index = placement.index[node.name]
    if index in pinned:
        return
    price = node.price_per_hour or 0.0
    pods = sorted(eligibility.movable[node.name], key=largest_first, reverse=True)
    if price < policy.min_savings_per_hour:
        result.failures[node.name] = BlockReason(
            BlockCode.SAVES_TOO_LITTLE,
            f"deleting it would save ${price:.4f}/h, under the ${policy.min_savings_per_hour}/h minimum",
        )
        return
    mark = placement.checkpoint()
    placement.close(index)
    for pod in pods:
        placement.unplace(pod)
    moves: list[Move] = []
    targets: Counter[int] = Counter()
    for pod in pods:
        target = placement.best_target(pod)
        if target is None:
            placement.rollback(mark)
            result.failures[node.name] = BlockReason(
                BlockCode.POD_FITS_NOWHERE, f"pod {pod.key} fits on no other node with room that meets its constraints"
            )
            return
        placement.place(pod, target)
        moves.append(Move(pod.key, placement.nodes[target].name))
        targets[target] += 1
    for target in targets:
        pinned.add(target)
        placement.set_tier(target, TARGET_PREFERRED)
    reasons = [f"saves ${price:.4f}/h ({node.instance_type} {node.capacity_type} in {node.zone})"]
    if pods:
        reasons.insert(0, f"its {len(pods)} pod(s) fit on {len(targets)} other node(s) without breaking their rules")
    else:
        reasons.insert(0, "no pods other than DaemonSets")
    paced = eligibility.rounds_reason(pods)
    reasons += [paced] if paced else []
    rounds = eligibility.rounds(pods)
    result.actions.append(Action("delete", (node.name,), None, tuple(moves), price, tuple(reasons), (), rounds))


# Reasons that only say no cheaper arrangement was found: a missing resource, when there is one, says why.
_VAGUE = frozenset({BlockCode.POD_FITS_NOWHERE, BlockCode.NO_CHEAPER_REPLACEMENT, BlockCode.NO_CHEAPER_ARRANGEMENT})


def _blocked(state: ClusterState, eligibility: Eligibility, search: _Search, replacer: Replacer) -> tuple[Blocked, ...]:
    acted = {n for a in search.actions for n in a.nodes}
    targets = {m.to for a in search.actions for m in a.moves}
    found = []
    for node in state.nodes:
        if node.name in acted:
            continue
        reason = eligibility.blocked.get(node.name) or search.failures.get(node.name)
        if reason is None and node.name in targets:
            reason = BlockReason(BlockCode.KEPT_AS_TARGET, "kept as a target: it receives pods from removed nodes")
        if reason is None or reason.code in _VAGUE:
            reason = replacer.missing_resource(node) or reason
        found.append(Blocked(node.name, reason or _NO_CHEAPER))
    return tuple(found)
