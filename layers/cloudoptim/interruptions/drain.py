"""NodeStatus, CordonNode and EvictPods: the Kubernetes side of the workflow, deadline-aware."""

from __future__ import annotations

from dataclasses import dataclass

from cloudoptim.interruptions.execution import to_epoch
from cloudoptim.interruptions.kube import KubePort, PodRef
from cloudoptim.interruptions.models import Cordon, Drain, DrainState, NodeStatus
from cloudoptim.interruptions.ports import KubeConnector, Registry
from engines.interruption.drain import EvictionResult, PodView, next_step, plan_drain

MAX_READY_ATTEMPTS = 60  # with WAIT_SECONDS=5, five minutes for a node to join and turn Ready


@dataclass(frozen=True)
class KubeDeps:
    registry: Registry
    kube: KubeConnector


def _port(state: DrainState, deps: KubeDeps) -> KubePort:
    tenant = deps.registry.tenant(state.tenant_id)
    return deps.kube.connect(tenant, deps.registry.cluster(state.tenant_id, state.cluster), state.region)


def pod_view(pod: PodRef) -> PodView:
    phase = "Succeeded" if pod.deleting and not pod.terminal else pod.phase  # a deleting pod is leaving anyway
    return PodView(pod.namespace, pod.name, pod.owner_kind, pod.mirror, phase)


def node_status(state: DrainState, deps: KubeDeps, now: int) -> NodeStatus:
    """Is the replacement a Ready node yet? Bounded by attempts and by the drain deadline."""
    attempts = (state.status.attempts if state.status else 0) + 1
    launch = state.launch
    if state.dry_run or launch is None or launch.instance_id is None:
        return NodeStatus(step="ready", attempts=attempts, reasons=["dry run or nothing launched: no node to wait for"])
    kube = _port(state, deps)
    name = kube.node_for_instance(launch.instance_id)
    node = kube.get_node(name) if name else None
    if node is not None and node.ready:
        return NodeStatus(step="ready", attempts=attempts, node_name=node.name, reasons=[f"node {node.name} is Ready"])
    past_deadline = state.deadline is not None and now >= to_epoch(state.deadline)
    if attempts >= MAX_READY_ATTEMPTS or past_deadline:
        why = "the deadline" if past_deadline else f"{attempts} checks"
        return NodeStatus(
            step="timeout", attempts=attempts, reasons=[f"replacement {launch.instance_id} not Ready after {why}"]
        )
    seen = f"node {node.name} not Ready yet" if node else f"no node for {launch.instance_id} yet"
    return NodeStatus(step="wait", attempts=attempts, reasons=[seen])


def cordon_node(state: DrainState, deps: KubeDeps) -> Cordon:
    if state.dry_run:
        return Cordon(cordoned=False, node_name=state.node_name, dry_run=True, reasons=["dry run: would cordon"])
    kube = _port(state, deps)
    if kube.get_node(state.node_name) is None:
        return Cordon(cordoned=False, node_name=state.node_name, reasons=["node is already gone"])
    kube.cordon(state.node_name)
    return Cordon(cordoned=True, node_name=state.node_name, reasons=["cordoned: no new pods land on it"])


def evict_pods(state: DrainState, deps: KubeDeps, now: int) -> Drain:
    """One eviction round over the drain plan, then done / wait and retry / give up (the engine decides)."""
    rounds = (state.drain.rounds if state.drain else 0) + 1
    kube = _port(state, deps)
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
    earlier = list(state.drain.evicted) if state.drain else []
    return Drain(
        step=decision.step, rounds=rounds, evicted=earlier + list(decision.evicted), blocked=list(decision.blocked),
        skipped=skipped, reasons=[*decision.reasons, *plan.reasons()],
    )  # fmt: skip
