"""From a sweep's result to recommendations, and the `actions` each carries (the execution workflows' contract).

One recommendation per plan action (kind from its ledger entry: spot, consolidation or node rightsizing), one per
workload whose requests change (workload rightsizing), one per OOM-killed container (OOM remediation). Each ledger
dollar goes to exactly one of them: an action's own entries, and a Spot launch inside it, to the action; the node
dollars freed only by smaller requests to the workloads, shared by what each frees (vCPU priced as 8 GiB, the
ratio of AWS's general-purpose prices), so they add up to the ledger's total to the micro-dollar.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from cloudoptim.optimization.records import Recommendation
from engines.rightsizing.inventory import WorkloadRef
from engines.sweep.compose import SweepInputs, SweepResult
from engines.sweep.ledger import MICRO, Capability, split

GIB = 2**30
PATCHABLE = frozenset({"Deployment", "StatefulSet", "DaemonSet"})  # owners whose pod template the workflow patches
CPU_WEIGHT_PER_CORE, MEMORY_WEIGHT_PER_GIB = 8, 1  # an m-family vCPU costs about what 8 GiB do


def _action_json(action: Any, first_launch: int) -> dict[str, Any]:
    launches = [
        {"instance_type": r.instance_type, "availability_zone": r.availability_zone, "capacity_type": r.capacity_type,
         "price_per_hour": r.price_per_hour}
        for r in action.launches
    ]  # fmt: skip
    moves = []
    for move in action.moves:
        to = move.to
        if to.startswith("new:") and first_launch <= int(to[4:]) < first_launch + len(launches):
            to = f"new:{int(to[4:]) - first_launch}"  # the action's own launch, counted from 0
        moves.append({"pod": move.pod, "to": to})
    return {"type": action.type, "nodes": list(action.nodes), "launches": launches, "moves": moves,
            "eviction_rounds": action.eviction_rounds}  # fmt: skip


def recommendations_of(
    result: SweepResult,
    inputs: SweepInputs,
    cluster: str,
    sweep_id: str,
    run: str,
    now: int,
    expires: int,
    owners: frozenset[tuple[str, str, str]] | None = None,
    excluded: frozenset[str] = frozenset(),
) -> list[Recommendation]:
    """`owners`: the controllers the snapshot holds (None: all); `excluded`: namespaces the policy keeps out. A
    workload outside them gets no patch; the freed node dollars go to those that do (none: they stay unclaimed, and
    the sweep's projected savings are what its recommendations claim)."""
    common = {"cluster": cluster, "sweep_id": sweep_id, "discovery_run": run, "expires_at": expires}
    prices = {n.name: n.price_per_hour or 0.0 for n in inputs.state.nodes}
    entries: dict[str, list[Any]] = defaultdict(list)
    for entry in result.ledger.entries:
        entries[entry.recommendation].append(entry)
    made: list[Recommendation] = []
    freed_total = 0
    launched = 0
    for index, action in enumerate(result.plan.actions):
        names = [f"spot-{action.nodes[0]}", f"action-{index}"]
        names += [f"spot-new:{launched + k}" for k in range(len(action.launches))]
        mine = [e for name in names for e in entries.get(name, [])]
        own = [e for e in mine if e.capability != Capability.WORKLOAD_RIGHTSIZING]
        freed_total += sum(e.micro_per_hour for e in mine if e.capability == Capability.WORKLOAD_RIGHTSIZING)
        kind = _kind(own)
        cost = sum(prices.get(n, 0.0) for n in action.nodes)
        made.append(Recommendation(
            **common, kind=kind, title=_title(action), current=", ".join(action.nodes),
            recommended=", ".join(f"{r.instance_type} ({r.capacity_type}, {r.availability_zone})"
                                  for r in action.launches) or "nothing (pods fit elsewhere)",
            projected_savings_per_hour=sum(e.micro_per_hour for e in own) / MICRO, cost_before_per_hour=cost,
            reasons=[*(e.reason for e in own), *action.reasons], actions=[_action_json(action, launched)],
        ))  # fmt: skip
        launched += len(action.launches)
    made += _workloads(result, inputs, common, freed_total, owners, excluded)
    made += _ooms(result, inputs, common)
    return made


def _ooms(result: SweepResult, inputs: SweepInputs, common: dict[str, Any]) -> list[Recommendation]:
    """E4: more memory for an OOM-killed container (request and limit), or a person's attention; it saves nothing."""
    owner = {(p.namespace, p.name): p.owner for p in inputs.inventory.pods}
    made = []
    for oom in result.ooms:
        ref = owner.get((oom.namespace, oom.pod))
        actions: list[dict[str, Any]] = []
        if oom.new_memory_bytes is not None and ref is not None and ref.kind in PATCHABLE:
            actions.append({
                "type": "patch_requests", "namespace": oom.namespace, "owner_kind": ref.kind, "owner_name": ref.name,
                "container": oom.container, "cpu_request_cores": None, "memory_request_bytes": oom.new_memory_bytes,
                "memory_limit_bytes": oom.new_memory_bytes,
            })  # fmt: skip
        target = f"{oom.namespace}/{ref or oom.pod}/{oom.container}"
        memory = f"{round(oom.new_memory_bytes / 2**20)} MiB" if oom.new_memory_bytes else None
        made.append(Recommendation(
            **common, kind="oom", title=f"{target}: OOM-killed, " + (f"memory to {memory}" if actions else
                                                                      "needs a person"),
            current=f"used {round(oom.used_bytes / 2**20)} MiB before the kill",
            recommended=f"{memory} request and limit" if memory else "escalated",
            projected_savings_per_hour=0.0, reasons=list(oom.reasons), actions=actions,
        ))  # fmt: skip
    return made


def _kind(own: list[Any]) -> Any:
    if any(e.capability == Capability.SPOT for e in own) and not any(
        e.capability in (Capability.CONSOLIDATION, Capability.NODE_RIGHTSIZING) for e in own
    ):
        return "spot"
    if any(e.capability == Capability.NODE_RIGHTSIZING for e in own):
        return "node_rightsizing"
    return "consolidation"


def _title(action: Any) -> str:
    launches = len(action.launches)
    if action.type == "delete":
        return f"delete {len(action.nodes)} node(s): their pods fit on the others"
    return f"replace {len(action.nodes)} node(s) by {launches} cheaper one(s)"


def _workloads(
    result: SweepResult,
    inputs: SweepInputs,
    common: dict[str, Any],
    freed: int,
    owners: frozenset[tuple[str, str, str]] | None,
    excluded: frozenset[str],
) -> list[Recommendation]:
    owner: dict[tuple[str, str], WorkloadRef] = {(p.namespace, p.name): p.owner for p in inputs.inventory.pods}
    current = {(p.namespace, p.name, c.name): c.resources for p in inputs.inventory.pods for c in p.containers}
    by_workload: dict[tuple[str, str, str], dict[str, dict[str, Any]]] = {}
    weights: dict[tuple[str, str, str], float] = defaultdict(float)
    reasons: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for request in result.requests:
        if not request.changed:
            continue
        ref = owner.get((request.namespace, request.pod))
        if ref is None or ref.kind not in PATCHABLE or request.namespace in excluded:
            continue  # a bare pod or a Job has no template the workflow patches: its next incarnation is another's
        if owners is not None and (ref.kind, request.namespace, ref.name) not in owners:
            continue  # the snapshot did not hold its controller: nothing to read back, patch or roll back
        key = (request.namespace, ref.kind, ref.name)
        was = current.get((request.namespace, request.pod, request.container))
        containers = by_workload.setdefault(key, {})
        if request.container in containers:
            continue  # replicas share the template: one patch per container
        containers[request.container] = {
            "type": "patch_requests", "namespace": request.namespace, "owner_kind": ref.kind, "owner_name": ref.name,
            "container": request.container, "cpu_request_cores": request.cpu_request_cores,
            "memory_request_bytes": request.memory_request_bytes, "memory_limit_bytes": None,
            "was_cpu_request_cores": was.cpu_request_cores if was else None,
            "was_memory_request_bytes": was.memory_request_bytes if was else None,
        }  # fmt: skip
        if was is not None:
            cpu = max((was.cpu_request_cores or 0.0) - request.cpu_request_cores, 0.0)
            memory = max((was.memory_request_bytes or 0) - request.memory_request_bytes, 0) / GIB
            replicas = sum(1 for r in result.requests if r.namespace == request.namespace and owner.get(
                (r.namespace, r.pod)) == ref and r.container == request.container)  # fmt: skip
            weights[key] += replicas * (cpu * CPU_WEIGHT_PER_CORE + memory * MEMORY_WEIGHT_PER_GIB)
        reasons[key] += list(request.reasons)
    keys = sorted(by_workload)
    shares = split(freed, [round(weights[k] * 1000) for k in keys])
    made = []
    for key, share in zip(keys, shares, strict=True):
        namespace, kind, name = key
        actions = list(by_workload[key].values())
        made.append(Recommendation(
            **common, kind="workload_rightsizing", title=f"{namespace}/{kind}/{name}: new requests for "
            f"{len(actions)} container(s)", current=_describe(actions, "was_"), recommended=_describe(actions, ""),
            projected_savings_per_hour=share / MICRO, reasons=sorted(set(reasons[key]))[:10], actions=actions,
        ))  # fmt: skip
    return made


def _describe(actions: list[dict[str, Any]], prefix: str) -> str:
    parts = []
    for a in actions:
        cpu, memory = a.get(f"{prefix}cpu_request_cores"), a.get(f"{prefix}memory_request_bytes")
        parts.append(f"{a['container']}: cpu {cpu if cpu is not None else '?'}, memory "
                     f"{round(memory / 2**20) if memory else '?'} MiB")  # fmt: skip
    return "; ".join(parts)
