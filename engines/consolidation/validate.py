"""Re-check a plan against a cluster state: the gate before execution (spec E1) and the oracle of the tests.

It replays the actions in order as the cluster would live them: an action's nodes go, the pods they held are
evicted and scheduled one by one where the plan moves them, each checked against the rules Kubernetes applies
at that moment (validate_rules.py), and every node the action touched must then hold what runs on it, in every
resource. Each broken rule is reported in words; an empty list means the plan is safe to run against this state.
It shares no search or fit code with the planner, so a planner bug cannot hide.

Budgets as the Eviction API applies them: an action may evict pods of a budget that allows at least one
disruption (it takes ceil(pods / allowance) rounds, which the action must state); a budget allowing none, or a pod
under two budgets, makes the node untouchable.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from engines.cluster.capacity import INHERITED, PriceBook, eks_allocatable
from engines.cluster.model import HOSTNAME_KEY, ClusterState, Node, Pod, Resources, relabelled
from engines.consolidation.daemons import DaemonSets
from engines.consolidation.eligibility import Eligibility, assess
from engines.consolidation.plan import Action, Plan, Replacement
from engines.consolidation.policy import ConsolidationPolicy
from engines.consolidation.validate_rules import World, static_problem


@dataclass
class _Replay:
    state: ClusterState
    prices: PriceBook
    eligibility: Eligibility
    daemons: DaemonSets
    world: World
    load: dict[str, Resources]  # per live node: what its pods (DaemonSets included) request
    home: dict[str, str]  # pod key -> the zone of its persistent volume
    launched: int = 0  # new nodes are numbered in launch order ("new:<k>"), whatever becomes of them later


def validate_plan(
    state: ClusterState, plan: Plan, prices: PriceBook, policy: ConsolidationPolicy | None = None
) -> list[str]:
    replay = _start(state, prices, policy or ConsolidationPolicy())
    problems: list[str] = []
    for number, action in enumerate(plan.actions, 1):
        label = f"action {number} ({action.type} {', '.join(action.nodes)})"
        problems.extend(f"{label}: {p}" for p in _action_problems(replay, action))
    return problems


def _start(state: ClusterState, prices: PriceBook, policy: ConsolidationPolicy) -> _Replay:
    nodes = {n.name: n for n in state.nodes}
    pods = {p.key: p for p in state.pods if p.is_active and not p.is_daemon}
    where = {k: p.node for k, p in pods.items() if p.node in nodes}
    load = {name: Resources() for name in nodes}
    for pod in state.pods:
        if pod.is_active and pod.node in load:
            load[pod.node] = load[pod.node] + pod.requests
    home = {k: nodes[n].zone for k, n in where.items() if pods[k].persistent_volume}
    world = World(nodes, pods, where)
    return _Replay(state, prices, assess(state, policy), DaemonSets.of(state), world, load, home)


def _action_problems(replay: _Replay, action: Action) -> list[str]:
    world = replay.world
    problems = _removal_problems(replay, action)
    for replacement in action.launches:
        node = _new_node(replay, action, replacement)
        replay.launched += 1
        if node is None:
            problems.append(f"replacement {replacement.instance_type} is not in the catalogue")
            continue
        world.add_node(node)
        replay.load[node.name] = replay.daemons.overhead(node)
    evicted = sorted(k for k, n in world.where.items() if n in action.nodes)
    moved = [m.pod for m in action.moves]
    if sorted(moved) != evicted:
        problems.append(f"its moves do not match the {len(evicted)} pods the nodes hold")
        problems += [f"pod {k} is left on removed node {world.where[k]}" for k in evicted if k not in set(moved)]
    problems += _budget_problems(replay, action, evicted)
    for key in evicted:
        world.move(key, None)
    for name in action.nodes:
        world.remove_node(name)
        replay.load.pop(name, None)
    touched: set[str] = set()
    for move in action.moves:
        problems += _move_problems(replay, action, move.pod, move.to)
        touched.add(move.to)
    for name in sorted(touched & set(world.nodes)):
        short = replay.load[name].shortfall(world.nodes[name].allocatable)
        if short:
            problems.append(f"node {name} is over capacity after it: {short}")
    return problems


def _removal_problems(replay: _Replay, action: Action) -> list[str]:
    problems = []
    for name in action.nodes:
        if name not in replay.world.nodes:
            problems.append(f"node {name} does not exist (or was already removed)")
        elif name in replay.eligibility.blocked:
            problems.append(f"node {name} may not be disrupted: {replay.eligibility.blocked[name].text}")
    return problems


def _budget_problems(replay: _Replay, action: Action, evicted: list[str]) -> list[str]:
    """Evictions as the Eviction API allows them, and the rounds the action must say it takes."""
    state, problems = replay.state, []
    per_budget: Counter[int] = Counter()
    for key in evicted:
        pod = replay.world.pods[key]
        covering = [i for i, pdb in enumerate(state.pdbs) if pdb.covers(pod)]
        if len(covering) > 1:
            problems.append(f"pod {key} is under {len(covering)} PodDisruptionBudgets: the Eviction API refuses it")
        per_budget.update(covering[:1])
    rounds = 1 if evicted else 0
    for index, count in per_budget.items():
        pdb = state.pdbs[index]
        if pdb.disruptions_allowed <= 0:
            problems.append(f"evicts {count} pod(s) of PDB {pdb.namespace}/{pdb.name}, which allows no disruption")
        else:
            rounds = max(rounds, math.ceil(count / pdb.disruptions_allowed))
    if action.eviction_rounds != rounds:
        problems.append(f"says {action.eviction_rounds} eviction round(s), its budgets need {rounds}")
    return problems


def _move_problems(replay: _Replay, action: Action, key: str, to: str) -> list[str]:
    world = replay.world
    pod: Pod | None = world.pods.get(key)
    node = world.nodes.get(to)
    if pod is None:
        return [f"pod {key} is not a running pod the plan may move"]
    if node is None or to in action.nodes:
        return [f"pod {key} moves to {to}, which is not a live node"]
    problems = []
    why = static_problem(pod, node, replay.home.get(key)) or world.pod_problem(pod, node)
    if why is not None:
        problems.append(f"pod {key} may not run on {to}: {why}")
    world.move(key, to)
    replay.load[to] = replay.load[to] + pod.requests
    return problems


def _new_node(replay: _Replay, action: Action, r: Replacement) -> Node | None:
    """The node a launch creates: the catalogue's allocatable for the type (its devices included), and from the
    first node the action replaces its pool labels (capacity type as launched), taints and what its launch
    template gives (root volume)."""
    instance = replay.prices.instance_types.get(r.instance_type)
    if instance is None:
        return None
    template = replay.world.nodes.get(action.nodes[0]) if action.nodes else None
    name = f"new:{replay.launched}"
    labels = dict(template.labels) if template else {}
    for per_machine in (HOSTNAME_KEY, "node.kubernetes.io/instance-type", "beta.kubernetes.io/instance-type"):
        labels.pop(per_machine, None)
    labels.pop("nvidia.com/gpu.present", None)
    labels |= {HOSTNAME_KEY: name, "node.kubernetes.io/instance-type": r.instance_type}
    labels = relabelled(labels, r.capacity_type)  # a Spot launch from an On-Demand template says Spot
    allocatable = eks_allocatable(instance)
    if instance.gpus and allocatable.gpu:
        labels["nvidia.com/gpu.present"] = "true"
    if template is not None:
        kept = tuple((n, v) for n, v in template.allocatable.extended if n in INHERITED)
        rest = tuple((n, v) for n, v in allocatable.extended if n not in INHERITED)
        allocatable = Resources(allocatable.cpu_m, allocatable.memory, allocatable.gpu, allocatable.pods,
                                tuple(sorted(rest + kept)))  # fmt: skip
    return Node(
        name=name,
        instance_type=r.instance_type,
        zone=r.availability_zone,
        capacity_type=r.capacity_type,
        allocatable=allocatable,
        price_per_hour=r.price_per_hour,
        labels=labels,
        taints=template.taints if template else (),
    )
