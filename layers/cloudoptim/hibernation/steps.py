"""The Hibernate state machine's steps (statemachines/hibernate.asl.json routes them; they decide).

Each step takes the execution's state (a small dict: tenant, cluster, action, execution, dry_run, snapshot, counters)
and returns it updated. Steps are idempotent: the snapshot is created once per sleep, a change already made is a
no-op, and wake steps re-plan from the cluster as it is, so a retried step never does harm. A dry run decides and
records everything but changes nothing in the cluster.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cloudoptim.errors import InvalidArgumentError, RecordNotFoundError
from cloudoptim.hibernation.ports import ClusterWorkloads, HibernationDeps, NodeGroups
from cloudoptim.hibernation.records import (
    create_snapshot,
    schedule_of,
    snapshot_id,
    snapshot_of,
    update_state,
)
from cloudoptim.hibernation.results import failed, record
from engines.hibernation.plan import (
    WAKE_PHASES,
    Entry,
    Inventory,
    Kind,
    plan_sleep,
    plan_wake,
    sleep_changes,
)
from engines.hibernation.schedule import Schedule

State = dict[str, Any]
MAX_WAIT_ATTEMPTS = 60  # x wait_seconds (30 s in AWS): half an hour for nodes or StatefulSets to become Ready


class Connected:
    """The cluster's workloads and node groups for one step, connected on first use."""

    def __init__(self, deps: HibernationDeps, state: State) -> None:
        self.tenant, self.cluster = str(state["tenant"]), str(state["cluster"])
        found = deps.documents.get(self.tenant, "cluster", self.cluster)
        if found is None:
            raise RecordNotFoundError(f"cluster {self.cluster!r} of tenant {self.tenant!r} is not registered")
        self.cluster_doc = found.body
        account = deps.documents.get(self.tenant, "account", str(found.body.get("account_id")))
        if account is None:
            raise RecordNotFoundError(f"account of cluster {self.cluster!r} is not onboarded")
        self.account_doc = account.body
        self._deps = deps
        self._kube: ClusterWorkloads | None = None
        self._groups: NodeGroups | None = None

    @property
    def kube(self) -> ClusterWorkloads:
        if self._kube is None:
            self._kube = self._deps.access.workloads(self.tenant, self.cluster_doc, self.account_doc)
        return self._kube

    @property
    def groups(self) -> NodeGroups:
        if self._groups is None:
            self._groups = self._deps.access.node_groups(self.tenant, self.cluster_doc, self.account_doc)
        return self._groups

    def node_group_names(self) -> list[str]:
        return sorted(self.cluster_doc.get("node_groups") or {})

    def inventory(self) -> Inventory:
        return Inventory(self.kube.inventory().workloads, tuple(self.groups.sizes(self.node_group_names())))


def entries_of(deps: HibernationDeps, state: State) -> tuple[Entry, ...]:
    found = snapshot_of(deps.documents, str(state["tenant"]), str(state.get("snapshot") or ""))
    if found is None:
        raise RecordNotFoundError(
            f"snapshot {state.get('snapshot')!r} of {state['cluster']} not found: nothing to restore"
        )
    return tuple(Entry.of(raw) for raw in found.body["entries"])


def sleep_snapshot(deps: HibernationDeps, state: State, now: int) -> State:
    """Read everything the sleep will touch and store it, before anything is scaled."""
    cluster = Connected(deps, state)
    schedule = schedule_of(deps.documents, cluster.tenant, cluster.cluster) or Schedule()
    inventory = cluster.inventory()
    plan = plan_sleep(inventory, schedule.exclusions, schedule.keep_node_groups)
    snapshot = snapshot_id(cluster.cluster, int(state["started_at"]))
    body = {"cluster": cluster.cluster, "execution": state["execution"], "taken_at": now, "dry_run": state["dry_run"],
            "entries": [e.as_json() for e in plan.entries],
            "skipped": [{"key": s.key, "code": s.code.value, "reason": s.reason} for s in plan.skipped]}  # fmt: skip
    stored = create_snapshot(deps.documents, cluster.tenant, snapshot, body, now)
    update_state(deps.documents, cluster.tenant, cluster.cluster, lambda s: {**s, "snapshot": snapshot}, now)
    entries = [Entry.of(e) for e in stored.body["entries"]]
    counts = {
        "workloads": sum(1 for e in entries if e.kind in (Kind.DEPLOYMENT, Kind.STATEFULSET) and e.changes),
        "cronjobs": sum(1 for e in entries if e.kind is Kind.CRONJOB and e.changes),
        "hpas": sum(1 for e in entries if e.kind is Kind.HPA),
        "scaledobjects": sum(1 for e in entries if e.kind is Kind.SCALEDOBJECT and e.changes),
        "node_groups": sum(1 for e in entries if e.kind is Kind.NODEGROUP and e.changes),
        "skipped": len(stored.body["skipped"]),
    }
    return {**state, "snapshot": snapshot, "counts": counts, "nodes_before": cluster.kube.nodes().ready}


def _apply(deps: HibernationDeps, state: State, kinds: tuple[Kind, ...], waking: int | None = None) -> State:
    cluster = Connected(deps, state)
    entries = entries_of(deps, state)
    if waking is None:
        changes = sleep_changes(entries, kinds)
    else:
        plan = plan_wake(entries, cluster.inventory())
        changes = list(plan.phases[waking])
        if "drift" not in state:  # noted before the wake changes anything
            state = {**state, "drift": [{"key": d.key, "code": d.code.value, "reason": d.reason} for d in plan.drift]}
    if not state["dry_run"]:
        for change in changes:
            if change.kind is Kind.NODEGROUP:
                fields = change.fields
                cluster.groups.resize(change.name, fields["min_size"], fields["max_size"], fields["desired"])
            else:
                cluster.kube.apply(change)
    done = dict(state.get("applied") or {})
    done[f"{state['action']}:{'/'.join(k.value for k in kinds)}"] = len(changes)
    return {**state, "applied": done, "attempts": 0}


def sleep_workloads(deps: HibernationDeps, state: State, now: int) -> State:
    return _apply(deps, state, (Kind.SCALEDOBJECT, Kind.CRONJOB, Kind.DEPLOYMENT, Kind.STATEFULSET))


def sleep_node_groups(deps: HibernationDeps, state: State, now: int) -> State:
    return _apply(deps, state, (Kind.NODEGROUP,))


def wake_node_groups(deps: HibernationDeps, state: State, now: int) -> State:
    entries = entries_of(deps, state)
    wanted = sum(int(e.before["desired"]) for e in entries if e.kind is Kind.NODEGROUP)
    return {**_apply(deps, state, WAKE_PHASES[0], waking=0), "nodes_wanted": wanted}


def wake_statefulsets(deps: HibernationDeps, state: State, now: int) -> State:
    return _apply(deps, state, WAKE_PHASES[1], waking=1)


def wake_deployments(deps: HibernationDeps, state: State, now: int) -> State:
    return _apply(deps, state, WAKE_PHASES[2], waking=2)


def wake_autoscalers(deps: HibernationDeps, state: State, now: int) -> State:
    return _apply(deps, state, WAKE_PHASES[3], waking=3)


def check_nodes(deps: HibernationDeps, state: State, now: int) -> State:
    """Ready once as many nodes are Ready as the node groups had before sleep (or on giving up)."""
    ready = state["dry_run"] or Connected(deps, state).kube.nodes().ready >= int(state.get("nodes_wanted") or 0)
    return _waited(state, bool(ready))


def check_statefulsets(deps: HibernationDeps, state: State, now: int) -> State:
    """StatefulSets first, Ready, before the Deployments that use them come back."""
    waiting = [] if state["dry_run"] else list(Connected(deps, state).kube.not_ready(Kind.STATEFULSET))
    return {**_waited(state, not waiting), "waiting_for": waiting[:20]}


def _waited(state: State, ready: bool) -> State:
    attempts = int(state.get("attempts") or 0) + 1
    limit = int(state.get("max_wait_attempts") or MAX_WAIT_ATTEMPTS)
    timed_out = list(state.get("timed_out") or [])
    if not ready and attempts >= limit:
        timed_out.append(f"gave up waiting after {attempts} checks")
    return {**state, "ready": ready or attempts >= limit, "attempts": attempts, "timed_out": timed_out}


STEPS: dict[str, Callable[[HibernationDeps, State, int], State]] = {
    "sleep.snapshot": sleep_snapshot,
    "sleep.workloads": sleep_workloads,
    "sleep.node_groups": sleep_node_groups,
    "wake.node_groups": wake_node_groups,
    "wake.check_nodes": check_nodes,
    "wake.statefulsets": wake_statefulsets,
    "wake.check_statefulsets": check_statefulsets,
    "wake.deployments": wake_deployments,
    "wake.autoscalers": wake_autoscalers,
    "record": lambda deps, state, now: record(deps, state, now, Connected(deps, state), entries_of(deps, state)),
    "failed": failed,
}


def run_step(step: str, deps: HibernationDeps, state: State, now: int) -> State:
    action = STEPS.get(step)
    if action is None:
        raise InvalidArgumentError(f"unknown hibernation step {step!r}; known: {', '.join(sorted(STEPS))}")
    return action(deps, state, now)
