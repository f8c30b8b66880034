"""NodeStatus, CordonNode and EvictPods: the Kubernetes side of the workflow, deadline-aware.

A node is acted on only when its name and its providerID both say it is the instance the notice is about: node
names are reused (EKS names nodes by private DNS name, and a subnet's addresses come back), so a name alone could
point at another machine that now carries it.
"""

from __future__ import annotations

from dataclasses import dataclass

from cloudoptim.interruptions.execution import to_epoch
from cloudoptim.interruptions.kube import KubePort, NodeStatus, PodRef
from cloudoptim.interruptions.models import Cordon, Drain, DrainState
from cloudoptim.interruptions.models import NodeStatus as ReadyCheck
from cloudoptim.interruptions.ports import KubeConnector, Registry
from engines.interruption.drain import EvictionResult, PodView, next_step, plan_drain

MAX_READY_ATTEMPTS = 60  # with WAIT_SECONDS=5, five minutes for a node to join and turn Ready
READY_WITHIN_SECONDS = 600  # after the event: a replacement not Ready by then is terminated


@dataclass(frozen=True)
class KubeDeps:
    registry: Registry
    kube: KubeConnector


def _port(state: DrainState, deps: KubeDeps) -> KubePort:
    cluster = deps.registry.cluster(state.tenant_id, state.cluster)
    return deps.kube.connect(cluster.owner(deps.registry.tenant(state.tenant_id)), cluster, state.region)


def pod_view(pod: PodRef) -> PodView:
    phase = "Succeeded" if pod.deleting and not pod.terminal else pod.phase  # a deleting pod is leaving anyway
    return PodView(pod.namespace, pod.name, pod.owner_kind, pod.mirror, phase)


@dataclass(frozen=True)
class NodeMatch:
    node: NodeStatus | None
    reason: str
    other_machine: bool = False  # the name belongs to another instance now


def node_of(kube: KubePort, name: str | None, instance_id: str) -> NodeMatch:
    """The node named `name` if its providerID names `instance_id`; found by providerID (a list, the rare path)
    only when no name is known."""
    if name:
        node = kube.get_node(name)
        if node is None:
            return NodeMatch(None, f"no node {name}")
        if node.instance_id != instance_id:
            other = node.instance_id or "(no providerID)"
            return NodeMatch(None, f"node {name} is instance {other}, not {instance_id}: left alone", True)
        return NodeMatch(node, f"node {name} is instance {instance_id}")
    found = kube.node_for_instance(instance_id)
    node = kube.get_node(found) if found else None
    return NodeMatch(node, f"node {found} found by providerID" if node else f"no node for {instance_id}")


def node_status(state: DrainState, deps: KubeDeps, now: int) -> ReadyCheck:
    """Is the replacement a Ready node yet? Bounded by attempts and by READY_WITHIN_SECONDS after the event; its
    node is looked up by name (one GET), not by listing every node on each check."""
    attempts = (state.status.attempts if state.status else 0) + 1
    launch = state.launch
    if state.dry_run or launch is None or launch.instance_id is None:
        return ReadyCheck(step="ready", attempts=attempts, reasons=["dry run or nothing launched: no node to wait for"])
    match = node_of(_port(state, deps), launch.node_name, launch.instance_id)
    node = match.node
    if node is not None and node.ready:
        return ReadyCheck(step="ready", attempts=attempts, node_name=node.name, reasons=[f"node {node.name} is Ready"])
    past = now >= to_epoch(state.event_time) + READY_WITHIN_SECONDS
    if attempts >= MAX_READY_ATTEMPTS or past:
        why = f"{READY_WITHIN_SECONDS} s after the event" if past else f"{attempts} checks"
        return ReadyCheck(
            step="timeout", attempts=attempts, reasons=[f"replacement {launch.instance_id} not Ready after {why}"]
        )
    seen = f"node {node.name} not Ready yet" if node is not None else match.reason
    return ReadyCheck(step="wait", attempts=attempts, reasons=[seen])


def cordon_node(state: DrainState, deps: KubeDeps) -> Cordon:
    if state.dry_run:
        return Cordon(cordoned=False, node_name=state.node_name, dry_run=True, reasons=["dry run: would cordon"])
    kube = _port(state, deps)
    match = node_of(kube, state.node_name, state.instance_id)
    if match.node is None:
        return Cordon(cordoned=False, node_name=state.node_name, reasons=[f"not cordoned: {match.reason}"])
    kube.cordon(match.node.name)
    return Cordon(cordoned=True, node_name=match.node.name, reasons=[f"cordoned ({match.reason}): no new pods land"])


def _still_its_own(state: DrainState, now: int) -> bool:
    """An earlier round checked the name, and the warning's two minutes have not run out: the instance still runs
    and holds its address, so no other machine can carry its name yet (one GET less per round)."""
    return bool(state.drain and state.drain.rounds) and state.deadline is not None and now < to_epoch(state.deadline)


def evict_pods(state: DrainState, deps: KubeDeps, now: int) -> Drain:
    """One eviction round over the drain plan, then done / wait and retry / give up (the engine decides)."""
    rounds = (state.drain.rounds if state.drain else 0) + 1
    kube = _port(state, deps)
    earlier = list(state.drain.evicted) if state.drain else []
    if not state.dry_run and not _still_its_own(state, now):
        match = node_of(kube, state.node_name, state.instance_id)
        if match.other_machine:
            return Drain(step="done", rounds=rounds, evicted=earlier, reasons=[f"nothing evicted: {match.reason}"])
    plan = plan_drain(pod_view(p) for p in kube.pods_on_node(state.node_name))
    skipped = [s.pod.ref for s in plan.skipped]
    if state.dry_run:
        return Drain(
            step="done", rounds=rounds, skipped=skipped, dry_run=True,
            reasons=[f"dry run: would evict {', '.join(p.ref for p in plan.evict) or 'nothing'}", *plan.reasons()],
        )  # fmt: skip
    results: list[tuple[str, EvictionResult]] = []
    for pod in plan.evict:
        outcome = kube.evict(pod.namespace, pod.name)
        results.append((pod.ref, outcome.result.value))
    deadline = to_epoch(state.deadline) if state.deadline is not None else now
    decision = next_step(results, now, deadline, state.wait_seconds)
    return Drain(
        step=decision.step, rounds=rounds, evicted=earlier + list(decision.evicted), blocked=list(decision.blocked),
        skipped=skipped, reasons=[*decision.reasons, *plan.reasons()],
    )  # fmt: skip
