"""The first step: read the recommendation and the cluster as it is now, and decide whether the plan may run.

A malformed plan fails (nothing changed); a stale one is superseded and a new sweep requested (re-planned, never
forced); a GitOps-managed owner gets the patch as YAML for its repository (needs_gitops); a node with no owner
CloudOptim may act through fails the plan before anything moves. What the plan removes or patches is recorded
as it is now: the guard measures against it and a rollback restores it.
"""

from __future__ import annotations

from typing import Any

from cloudoptim.errors import ConflictError, InvalidArgumentError
from cloudoptim.onboarding import TENANT_TAG
from cloudoptim.optimization import sweeps
from cloudoptim.optimization.actions import NodeAction, ParsedActions, PatchRequests, parse_actions
from cloudoptim.optimization.execution.finish import fail, finish
from cloudoptim.optimization.execution.ports import LiveCluster
from cloudoptim.optimization.execution.run import Run, State
from cloudoptim.optimization.ports import OptimizationDeps
from engines.cluster.gitops import gitops_manager
from engines.execution.owners import Removal, removal_of
from engines.execution.revalidate import ContainerTarget, PlannedMove, Stale, stale_node_plan, stale_patch


def validate(run: Run) -> State:
    run.state.setdefault("wait_seconds", run.deps.wait_seconds)
    recommendation = run.recommendation()
    cluster_doc = run.deps.documents.get(run.tenant, "cluster", run.cluster)
    regions = run.records()[0].regions  # a cluster document without a region runs in the account's first one
    region = (cluster_doc.body if cluster_doc else {}).get("region") or run.region or (regions[0] if regions else "")
    run.state["region"] = str(region)
    try:
        actions = parse_actions(recommendation.kind, recommendation.actions)
    except InvalidArgumentError as exc:
        return fail(run, "validate", [f"the plan is malformed, nothing was changed: {exc}"])
    live = run.kube.live()
    if actions.node_actions:
        return _nodes(run, actions, live)
    return _workloads(run, actions)


def _nodes(run: Run, actions: ParsedActions, live: LiveCluster) -> State:
    removed = [n for a in actions.node_actions for n in a.nodes]
    moves = [PlannedMove(m.pod, tuple(a.nodes), m.to) for a in actions.node_actions for m in a.moves]
    stale = stale_node_plan(live.state, removed, moves, live.ready)
    if stale:
        return replan(run, stale)
    prices, nodes = run.prices(), {n.name: n for n in live.state.nodes}
    plan: list[dict[str, Any]] = []
    for name in removed:
        node, instance = nodes[name], live.instances.get(name, "")
        group = run.fleet.group_of(instance) if instance else None
        tags = (run.fleet.tags_of(instance) or {}) if instance and group is None else {}
        removal = removal_of(node.labels, group, tags.get(TENANT_TAG) == run.tenant)
        if removal.how is Removal.NONE:
            return fail(run, "validate", [f"node {name}: {removal.reason}; nothing was changed"])
        plan.append({"name": name, "instance_id": instance, "how": removal.how.value, "group": removal.group,
                     "node_group": node.labels.get("eks.amazonaws.com/nodegroup"), "reason": removal.reason,
                     "price": prices.price(node.instance_type, node.zone, node.capacity_type)})  # fmt: skip
    launches = [_launch(a, launch, plan) for a in actions.node_actions for launch in a.launches]
    reasons = [f"plan holds against the cluster now: remove {', '.join(removed)}, launch {len(launches)}"]
    run.note("validate", reasons + [f"{p['name']}: {p['reason']}" for p in plan])
    run.audit("validate", run.recommendation_id, None, {"remove": removed, "launch": len(launches)}, reasons)
    return {**run.state, "route": "nodes", "remove": plan, "launches": launches, "launched": [], "attempts": 0}


def _launch(action: NodeAction, launch: Any, plan: list[dict[str, Any]]) -> dict[str, Any]:
    first = next(p for p in plan if p["name"] == action.nodes[0])
    return {**launch.model_dump(), "node_group": launch.node_group or first["node_group"],
            "replaces": first["instance_id"]}  # fmt: skip


def _workloads(run: Run, actions: ParsedActions) -> State:
    recommendation = run.recommendation()
    before, stale, managed = [], [], []
    for patch in actions.patches:
        owner = run.kube.workload(patch.owner_kind, patch.namespace, patch.owner_name)
        now = owner.containers.get(patch.container) if owner else None
        stale += stale_patch(patch.owner, patch.container, now, _target(patch), owner_found=owner is not None,
                             grows_allowed=recommendation.kind == "oom")  # fmt: skip
        if owner is not None:
            tool = gitops_manager(owner.labels, owner.annotations)
            if tool:
                managed.append(f"{patch.owner}: managed by {tool}")
        if now is not None and owner is not None:
            before.append({**patch.model_dump(), "replicas": owner.replicas, "before": _container(now)})
    if stale:
        return replan(run, stale)
    if managed:
        return _needs_gitops(run, actions.patches, managed)
    reasons = [f"{len(before)} container(s) to patch, each as it is now recorded for the guard and a rollback"]
    run.note("validate", reasons)
    run.audit("validate", run.recommendation_id, None, {"patches": len(before)}, reasons)
    return {**run.state, "route": "workloads", "patches": before}


def _container(now: Any) -> dict[str, Any]:
    return {"cpu_request_cores": now.cpu_request_cores, "memory_request_bytes": now.memory_request_bytes,
            "memory_limit_bytes": now.memory_limit_bytes}  # fmt: skip


def _target(patch: PatchRequests) -> ContainerTarget:
    return ContainerTarget(patch.cpu_request_cores, patch.memory_request_bytes, patch.memory_limit_bytes)


def _needs_gitops(run: Run, patches: tuple[PatchRequests, ...], managed: list[str]) -> State:
    """Never a silent change: the patch goes to the owner's repository, as YAML ready to apply there."""
    yaml = "\n---\n".join(gitops_patch(p) for p in patches)
    reasons = [*managed, "a GitOps controller would undo a change made in the cluster: apply the patch in its "
               "repository"]  # fmt: skip
    run.set_recommendation(status="needs_gitops", patch=yaml, gitops_owner="; ".join(managed), outcome=reasons)
    run.audit("needs_gitops", run.recommendation_id, None, {"patch": yaml}, reasons)
    return finish(run, "needs_gitops", "skipped", reasons)


def gitops_patch(patch: PatchRequests) -> str:
    """A strategic-merge patch of the owner's container resources (kubectl patch / kustomize patches)."""
    requests, limits = [], []
    if patch.cpu_request_cores is not None:
        requests.append(f"              cpu: {round(patch.cpu_request_cores * 1000)}m")
    if patch.memory_request_bytes is not None:
        requests.append(f"              memory: {patch.memory_request_bytes // 2**20}Mi")
    if patch.memory_limit_bytes is not None:
        limits.append(f"              memory: {patch.memory_limit_bytes // 2**20}Mi")
    api = "apps/v1"
    lines = [f"apiVersion: {api}", f"kind: {patch.owner_kind}", "metadata:", f"  name: {patch.owner_name}",
             f"  namespace: {patch.namespace}", "spec:", "  template:", "    spec:", "      containers:",
             f"        - name: {patch.container}", "          resources:"]  # fmt: skip
    if requests:
        lines += ["            requests:", *requests]
    if limits:
        lines += ["            limits:", *limits]
    return "\n".join(lines) + "\n"


def replan(run: Run, stale: list[Stale]) -> State:
    """Superseded, replanned, and a new sweep asked for (one already running will plan from fresh state too)."""
    reasons = [f"{s.code.value}: {s.reason}" for s in stale]
    run.set_recommendation(status="superseded", outcome=["re-validation found the plan stale", *reasons])
    try:
        sweep = sweeps.start(OptimizationDeps(run.deps.documents, run.deps.audit, run.deps.workflows), run.tenant,
                             run.cluster, run.actor, run.now)  # fmt: skip
        reasons.append(f"new sweep {sweep.id} requested")
    except ConflictError as exc:
        reasons.append(f"no new sweep: {exc}")
    run.audit("replan", run.recommendation_id, None, {"status": "superseded"}, reasons)
    return finish(run, "replan", "replanned", reasons)
