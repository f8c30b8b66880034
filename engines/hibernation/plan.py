"""What sleep changes and how wake puts it back: a snapshot taken before anything is scaled, kept apart and never
overwritten, then an ordered plan; wake restores exactly the snapshot and reports what changed meanwhile.

Sleep (in order): pause KEDA ScaledObjects, suspend CronJobs, scale Deployments then StatefulSets to zero, scale
node groups down. HPAs are recorded but not changed: an HPA cannot hold zero replicas, and Kubernetes stops
autoscaling a target scaled to zero, so restoring the target's replicas brings it back. Wake (in order): node
groups, StatefulSets, Deployments, then HPAs, ScaledObjects and CronJobs. An object someone changed while the
cluster slept is left as it is and reported as drift (kube-green's rule); a GitOps-managed owner is reported and
never touched, since its controller would undo the change.

>>> web = Workload(Kind.DEPLOYMENT, "shop", "web", replicas=3)
>>> plan = plan_sleep(Inventory((web,), ()))
>>> [(e.key, e.before, e.asleep) for e in plan.entries]
[('Deployment/shop/web', {'replicas': 3}, {'replicas': 0})]
>>> wake = plan_wake(plan.entries, Inventory((Workload(Kind.DEPLOYMENT, "shop", "web", replicas=0),), ()))
>>> [(c.key, c.fields) for phase in wake.phases for c in phase]
[('Deployment/shop/web', {'replicas': 3})]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from engines.cluster.gitops import gitops_manager
from engines.hibernation.model import (
    GITOPS_MARKS,
    KEDA_KEYS,
    KEDA_PAUSED,
    KEDA_PAUSED_REPLICAS,
    NODE_GROUP_OPT_IN,
    OPT_OUT,
    SLEEP_ORDER,
    WAKE_PHASES,
    DriftCode,
    Entry,
    Inventory,
    Kind,
    NodeGroupSize,
    SkipCode,
    Skipped,
    SleepPlan,
    Workload,
    fields_of,
    node_group_fields,
)
from engines.hibernation.schedule import Exclusions

__all__ = [  # the model's names, for callers that import the whole of hibernation from here
    "GITOPS_MARKS", "KEDA_KEYS", "KEDA_PAUSED", "KEDA_PAUSED_REPLICAS", "NODE_GROUP_OPT_IN", "OPT_OUT", "SLEEP_ORDER",
    "WAKE_PHASES", "Change", "Drift", "DriftCode", "Entry", "Inventory", "Kind", "Mismatch", "NodeGroupSize",
    "SkipCode", "Skipped", "SleepPlan", "WakePlan", "Workload", "fields_of", "gitops_owner", "node_group_fields",
    "plan_sleep", "plan_wake", "sleep_changes", "verify",
]  # fmt: skip


def gitops_owner(workload: Workload) -> str | None:
    """'Argo CD' or 'Flux' when a GitOps controller applied this object (it would undo a scale-down)."""
    return gitops_manager(workload.labels, workload.annotations)


def _skip(workload: Workload, exclusions: Exclusions) -> Skipped | None:
    if workload.namespace in exclusions.namespaces:
        return Skipped(workload.key, SkipCode.EXCLUDED_NAMESPACE, f"namespace {workload.namespace} is excluded")
    matched = next((k for k, v in exclusions.labels.items() if workload.labels.get(k) == v), None)
    if matched is not None:
        return Skipped(
            workload.key, SkipCode.EXCLUDED_LABEL, f"label {matched}={exclusions.labels[matched]} is excluded"
        )
    if workload.annotations.get(OPT_OUT, "").lower() == "false":
        return Skipped(workload.key, SkipCode.OPTED_OUT, f"annotated {OPT_OUT}=false")
    owner = gitops_owner(workload)
    if owner is not None:
        return Skipped(
            workload.key, SkipCode.GITOPS_MANAGED,
            f"managed by {owner}: its sync would undo a scale-down; left awake (add a sync window or ignore "
            "spec.replicas there, then exclude it from GitOps or from this schedule)",
        )  # fmt: skip
    return None


def plan_sleep(
    inventory: Inventory, exclusions: Exclusions | None = None, keep_node_groups: Mapping[str, int] | None = None
) -> SleepPlan:
    chosen = exclusions or Exclusions()
    kept = dict(keep_node_groups or {})
    entries: list[Entry] = []
    skipped: list[Skipped] = []
    awake_targets: set[tuple[str, str]] = set()
    for workload in inventory.workloads:
        if workload.kind in (Kind.DEPLOYMENT, Kind.STATEFULSET):
            refusal = _skip(workload, chosen)
            if refusal is not None:
                skipped.append(refusal)
                awake_targets.add((workload.namespace, f"{workload.kind.value}/{workload.name}"))
    for workload in inventory.workloads:
        refusal = _refusal(workload, chosen, awake_targets)
        if refusal is not None:
            if workload.kind not in (Kind.DEPLOYMENT, Kind.STATEFULSET):
                skipped.append(refusal)
            continue
        entries.append(_entry(workload))
    for group in inventory.node_groups:
        if not group.opted_in:
            key, value = NODE_GROUP_OPT_IN
            reason = f"not tagged {key}={value}: CloudOptim's role may not resize it; its nodes stay up"
            skipped.append(Skipped(group.key, SkipCode.NODE_GROUP_NOT_OPTED_IN, reason))
            continue
        before = node_group_fields(group)
        keep = min(kept.get(group.name, 0), group.max_size)
        asleep = {"min_size": min(group.min_size, keep), "max_size": group.max_size, "desired": keep}
        entries.append(Entry(Kind.NODEGROUP, "", group.name, before, asleep))
    order = {kind: index for index, kind in enumerate(SLEEP_ORDER)}
    entries.sort(key=lambda e: (order[e.kind], e.namespace, e.name))
    return SleepPlan(tuple(entries), tuple(skipped))


def _refusal(workload: Workload, exclusions: Exclusions, awake_targets: set[tuple[str, str]]) -> Skipped | None:
    own = _skip(workload, exclusions)
    if own is not None or workload.kind not in (Kind.HPA, Kind.SCALEDOBJECT):
        return own
    if (workload.namespace, workload.target or "") in awake_targets:
        return Skipped(workload.key, SkipCode.TARGET_STAYS_AWAKE, f"its target {workload.target} stays awake")
    return None


def _entry(workload: Workload) -> Entry:
    before = fields_of(workload)
    if workload.kind in (Kind.DEPLOYMENT, Kind.STATEFULSET):
        asleep: dict[str, Any] = {"replicas": 0}
    elif workload.kind is Kind.CRONJOB:
        asleep = {"suspend": True}
    elif workload.kind is Kind.SCALEDOBJECT:
        asleep = {"annotations": {**before["annotations"], KEDA_PAUSED: "true"}}
    else:
        asleep = dict(before)  # HPA: recorded, never changed
    return Entry(workload.kind, workload.namespace, workload.name, before, asleep)


@dataclass(frozen=True, slots=True)
class Change:
    """Set these fields of one object."""

    kind: Kind
    namespace: str
    name: str
    fields: dict[str, Any]

    @property
    def key(self) -> str:
        return f"{self.kind.value}/{self.namespace}/{self.name}"


@dataclass(frozen=True, slots=True)
class Drift:
    key: str
    code: DriftCode
    reason: str


@dataclass(frozen=True, slots=True)
class WakePlan:
    phases: tuple[tuple[Change, ...], ...]  # WAKE_PHASES order
    drift: tuple[Drift, ...]


def sleep_changes(entries: Iterable[Entry], kinds: Sequence[Kind] | None = None) -> list[Change]:
    """The changes that put `entries` to sleep (those of `kinds` only), in sleep order."""
    return [
        Change(e.kind, e.namespace, e.name, e.asleep)
        for e in entries
        if e.changes and (kinds is None or e.kind in kinds)
    ]


def plan_wake(entries: Iterable[Entry], live: Inventory) -> WakePlan:
    """Restore each snapshot entry whose object is still as sleep left it; report the others as drift.

    Within a phase, workloads with larger pods come first: the scheduler places pods in the order they are created,
    so the big ones find room before small ones fragment the nodes that just came back.
    """
    current = live.fields()
    size = {w.key: w.pod_cpu_m for w in live.workloads}
    by_phase: list[list[Change]] = [[] for _ in WAKE_PHASES]
    drift: list[Drift] = []
    for entry in entries:
        phase = next(i for i, kinds in enumerate(WAKE_PHASES) if entry.kind in kinds)
        now = current.get(entry.key)
        if now is None:
            drift.append(Drift(entry.key, DriftCode.GONE, "deleted while asleep: nothing to restore"))
        elif now == entry.before:
            continue  # already as before (a retried wake, or nothing was changed)
        elif now == entry.asleep:
            by_phase[phase].append(Change(entry.kind, entry.namespace, entry.name, entry.before))
        else:
            drift.append(
                Drift(entry.key, DriftCode.CHANGED, f"changed while asleep (left {entry.asleep}, found {now}): "
                      f"left as it is; snapshot {entry.before}")
            )  # fmt: skip
    ordered = (sorted(p, key=lambda c: -size.get(c.key, 0)) for p in by_phase)  # stable: ties keep snapshot order
    return WakePlan(tuple(tuple(p) for p in ordered), tuple(drift))


@dataclass(frozen=True, slots=True)
class Mismatch:
    key: str
    expected: dict[str, Any]
    found: dict[str, Any] | None


def verify(entries: Iterable[Entry], live: Inventory) -> tuple[Mismatch, ...]:
    """Objects whose fields after wake differ from the snapshot (drift included): 0 is an exact restore."""
    current = live.fields()
    return tuple(Mismatch(e.key, e.before, current.get(e.key)) for e in entries if current.get(e.key) != e.before)
