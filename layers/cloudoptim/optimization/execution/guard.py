"""The savings guard, after every execution: measure what was saved from the cluster as it is now, keep it if it
reaches the policy's share of the projection (default 0.5), else roll back what can be and say so. Realised
savings of kept executions go to the cluster's ledger (optimization.state.add_realised), each node dollar once: a
workload patch's priced freed requests are claimed there until a node change realises them."""

from __future__ import annotations

from collections.abc import Sequence

from cloudoptim.optimization.execution.finish import finish
from cloudoptim.optimization.execution.nodes import undo_launches
from cloudoptim.optimization.execution.ports import LiveCluster
from cloudoptim.optimization.execution.run import Run, State
from cloudoptim.optimization.execution.workloads import restore
from cloudoptim.optimization.state import add_realised
from engines.cluster.model import Pod
from engines.execution.guard import Freed, PricedNode, Realised, node_saving, resource_rates, verdict, workload_saving


def guard(run: Run) -> State:
    recommendation = run.recommendation()
    projected = recommendation.projected_savings_per_hour
    if run.dry_run:
        reasons = [f"dry run: nothing changed, nothing to measure (projected ${projected:.4f}/h)"]
        return finish(run, "guard", "succeeded", reasons, realised_savings_per_hour=0.0)
    live = run.kube.live()
    realised = _nodes(run, live) if run.state.get("remove") else _workloads(run, live)
    decision = verdict(realised.saving_per_hour, projected, run.guard_share())
    reasons = [*realised.reasons, decision.reason]
    if decision.keep:
        add_realised(run.deps.documents, run.tenant, run.cluster, recommendation.kind, realised.saving_per_hour,
                     run.now)  # fmt: skip
        run.audit("guard", run.recommendation_id, None, {"realised": realised.saving_per_hour}, reasons)
        return finish(run, "guard", "succeeded", reasons, realised_savings_per_hour=realised.saving_per_hour)
    undone = restore(run) if run.state.get("patches") else _remove_unneeded(run, live.state.pods)
    reasons += undone or ["nothing could be undone: removed nodes do not come back"]
    run.audit("rollback", run.recommendation_id, None, {"realised": realised.saving_per_hour}, reasons,
              outcome="rolled_back")  # fmt: skip
    return finish(run, "guard", "rolled_back", reasons, realised_savings_per_hour=realised.saving_per_hour)


def _nodes(run: Run, live: LiveCluster) -> Realised:
    nodes = {n.name: n for n in live.state.nodes}
    gone = [PricedNode(n["name"], n["price"], 0, 0) for n in run.state["remove"] if n["name"] not in nodes]
    running = [PricedNode(n["node_name"], n["price"], 0, 0) for n in run.state["launched"] if n["node_name"] in nodes]
    return node_saving(gone, running)


def _workloads(run: Run, live: LiveCluster) -> Realised:
    prices = run.prices()
    priced = [PricedNode(n.name, prices.price(n.instance_type, n.zone, n.capacity_type), n.allocatable.cpu_m / 1000,
                         n.allocatable.memory) for n in live.state.nodes]  # fmt: skip
    freed = []
    for change in run.state["patches"]:
        owner = run.kube.workload(change["owner_kind"], change["namespace"], change["owner_name"])
        now = owner.containers.get(change["container"]) if owner else None
        before = change["before"]
        freed.append(Freed(
            f"{change['owner_kind']}/{change['namespace']}/{change['owner_name']}/{change['container']}",
            owner.replicas if owner else 0, before["cpu_request_cores"] or 0.0,
            (now.cpu_request_cores if now else None) or 0.0, before["memory_request_bytes"] or 0,
            (now.memory_request_bytes if now else None) or 0,
        ))  # fmt: skip
    return workload_saving(freed, resource_rates(priced))


def _remove_unneeded(run: Run, pods: Sequence[Pod]) -> list[str]:
    """A launched node no workload pod landed on is not needed: it goes (the guard's rollback for nodes)."""
    busy = {p.node for p in pods if p.is_active and not p.is_daemon}
    idle = [n["instance_id"] for n in run.state["launched"] if n["node_name"] not in busy]
    return undo_launches(run, idle)
