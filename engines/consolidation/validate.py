"""Re-check a plan against a cluster state: the gate before execution (spec E1) and the oracle of the tests.

It replays the actions in order and reports every broken rule in words; an empty list means the plan is
safe to run against this state. It shares no search code with the planner, so a planner bug cannot hide.
"""

from __future__ import annotations

from collections import Counter

from engines.cluster.capacity import PriceBook, eks_allocatable
from engines.cluster.model import HOSTNAME_KEY, ClusterState, Node, Pod, Resources
from engines.consolidation.daemons import DaemonSets
from engines.consolidation.eligibility import assess
from engines.consolidation.plan import Action, Plan, Replacement
from engines.consolidation.policy import ConsolidationPolicy


def validate_plan(
    state: ClusterState, plan: Plan, prices: PriceBook, policy: ConsolidationPolicy | None = None
) -> list[str]:
    policy = policy or ConsolidationPolicy()
    eligibility = assess(state, policy)
    daemons = DaemonSets.of(state)
    nodes: dict[str, Node] = {n.name: n for n in state.nodes}
    pods = {p.key: p for p in state.pods if p.is_active and not p.is_daemon}
    where: dict[str, str] = {k: p.node for k, p in pods.items() if p.node in nodes}
    reserved: dict[str, Resources] = {}  # DaemonSet pods on new nodes
    problems: list[str] = []
    launched = 0  # new nodes are numbered in launch order ("new:<k>"), whatever becomes of them later
    for number, action in enumerate(plan.actions, 1):
        label = f"action {number} ({action.type} {', '.join(action.nodes)})"
        for name in action.nodes:
            if name not in nodes:
                problems.append(f"{label}: node {name} does not exist (or was already removed)")
            elif name in eligibility.blocked:
                problems.append(f"{label}: node {name} may not be disrupted: {eligibility.blocked[name].text}")
        for replacement in action.launches:
            new = _new_node(action, replacement, launched, nodes, prices)
            launched += 1
            if new is None:
                problems.append(f"{label}: replacement {replacement.instance_type} is not in the catalogue")
            else:
                nodes[new.name] = new
                reserved[new.name] = daemons.overhead(new)
        evicted = {k for k, n in where.items() if n in action.nodes}
        if evicted != {m.pod for m in action.moves}:
            problems.append(f"{label}: its moves do not match the {len(evicted)} pods the nodes hold")
        for index, count in Counter(eligibility.pdb_of[k] for k in evicted if k in eligibility.pdb_of).items():
            pdb = state.pdbs[index]
            if count > pdb.disruptions_allowed:
                problems.append(f"{label}: evicts {count} pods of PDB {pdb.namespace}/{pdb.name}")
        for move in action.moves:
            if move.to not in nodes or move.to in action.nodes:
                problems.append(f"{label}: pod {move.pod} moves to {move.to}, which is not a live node")
            where[move.pod] = move.to
        for name in action.nodes:
            nodes.pop(name, None)
    return problems + _final_problems(state, nodes, pods, where, reserved)


def _new_node(action: Action, r: Replacement, index: int, nodes: dict[str, Node], prices: PriceBook) -> Node | None:
    instance = prices.instance_types.get(r.instance_type)
    if instance is None:
        return None
    template = nodes.get(action.nodes[0]) if action.nodes else None
    labels = dict(template.labels) if template else {}
    labels |= {HOSTNAME_KEY: f"new:{index}", "node.kubernetes.io/instance-type": r.instance_type}
    labels.pop("nvidia.com/gpu.present", None)
    if instance.gpus:
        labels["nvidia.com/gpu.present"] = "true"
    return Node(
        name=f"new:{index}",
        instance_type=r.instance_type,
        zone=r.availability_zone,
        capacity_type=r.capacity_type,
        allocatable=eks_allocatable(instance),
        price_per_hour=r.price_per_hour,
        labels=labels,
        taints=template.taints if template else (),
    )


def _final_problems(
    state: ClusterState,
    nodes: dict[str, Node],
    pods: dict[str, Pod],
    where: dict[str, str],
    reserved: dict[str, Resources],
) -> list[str]:
    problems = []
    load: dict[str, Resources] = {name: reserved.get(name, Resources()) for name in nodes}
    for pod in state.pods:
        if pod.is_active and pod.is_daemon and pod.node in load:
            load[pod.node] = load[pod.node] + pod.requests
    for key, name in where.items():
        if name not in nodes:
            problems.append(f"pod {key} is left on removed node {name}")
            continue
        load[name] = load[name] + pods[key].requests
        why = pods[key].static_fit(nodes[name])
        if why is not None and pods[key].node != name:
            problems.append(f"pod {key} moved to {name}, which breaks its {why}")
    for name, used in load.items():
        short = used.shortfall(nodes[name].allocatable)
        if short:
            problems.append(f"node {name} is over capacity after the plan: {short}")
    problems.extend(_anti_affinity_problems(nodes, pods, where))
    return problems


def _anti_affinity_problems(nodes: dict[str, Node], pods: dict[str, Pod], where: dict[str, str]) -> list[str]:
    """Required anti-affinity of moved pods, checked by brute force in the final state."""
    moved = [k for k, n in where.items() if pods[k].node != n and pods[k].anti_affinity]
    problems = []
    for key in moved:
        pod, node = pods[key], nodes.get(where[key])
        if node is None:
            continue
        for term in pod.anti_affinity:
            domain = node.topology_value(term.topology_key)
            for other_key, other_node in where.items():
                other = pods[other_key]
                if other_key == key or other.namespace not in term.namespaces or other_node not in nodes:
                    continue
                if nodes[other_node].topology_value(term.topology_key) == domain and term.selector.matches(
                    other.labels
                ):
                    problems.append(f"pod {key} shares {term.topology_key}={domain} with {other_key} (anti-affinity)")
    return problems
