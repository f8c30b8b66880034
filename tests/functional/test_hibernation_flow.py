"""Hibernation end to end on fakes, through the real ASL (tests/support/asl.py runs it): the tick decides, the
state machine sleeps and wakes in order, the snapshot is kept apart and never overwritten, the restore is exact,
drift and GitOps owners are reported, dry runs change nothing, failures are recorded and undone by the next wake,
and every sleep and wake is audited and listed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cloudoptim.errors import KubeUnavailableError
from cloudoptim.hibernation import schedules
from cloudoptim.hibernation.ports import HibernationDeps, TickDeps
from cloudoptim.hibernation.records import SNAPSHOT, state_of
from cloudoptim.hibernation.steps import STEPS, run_step
from cloudoptim.hibernation.tick import tick
from cloudoptim.tenancy.deps import SaasIdentity, TenancyDeps
from cloudoptim.tenancy.principal import Principal, Role
from cloudoptim.tenancy.tenants import INDEX, TENANT
from engines.hibernation.plan import KEDA_PAUSED, Kind, NodeGroupSize, Workload
from localmode.signer import LocalSigner
from tests.fakes.aws import FakeAudit, FakeBusPolicy, FakeExecutions, FakeExternalIds, FakeRegistry, FakeRoleCheck
from tests.fakes.hibernation import FakeAccess, FakeCluster
from tests.fakes.tenancy import (
    FakeAccountProbe,
    FakeClusterProbe,
    FakeClusterTokens,
    FakeDirectory,
    MemoryDocuments,
    MemoryRequestLog,
)
from tests.support import asl

ASL = Path(__file__).resolve().parents[2] / "statemachines" / "hibernate.asl.json"
TENANT_ID, CLUSTER, ACCOUNT = "acme", "dev", "111122223333"
SATURDAY_NOON = 1_781_352_000  # 2026-06-13T12:00:00Z, asleep under office hours
MONDAY_0900 = 1_781_514_000  # 2026-06-15T09:00:00Z (11:00 in Paris): awake
OFFICE = {
    "timezone": "Europe/Paris",
    "awake": {d: [["08:00", "19:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    "prewarm_minutes": 30,
    "keep_node_groups": {"system": 1},
}
WORKLOADS = (
    Workload(Kind.DEPLOYMENT, "shop", "web", replicas=3),
    Workload(Kind.DEPLOYMENT, "shop", "api", replicas=2),
    Workload(Kind.STATEFULSET, "shop", "db", replicas=3),
    Workload(Kind.HPA, "shop", "web", min_replicas=2, max_replicas=6, target="Deployment/web"),
    Workload(Kind.SCALEDOBJECT, "shop", "api", min_replicas=1, max_replicas=10, target="Deployment/api"),
    Workload(Kind.CRONJOB, "shop", "report", suspend=False),
    Workload(Kind.CRONJOB, "shop", "backfill", suspend=True),
    Workload(Kind.DEPLOYMENT, "kube-system", "coredns", replicas=2),
    Workload(Kind.DEPLOYMENT, "shop", "cart", replicas=2, annotations={"argocd.argoproj.io/tracking-id": "shop:x"}),
)
GROUPS = (NodeGroupSize("general", 2, 10, 6), NodeGroupSize("system", 1, 3, 2))


class World:
    def __init__(self, tmp_path: Path, level: str = "automatic") -> None:
        self.documents = MemoryDocuments()
        self.audit = FakeAudit()
        self.cluster = FakeCluster.of(WORKLOADS, GROUPS)
        self.executions = FakeExecutions()
        ids = FakeExternalIds()
        self.tenancy = TenancyDeps(
            documents=self.documents, audit=self.audit, requests=MemoryRequestLog(), external_ids=ids,
            accounts=FakeAccountProbe(ids), clusters=FakeClusterProbe(), tokens=FakeClusterTokens(),
            users=FakeDirectory(), registry=FakeRegistry(), bus=FakeBusPolicy(), role_check=FakeRoleCheck(),
            signer=LocalSigner.load(tmp_path),
            saas=SaasIdentity("123456789012", "eu-west-1"),
        )  # fmt: skip
        self.deps = HibernationDeps(self.documents, self.audit, FakeAccess({(TENANT_ID, CLUSTER): self.cluster}))
        self.admin = Principal(TENANT_ID, "u-1", "admin@acme.example", Role.ADMIN)
        self.documents.create(INDEX, TENANT, TENANT_ID, {}, 0)
        self.documents.create(TENANT_ID, "account", ACCOUNT, {"aws_account_id": ACCOUNT, "regions": ["eu-west-1"]}, 0)
        groups: dict[str, dict[str, str]] = {g.name: {} for g in GROUPS}
        self.documents.create(TENANT_ID, "cluster", CLUSTER, {"name": CLUSTER, "account_id": ACCOUNT,
                                                              "node_groups": groups}, 0)  # fmt: skip
        self.documents.create(TENANT_ID, "policy", CLUSTER, {"automation": {"hibernation": level}}, 0)
        schedules.replace_schedule(self.tenancy, self.admin, CLUSTER, OFFICE, 0, 0)

    def tick(self, now: int) -> list[Any]:
        return tick(TickDeps(self.documents, self.audit, self.executions), now, wait_seconds=0)

    def execute(self, now: int) -> tuple[str, dict[str, Any], list[str]]:
        """Run the newest execution the tick started through the ASL."""
        payload = dict(list(self.executions.started.values())[-1])
        return asl.run(ASL, payload, lambda _, given: run_step(given["step"], self.deps, given["state"], now))


def test_the_asl_names_exactly_the_steps_the_function_knows() -> None:
    machine = json.loads(ASL.read_text())
    named = {s["Parameters"]["step"] for s in machine["States"].values() if s["Type"] == "Task"}
    assert named == set(STEPS)


def test_sleep_then_a_manual_wake_restores_exactly_in_order(tmp_path: Path) -> None:
    w = World(tmp_path)
    [decision] = w.tick(SATURDAY_NOON)
    assert (decision.action, decision.outcome, decision.dry_run) == ("sleep", "started", False)
    status, final, _ = w.execute(SATURDAY_NOON)
    assert status == "SUCCEEDED", final.get("error")
    live = w.cluster.workloads
    assert [k for k in w.cluster.changes] == [
        "ScaledObject/shop/api", "CronJob/shop/report", "Deployment/shop/api", "Deployment/shop/web",
        "StatefulSet/shop/db", "NodeGroup//general", "NodeGroup//system",
    ]  # fmt: skip
    assert live["ScaledObject/shop/api"].annotations == {KEDA_PAUSED: "true"}
    assert live["Deployment/shop/cart"].replicas == 2 and live["Deployment/kube-system/coredns"].replicas == 2
    assert (w.cluster.groups["general"].desired, w.cluster.groups["system"].desired) == (0, 1)
    state = state_of(w.documents, TENANT_ID, CLUSTER).body
    assert state["state"] == "asleep" and state["history"][0]["workloads"] == 3 and state["history"][0]["cronjobs"] == 1
    snapshot = w.documents.get(TENANT_ID, SNAPSHOT, state["snapshot"])
    assert snapshot is not None and snapshot.version == 1
    assert {s["code"] for s in snapshot.body["skipped"]} == {"excluded-namespace", "gitops-managed"}
    assert w.tick(SATURDAY_NOON + 300)[0].outcome == "none"  # asleep as wanted
    w.cluster.changes.clear()
    schedules.wake(w.tenancy, w.admin, CLUSTER, 2, SATURDAY_NOON + 600)
    [wake] = w.tick(SATURDAY_NOON + 900)
    assert (wake.action, wake.outcome) == ("wake", "started")
    status, final, visited = w.execute(SATURDAY_NOON + 900)
    assert status == "SUCCEEDED"
    assert w.cluster.changes == [
        "NodeGroup//general", "NodeGroup//system", "StatefulSet/shop/db", "Deployment/shop/api",
        "Deployment/shop/web", "ScaledObject/shop/api", "CronJob/shop/report",
    ]  # fmt: skip
    assert w.cluster.workloads == {wl.key: wl for wl in WORKLOADS}  # exactly as snapshotted
    assert {g.name: g for g in GROUPS} == w.cluster.groups
    woke = state_of(w.documents, TENANT_ID, CLUSTER).body
    assert woke["state"] == "awake" and woke["history"][0]["restore_mismatches"] == 0
    assert [e["action"] for e in woke["history"]] == ["wake", "sleep"]
    actions = [e["action"] for e in w.audit.documents(TENANT_ID)]
    assert actions == ["hibernation.schedule", "hibernation.sleep", "hibernation.manual_wake", "hibernation.wake"]
    assert (
        visited.index("RestoreNodeGroups") < visited.index("RestoreStatefulSets") < visited.index("RestoreDeployments")
    )


def test_the_snapshot_of_each_sleep_is_kept_apart_and_never_overwritten(tmp_path: Path) -> None:
    w = World(tmp_path)
    w.tick(SATURDAY_NOON)
    w.execute(SATURDAY_NOON)
    first = state_of(w.documents, TENANT_ID, CLUSTER).body["snapshot"]
    w.tick(MONDAY_0900)
    w.execute(MONDAY_0900)
    monday_night = MONDAY_0900 + 12 * 3600
    w.tick(monday_night)
    w.execute(monday_night)
    second = state_of(w.documents, TENANT_ID, CLUSTER).body["snapshot"]
    assert first != second
    kept = w.documents.get(TENANT_ID, SNAPSHOT, first)
    assert kept is not None and kept.version == 1 and kept.body["taken_at"] == SATURDAY_NOON
    # a retried snapshot step returns the stored snapshot, not a new reading
    payload = {"tenant": TENANT_ID, "cluster": CLUSTER, "action": "sleep", "execution": "x", "dry_run": False,
               "started_at": SATURDAY_NOON}  # fmt: skip
    assert run_step("sleep.snapshot", w.deps, payload, SATURDAY_NOON + 60)["snapshot"] == first
    assert w.documents.get(TENANT_ID, SNAPSHOT, first).version == 1  # type: ignore[union-attr]


def test_under_a_recommend_policy_sleep_and_wake_run_dry(tmp_path: Path) -> None:
    w = World(tmp_path, level="recommend")
    [decision] = w.tick(SATURDAY_NOON)
    assert decision.dry_run
    assert w.execute(SATURDAY_NOON)[0] == "SUCCEEDED"
    assert w.cluster.changes == [] and state_of(w.documents, TENANT_ID, CLUSTER).body["dry_run"] is True
    w.tick(MONDAY_0900)
    assert w.execute(MONDAY_0900)[0] == "SUCCEEDED" and w.cluster.changes == []
    entries = w.audit.documents(TENANT_ID)
    assert [(e["action"], e["dry_run"]) for e in entries[1:]] == [
        ("hibernation.sleep", True),
        ("hibernation.wake", True),
    ]


def test_changes_made_while_asleep_are_reported_not_fought(tmp_path: Path) -> None:
    w = World(tmp_path)
    w.tick(SATURDAY_NOON)
    w.execute(SATURDAY_NOON)
    web = w.cluster.workloads["Deployment/shop/web"]
    w.cluster.workloads["Deployment/shop/web"] = type(web)(Kind.DEPLOYMENT, "shop", "web", replicas=1)
    w.tick(MONDAY_0900)
    w.execute(MONDAY_0900)
    assert w.cluster.workloads["Deployment/shop/web"].replicas == 1  # left as someone set it
    event = state_of(w.documents, TENANT_ID, CLUSTER).body["history"][0]
    assert (event["drift"], event["restore_mismatches"], event["outcome"]) == (1, 1, "restored-with-differences")
    assert any("Deployment/shop/web" in r and "changed while asleep" in r for r in event["reasons"])


def test_a_failed_sleep_is_recorded_and_the_next_wake_restores_what_it_changed(tmp_path: Path) -> None:
    w = World(tmp_path)
    w.cluster.fail("resize", KubeUnavailableError("EKS is busy"), times=10)  # node groups never scale down
    w.tick(SATURDAY_NOON)
    status, _, visited = w.execute(SATURDAY_NOON)
    assert status == "FAILED" and "RecordFailure" in visited
    state = state_of(w.documents, TENANT_ID, CLUSTER).body
    assert state["state"] == "asleep" and "EKS is busy" in state["error"]
    assert state["history"][0]["outcome"] == "failed"
    assert w.audit.documents(TENANT_ID)[-1]["outcome"] == "failed"
    w.cluster._errors.clear()
    w.tick(MONDAY_0900)
    assert w.execute(MONDAY_0900)[0] == "SUCCEEDED"
    assert w.cluster.workloads == {wl.key: wl for wl in WORKLOADS}


@pytest.mark.parametrize("level", ["off"])
def test_automation_off_never_sleeps(tmp_path: Path, level: str) -> None:
    w = World(tmp_path, level=level)
    assert [d.outcome for d in w.tick(SATURDAY_NOON)] == ["automation-off"] and not w.executions.started


def test_a_transition_in_progress_is_not_started_twice(tmp_path: Path) -> None:
    w = World(tmp_path)
    w.tick(SATURDAY_NOON)
    assert [d.outcome for d in w.tick(SATURDAY_NOON + 60)] == ["in-progress"]
    assert len(w.executions.started) == 1
    later = SATURDAY_NOON + 2 * 3600  # never recorded: after an hour the tick treats it as asleep, then wakes
    [decision] = w.tick(later + 3 * 86400)
    assert decision.action == "wake"
