"""Node changes, in the order that keeps every pod placed: launch the replacements (from the node group's launch
template, the interruption pipeline's launch path), wait until they are Ready, cordon the old nodes, evict their
pods through the Eviction API (budgets honoured: a refusal waits for the next round), then remove each old node
the way its owner expects (engines.execution.owners). A dry run decides and records each step, changing nothing.
"""

from __future__ import annotations

import re
from typing import Any

from cloudoptim.errors import RecordNotFoundError
from cloudoptim.interruptions.drain import pod_view
from cloudoptim.interruptions.launch import REPLACES_TAG
from cloudoptim.interruptions.ports import LaunchSpec, NodeGroup, NodeRecord
from cloudoptim.onboarding import TENANT_TAG
from cloudoptim.optimization.execution.finish import fail
from cloudoptim.optimization.execution.run import Run, State
from engines.execution.owners import Removal
from engines.interruption.drain import EvictionResult, next_step, plan_drain

EXECUTION_TAG = "cloudoptim:execution"
MAX_WAIT_ATTEMPTS = 60  # x wait_seconds (30 s in AWS): half an hour for replacements to turn Ready
MAX_EVICTION_ROUNDS = 120  # x wait_seconds: an hour for budgets to let every pod go
_TOKEN_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def launch(run: Run) -> State:
    launched = list(run.state.get("launched") or [])
    tenant, cluster = run.records()
    reasons = []
    for index, wanted in enumerate(run.state["launches"][len(launched) :], start=len(launched)):
        group = cluster.node_groups.get(str(wanted["node_group"]))
        if group is None:
            raise RecordNotFoundError(f"node group {wanted['node_group']!r} of {run.cluster} is not registered")
        subnet = group.subnets.get(wanted["availability_zone"])
        if subnet is None:
            raise RecordNotFoundError(f"node group {group.name} has no subnet in {wanted['availability_zone']}")
        what = f"{wanted['capacity_type']} {wanted['instance_type']} in {subnet} from {group.launch_template_id}"
        if run.dry_run:
            reasons.append(f"dry run: would launch {what}")
            continue
        tags = {TENANT_TAG: run.tenant, REPLACES_TAG: str(wanted["replaces"]), EXECUTION_TAG: run.execution_id}
        token = _TOKEN_UNSAFE.sub("-", f"{run.execution_id}-{index}")[-64:]  # a retried launch is the same one
        spec = LaunchSpec(group.launch_template_id, group.launch_template_version, wanted["instance_type"], subnet,
                          wanted["capacity_type"], tags, token)  # fmt: skip
        done = run.deps.cloud.launcher(tenant, run.region).launch(spec)
        price = run.prices().price(wanted["instance_type"], wanted["availability_zone"], wanted["capacity_type"])
        launched.append({**wanted, "instance_id": done.instance_id, "node_name": done.private_dns_name,
                         "price": price})  # fmt: skip
        reasons.append(f"launched {done.instance_id} ({done.private_dns_name}): {what}")
        if done.private_dns_name:  # a notice for it before the next discovery must find its node, not "unknown"
            run.deps.registry.register_node(_new_node(run, group, wanted, done.instance_id, done.private_dns_name))
            reasons.append(f"registered as node {done.private_dns_name}: its own Spot notices will be handled")
        run.audit("launch", done.instance_id, None, {"instance_type": wanted["instance_type"]}, reasons[-1:])
    run.note("launch", reasons or ["nothing to launch"])
    return {**run.state, "launched": launched, "attempts": 0}


def _new_node(run: Run, group: NodeGroup, wanted: dict[str, Any], instance_id: str, name: str) -> NodeRecord:
    zone = str(wanted["availability_zone"])
    return NodeRecord(
        instance_id=instance_id, tenant_id=run.tenant, cluster=run.cluster, node_name=name, node_group=group.name,
        region=run.region, availability_zone=zone, az_id=group.az_ids.get(zone), instance_type=wanted["instance_type"],
        capacity_type="on-demand" if wanted["capacity_type"] == "on-demand" else "spot", seen_at=run.now,
    )  # fmt: skip


def wait_ready(run: Run) -> State:
    attempts = int(run.state.get("attempts") or 0) + 1
    waiting = [] if run.dry_run else [n["node_name"] for n in run.state["launched"] if not _ready(run, n["node_name"])]
    if not waiting:
        run.note("wait_ready", [f"{len(run.state['launched'])} replacement(s) Ready"])
        return {**run.state, "route": "ready", "attempts": 0}
    limit = int(run.state.get("max_wait_attempts") or MAX_WAIT_ATTEMPTS)
    if attempts >= limit:
        return abandon(run, "wait_ready", [f"{', '.join(waiting)} not Ready after {attempts} checks"])
    return {**run.state, "route": "wait", "attempts": attempts}


def _ready(run: Run, name: str) -> bool:
    node = run.kube.get_node(name) if name else None
    return bool(node and node.ready)


def cordon(run: Run) -> State:
    reasons = []
    for node in run.state["remove"]:
        if not run.dry_run:
            run.kube.cordon(node["name"])
        reasons.append(f"{'dry run: would cordon' if run.dry_run else 'cordoned'} {node['name']}: no new pods land")
        run.audit("cordon", node["name"], {"unschedulable": False}, {"unschedulable": True}, reasons[-1:])
    run.note("cordon", reasons)
    return {**run.state, "rounds": 0, "evicted": [], "blocked": []}


def evict(run: Run) -> State:
    """One eviction round over every node the plan removes; the drain engine decides done / wait / give up."""
    rounds = int(run.state.get("rounds") or 0) + 1
    plans = [plan_drain(pod_view(p) for p in run.kube.pods_on_node(n["name"])) for n in run.state["remove"]]
    pods = [pod for plan in plans for pod in plan.evict]
    if run.dry_run:
        would = [f"dry run: would evict {', '.join(p.ref for p in pods) or 'nothing'} (budgets honoured)"]
        run.note("evict", would)
        return {**run.state, "route": "drained", "rounds": rounds}
    results: list[tuple[str, EvictionResult]] = [
        (pod.ref, run.kube.evict(pod.namespace, pod.name).result.value) for pod in pods
    ]
    wait = int(run.state.get("wait_seconds", 30))
    limit = int(run.state.get("max_eviction_rounds") or MAX_EVICTION_ROUNDS)
    # The drain engine's deadline is in seconds; here it is the rounds left, each a wait long (never 0: a zero wait
    # would always leave room for one more round).
    decision = next_step(results, 0, max(wait, 1) * (limit - rounds), max(wait, 1))
    evicted = sorted({*run.state.get("evicted", []), *decision.evicted})
    for ref in decision.evicted:
        run.audit("evict", ref, {"node": "removed"}, {"evicted": True}, ["evicted through the Eviction API"])
    state = {**run.state, "rounds": rounds, "evicted": evicted, "blocked": list(decision.blocked)}
    if decision.step == "done":
        run.note("evict", [f"{len(evicted)} pod(s) evicted in {rounds} round(s)", *decision.reasons])
        return {**state, "route": "drained"}
    if decision.step == "wait":
        return {**state, "route": "wait"}
    run.state = state
    return abandon(run, "evict", [f"budgets still refuse {', '.join(decision.blocked)}", *decision.reasons])


def remove(run: Run) -> State:
    reasons = []
    for node in run.state["remove"]:
        how = Removal(node["how"])
        if run.dry_run:
            reasons.append(f"dry run: would remove {node['name']}: {node['reason']}")
            continue
        if how is Removal.NODECLAIM:
            done = run.kube.delete_nodeclaim(node["name"])
        elif how is Removal.AUTO_SCALING_GROUP:
            done = run.fleet.terminate_in_group(node["instance_id"])
        else:
            done = run.deps.cloud.terminator(run.records()[0], run.region).terminate(
                node["instance_id"], {TENANT_TAG: run.tenant}
            )
        reasons.append(f"removed {node['name']}: {node['reason']}" if done else f"{node['name']} was already gone")
        run.audit("remove", node["name"], {"instance": node["instance_id"]}, {"removed": how.value}, reasons[-1:])
    run.note("remove", reasons)
    return {**run.state}


def abandon(run: Run, step: str, reasons: list[str]) -> State:
    """Give up before any node is removed: uncordon what was cordoned, terminate what was launched."""
    undone = undo_launches(run, [n["instance_id"] for n in run.state.get("launched") or []])
    if not run.dry_run and step == "evict":
        for node in run.state["remove"]:
            run.kube.uncordon(node["name"])
        undone.append(f"uncordoned {', '.join(n['name'] for n in run.state['remove'])}")
    return fail(run, step, [*reasons, *undone])


def undo_launches(run: Run, instance_ids: list[str]) -> list[str]:
    terminator = run.deps.cloud.terminator(run.records()[0], run.region) if instance_ids else None
    done = []
    for instance_id in instance_ids:
        if terminator is not None and not run.dry_run and terminator.terminate(instance_id, {TENANT_TAG: run.tenant}):
            done.append(f"terminated launched {instance_id}")
            run.audit("undo_launch", instance_id, {"running": True}, {"terminated": True}, done[-1:])
    return done


def pods_on(run: Run, node_name: str) -> list[Any]:
    return [p for p in run.kube.pods_on_node(node_name) if p.needs_eviction]
