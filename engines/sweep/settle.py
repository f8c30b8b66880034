"""What the combined plan leaves: the nodes after, the ledger of who saved what, and a whole-cluster check.

The consolidation validator replays the actions and checks every node they touch; the whole-cluster check adds
what only the sweep can break: a node no action touches but whose pods' requests grew (rightsizing raising a
request to its peak), and a pod that ends on no node.
"""

from __future__ import annotations

from dataclasses import dataclass

from engines.cluster.capacity import PriceBook
from engines.cluster.model import ON_DEMAND, ClusterState, Resources
from engines.consolidation.plan import Action, Plan
from engines.sweep.combine import NEW, Combined, final_placement
from engines.sweep.ledger import Capability, Entry, Ledger, attribute, micro


@dataclass(frozen=True, slots=True)
class NodeAfter:
    name: str  # an existing node's, or "new:<k>" for the k-th launch of the plan
    instance_type: str
    availability_zone: str
    capacity_type: str
    price_per_hour: float


def nodes_after(state: ClusterState, plan: Plan) -> tuple[NodeAfter, ...]:
    removed = {n for a in plan.actions for n in a.nodes}
    rows = [
        NodeAfter(n.name, n.instance_type, n.zone, n.capacity_type, n.price_per_hour or 0.0)
        for n in state.nodes
        if n.name not in removed
    ]
    launches = [r for a in plan.actions for r in a.launches]
    rows += [
        NodeAfter(f"{NEW}{k}", r.instance_type, r.availability_zone, r.capacity_type, r.price_per_hour)
        for k, r in enumerate(launches)
    ]
    return tuple(rows)


def ledger_of(state: ClusterState, combined: Combined, alone: Plan, book: PriceBook) -> Ledger:
    before = sum(micro(n.price_per_hour or 0.0) for n in state.nodes)
    after = sum(micro(row.price_per_hour) for row in nodes_after(state, combined.plan))
    price = {n.name: micro(n.price_per_hour or 0.0) for n in state.nodes}
    entries: list[Entry] = []
    actions = combined.plan.actions
    launch = 0
    for action in actions[: combined.spot_actions]:
        saved = price[action.nodes[0]] - sum(micro(r.price_per_hour) for r in action.launches)
        entries.append(Entry(f"spot-{action.nodes[0]}", Capability.SPOT, saved, action.reasons[0]))
        launch += len(action.launches)
    savings: list[int] = []
    for action in actions[combined.spot_actions :]:
        on_demand = 0
        for r in action.launches:
            if launch in combined.spot_launches:
                planned = micro(book.price(r.instance_type, r.availability_zone, ON_DEMAND) or r.price_per_hour)
                entries.append(
                    Entry(f"spot-{NEW}{launch}", Capability.SPOT, planned - micro(r.price_per_hour),
                          f"{r.instance_type} in {r.availability_zone} launched as Spot, not On-Demand")
                )  # fmt: skip
            else:
                planned = micro(r.price_per_hour)
            on_demand += planned
            launch += 1
        savings.append(sum(price[n] for n in action.nodes) - on_demand)
    shares = attribute(savings, sum(_saved(a, price) for a in alone.actions))
    for number, (action, (kept, freed)) in enumerate(zip(actions[combined.spot_actions :], shares, strict=True)):
        name = f"action-{number + combined.spot_actions}"
        entries.append(Entry(name, _capability(action), kept, action.reasons[0]))
        if freed:
            why = "node dollars freed only because the new requests are smaller"
            entries.append(Entry(name, Capability.WORKLOAD_RIGHTSIZING, freed, why))
    return Ledger(before, after, tuple(entries))


def _saved(action: Action, price: dict[str, int]) -> int:
    return sum(price[n] for n in action.nodes) - sum(micro(r.price_per_hour) for r in action.launches)


def _capability(action: Action) -> Capability:
    """A one-for-one replacement is node rightsizing; deletes and merges are consolidation."""
    if len(action.nodes) == 1 and len(action.launches) == 1:
        return Capability.NODE_RIGHTSIZING
    return Capability.CONSOLIDATION


def whole_state_problems(state: ClusterState, plan: Plan) -> list[str]:
    """Every pod that ran on a node runs on a live node after the plan; no existing node ends over capacity."""
    removed = {n for a in plan.actions for n in a.nodes}
    launched = sum(len(a.launches) for a in plan.actions)
    live = {n.name for n in state.nodes if n.name not in removed} | {f"{NEW}{k}" for k in range(launched)}
    had_node = {p.key for p in state.pods if p.node is not None}
    where = final_placement(state, plan)
    problems = [
        f"pod {k} ends on no live node ({n})" for k, n in sorted(where.items()) if k in had_node and n not in live
    ]
    load = {n.name: Resources() for n in state.nodes if n.name in live}
    pods = {p.key: p for p in state.pods}
    for pod in state.pods:
        if pod.is_active and pod.is_daemon and pod.node in load:
            load[pod.node] = load[pod.node] + pod.requests
    for key, at in where.items():
        if at in load:
            load[at] = load[at] + pods[key].requests
    for node in state.nodes:
        short = load[node.name].shortfall(node.allocatable) if node.name in load else None
        if short is not None:
            problems.append(f"node {node.name} is over capacity after the sweep: {short}")
    return problems
