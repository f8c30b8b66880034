"""Sleep and wake plans: what is snapshotted and changed, in which order; exclusions, GitOps owners, HPAs and KEDA;
wake restores exactly, in order, and reports drift instead of fighting it."""

from __future__ import annotations

import dataclasses
from typing import Any

from engines.hibernation.plan import (
    KEDA_PAUSED,
    KEDA_PAUSED_REPLICAS,
    WAKE_PHASES,
    DriftCode,
    Entry,
    Inventory,
    Kind,
    NodeGroupSize,
    SkipCode,
    Workload,
    plan_sleep,
    plan_wake,
    sleep_changes,
    verify,
)
from engines.hibernation.schedule import Exclusions

WEB = Workload(Kind.DEPLOYMENT, "shop", "web", replicas=3)
API = Workload(Kind.DEPLOYMENT, "shop", "api", replicas=2)
DB = Workload(Kind.STATEFULSET, "shop", "db", replicas=3)
IDLE = Workload(Kind.DEPLOYMENT, "shop", "idle", replicas=0)
HPA = Workload(Kind.HPA, "shop", "web", min_replicas=2, max_replicas=6, target="Deployment/web")
KEDA = Workload(Kind.SCALEDOBJECT, "shop", "api", min_replicas=1, max_replicas=10, target="Deployment/api",
                annotations={KEDA_PAUSED_REPLICAS: "1"})  # fmt: skip
REPORT = Workload(Kind.CRONJOB, "shop", "report", suspend=False)
PAUSED_JOB = Workload(Kind.CRONJOB, "shop", "backfill", suspend=True)
DNS = Workload(Kind.DEPLOYMENT, "kube-system", "coredns", replicas=2)
ARGO = Workload(Kind.DEPLOYMENT, "shop", "cart", replicas=2, annotations={"argocd.argoproj.io/tracking-id": "x"})
ARGO_HPA = Workload(Kind.HPA, "shop", "cart", min_replicas=2, max_replicas=4, target="Deployment/cart")
FLUX = Workload(Kind.STATEFULSET, "data", "cache", replicas=1, labels={"kustomize.toolkit.fluxcd.io/name": "apps"})
PINNED = Workload(Kind.DEPLOYMENT, "ops", "pager", replicas=1, labels={"tier": "always-on"})
OPTED = Workload(Kind.DEPLOYMENT, "ops", "bot", replicas=1, annotations={"cloudoptim.io/hibernate": "false"})
GROUPS = (NodeGroupSize("general", 2, 20, 8), NodeGroupSize("system", 1, 3, 2))
EVERYTHING = Inventory(
    (WEB, API, DB, IDLE, HPA, KEDA, REPORT, PAUSED_JOB, DNS, ARGO, ARGO_HPA, FLUX, PINNED, OPTED), GROUPS
)
EXCLUDED = Exclusions(namespaces=("kube-system",), labels={"tier": "always-on"})


def asleep(inventory: Inventory, entries: tuple[Entry, ...]) -> Inventory:
    """The cluster as the sleep plan leaves it."""
    changed = {c.key: c.fields for c in sleep_changes(entries)}
    return _apply(inventory, changed)


def _apply(inventory: Inventory, changed: dict[str, dict[str, Any]]) -> Inventory:
    workloads = []
    for w in inventory.workloads:
        fields = changed.get(w.key)
        if fields is None:
            workloads.append(w)
        elif "replicas" in fields:
            workloads.append(dataclasses.replace(w, replicas=int(str(fields["replicas"]))))
        elif "suspend" in fields:
            workloads.append(dataclasses.replace(w, suspend=bool(fields["suspend"])))
        elif "annotations" in fields:
            notes = {**w.annotations, **fields["annotations"]}
            workloads.append(dataclasses.replace(w, annotations={k: v for k, v in notes.items() if v is not None}))
        else:
            workloads.append(
                dataclasses.replace(w, min_replicas=fields["min_replicas"], max_replicas=fields["max_replicas"])
            )
    groups = []
    for g in inventory.node_groups:
        fields = changed.get(g.key)
        groups.append(g if fields is None else NodeGroupSize(g.name, **fields))
    return Inventory(tuple(workloads), tuple(groups))


def test_sleep_snapshots_everything_it_touches_and_skips_with_reasons() -> None:
    plan = plan_sleep(EVERYTHING, EXCLUDED, keep_node_groups={"system": 1})
    keys = [e.key for e in plan.entries]
    assert keys == [
        "ScaledObject/shop/api",
        "CronJob/shop/backfill", "CronJob/shop/report",
        "Deployment/shop/api", "Deployment/shop/idle", "Deployment/shop/web",
        "StatefulSet/shop/db",
        "HorizontalPodAutoscaler/shop/web",
        "NodeGroup//general", "NodeGroup//system",
    ]  # fmt: skip
    skipped = {s.key: s.code for s in plan.skipped}
    assert skipped == {
        "Deployment/kube-system/coredns": SkipCode.EXCLUDED_NAMESPACE,
        "Deployment/shop/cart": SkipCode.GITOPS_MANAGED,
        "StatefulSet/data/cache": SkipCode.GITOPS_MANAGED,
        "Deployment/ops/pager": SkipCode.EXCLUDED_LABEL,
        "Deployment/ops/bot": SkipCode.OPTED_OUT,
        "HorizontalPodAutoscaler/shop/cart": SkipCode.TARGET_STAYS_AWAKE,
    }
    assert "Argo CD" in next(s.reason for s in plan.skipped if s.key == "Deployment/shop/cart")
    assert "Flux" in next(s.reason for s in plan.skipped if s.key == "StatefulSet/data/cache")
    by_key = {e.key: e for e in plan.entries}
    assert by_key["ScaledObject/shop/api"].asleep == {"annotations": {KEDA_PAUSED: "true", KEDA_PAUSED_REPLICAS: "1"}}
    assert by_key["ScaledObject/shop/api"].before == {"annotations": {KEDA_PAUSED: None, KEDA_PAUSED_REPLICAS: "1"}}
    assert not by_key["HorizontalPodAutoscaler/shop/web"].changes  # an HPA cannot hold 0: recorded only
    assert not by_key["CronJob/shop/backfill"].changes and not by_key["Deployment/shop/idle"].changes
    assert by_key["NodeGroup//general"].asleep == {"min_size": 0, "max_size": 20, "desired": 0}
    assert by_key["NodeGroup//system"].asleep == {"min_size": 1, "max_size": 3, "desired": 1}
    assert plan.count(Kind.DEPLOYMENT) == 2 and plan.count(Kind.CRONJOB) == 1


def test_wake_restores_in_order_node_groups_statefulsets_deployments_then_autoscalers_and_cronjobs() -> None:
    plan = plan_sleep(EVERYTHING, EXCLUDED)
    sleeping = asleep(EVERYTHING, plan.entries)
    wake = plan_wake(plan.entries, sleeping)
    assert [sorted({c.kind for c in phase}) for phase in wake.phases] == [
        [Kind.NODEGROUP],
        [Kind.STATEFULSET],
        [Kind.DEPLOYMENT],
        [Kind.CRONJOB, Kind.SCALEDOBJECT],
    ]
    assert len(WAKE_PHASES) == len(wake.phases) and wake.drift == ()
    woken = _apply(sleeping, {c.key: c.fields for phase in wake.phases for c in phase})
    assert verify(plan.entries, woken) == ()
    assert woken == EVERYTHING  # exactly what was there, skipped objects untouched


def test_a_retried_wake_changes_nothing_more() -> None:
    plan = plan_sleep(EVERYTHING, EXCLUDED)
    assert all(phase == () for phase in plan_wake(plan.entries, EVERYTHING).phases)


def test_changes_made_while_asleep_are_reported_and_left_alone() -> None:
    plan = plan_sleep(Inventory((WEB, DB, REPORT), ()))
    sleeping = asleep(Inventory((WEB, DB, REPORT), ()), plan.entries)
    someone = _apply(sleeping, {"Deployment/shop/web": {"replicas": 1}})
    gone = Inventory(tuple(w for w in someone.workloads if w.kind is not Kind.CRONJOB), ())
    wake = plan_wake(plan.entries, gone)
    drift = {d.key: d.code for d in wake.drift}
    assert drift == {"Deployment/shop/web": DriftCode.CHANGED, "CronJob/shop/report": DriftCode.GONE}
    assert [c.key for phase in wake.phases for c in phase] == ["StatefulSet/shop/db"]
    woken = _apply(gone, {c.key: c.fields for phase in wake.phases for c in phase})
    assert {m.key for m in verify(plan.entries, woken)} == {"Deployment/shop/web", "CronJob/shop/report"}


def test_snapshot_entries_round_trip_through_json() -> None:
    plan = plan_sleep(EVERYTHING, EXCLUDED)
    assert tuple(Entry.of(e.as_json()) for e in plan.entries) == plan.entries


def test_a_node_group_not_opted_in_is_left_up_with_a_reason() -> None:
    plan = plan_sleep(Inventory((WEB,), (NodeGroupSize("general", 2, 20, 8, opted_in=False),)))
    assert [e.key for e in plan.entries] == ["Deployment/shop/web"]
    (skipped,) = plan.skipped
    assert skipped.code is SkipCode.NODE_GROUP_NOT_OPTED_IN and "cloudoptim.io/hibernate=true" in skipped.reason


def test_wake_brings_larger_pods_back_first_within_a_phase() -> None:
    small = Workload(Kind.DEPLOYMENT, "shop", "small", replicas=4, pod_cpu_m=100)
    big = Workload(Kind.DEPLOYMENT, "shop", "big", replicas=2, pod_cpu_m=32000)
    inventory = Inventory((small, big), ())
    plan = plan_sleep(inventory)
    wake = plan_wake(plan.entries, asleep(inventory, plan.entries))
    assert [c.name for c in wake.phases[2]] == ["big", "small"]  # the scheduler places pods in creation order
