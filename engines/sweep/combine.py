"""One plan from the consolidation and the Spot choices, in the form the consolidation validator replays.

Existing nodes going Spot are replaced first (each by its Spot twin, "new:0".."new:<k-1>"), then the consolidation
runs with its launches renumbered after them; a pod it sends to a node that went Spot goes to that node's twin,
so no pod moves twice for the sweep. A launch the Spot step chose is launched as Spot in its own action.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from engines.cluster.capacity import PriceBook, eks_allocatable
from engines.cluster.model import HOSTNAME_KEY, SPOT, ClusterState, Node, Pod
from engines.consolidation.eligibility import Eligibility
from engines.consolidation.plan import Action, Move, Plan, Replacement
from engines.sweep.spot import Candidate, SpotChoice

NEW = "new:"


def candidates(state: ClusterState, plan: Plan, eligibility: Eligibility, prices: PriceBook) -> list[Candidate]:
    """Every node of the cluster after `plan`, with the non-DaemonSet pods it then holds."""
    where = {p.key: p.node for p in state.pods if p.is_active and not p.is_daemon}
    for action in plan.actions:
        for move in action.moves:
            where[move.pod] = move.to
    held: dict[str | None, list[Pod]] = {}
    pods = {p.key: p for p in state.pods}
    for key, at in where.items():
        held.setdefault(at, []).append(pods[key])
    removed = {n for a in plan.actions for n in a.nodes}
    out = []
    for node in state.nodes:
        if node.name not in removed:
            blocked = eligibility.blocked.get(node.name)
            why = None if blocked is None else f"may not be replaced: {blocked.text}"
            out.append(Candidate(node.name, node, tuple(held.get(node.name, ())), why))
    launched = 0
    for action in plan.actions:
        template = state.node(action.nodes[0]) if action.nodes else None
        for r in action.launches:
            ref = f"{NEW}{launched}"
            launched += 1
            new = _launched(ref, r, template, prices)
            if new is not None:
                out.append(Candidate(ref, new, tuple(held.get(ref, ())), None))
    return out


def _launched(ref: str, r: Replacement, template: Node | None, prices: PriceBook) -> Node | None:
    instance = prices.instance_types.get(r.instance_type)
    if instance is None:
        return None
    labels = dict(template.labels) if template else {}
    labels |= {HOSTNAME_KEY: ref, "node.kubernetes.io/instance-type": r.instance_type}
    allocatable = template.allocatable if template else eks_allocatable(instance)  # spot_twin recomputes it
    taints = template.taints if template else ()
    return Node(ref, r.instance_type, r.availability_zone, r.capacity_type, allocatable, r.price_per_hour, labels,
                taints)  # fmt: skip


@dataclass(frozen=True)
class Combined:
    plan: Plan
    spot_actions: int  # the first actions: existing nodes replaced by their Spot twins
    spot_launches: frozenset[int]  # launch numbers (in the combined plan) made Spot inside consolidation actions


def combine(plan: Plan, choices: list[SpotChoice], eligibility: Eligibility) -> Combined:
    existing = [c for c in choices if not c.candidate.ref.startswith(NEW)]
    launches = {int(c.candidate.ref[len(NEW) :]): c for c in choices if c.candidate.ref.startswith(NEW)}
    twin = {c.candidate.ref: f"{NEW}{i}" for i, c in enumerate(existing)}
    actions = [_to_spot(c, twin[c.candidate.ref], eligibility) for c in existing]
    shift, launched, flipped = len(existing), 0, set()
    for action in plan.actions:
        moves = tuple(Move(m.pod, _renamed(m.to, twin, shift)) for m in action.moves)
        made: list[Replacement] = []
        savings = action.savings_per_hour
        for r in action.launches:
            choice = launches.get(launched)
            if choice is not None:
                made.append(replace(r, capacity_type=SPOT, price_per_hour=choice.spot_price))
                savings += r.price_per_hour - choice.spot_price
                flipped.add(launched + shift)
            else:
                made.append(r)
            launched += 1
        first, rest = (made[0], tuple(made[1:])) if made else (None, ())
        actions.append(
            replace(action, moves=moves, replacement=first, more_replacements=rest, savings_per_hour=savings)
        )
    total = sum(a.savings_per_hour for a in actions)
    combined = replace(plan, actions=tuple(actions), cost_after_per_hour=plan.cost_before_per_hour - total)
    return Combined(combined, len(existing), frozenset(flipped))


def _renamed(to: str, twin: dict[str, str], shift: int) -> str:
    if to.startswith(NEW):
        return f"{NEW}{int(to[len(NEW) :]) + shift}"
    return twin.get(to, to)


def _to_spot(choice: SpotChoice, name: str, eligibility: Eligibility) -> Action:
    node = choice.candidate.node
    pods = eligibility.movable.get(node.name, ())
    od = node.price_per_hour or 0.0
    reasons = (
        f"{node.instance_type} in {node.zone} relaunched as Spot: ${od:.4f}/h -> ${choice.spot_price:.4f}/h",
        *choice.pool.reasons,
    )
    replacement = Replacement(node.instance_type, SPOT, node.zone, choice.spot_price)
    moves = tuple(Move(p.key, name) for p in pods)
    return Action("replace", (node.name,), replacement, moves, od - choice.spot_price, reasons, (),
                  eligibility.rounds(pods))  # fmt: skip


def final_placement(state: ClusterState, plan: Plan) -> dict[str, str | None]:
    """Where every active non-DaemonSet pod runs once the plan is done (None: nowhere)."""
    where = {p.key: p.node for p in state.pods if p.is_active and not p.is_daemon}
    for action in plan.actions:
        for move in action.moves:
            where[move.pod] = move.to
    return where
