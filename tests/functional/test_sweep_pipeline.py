"""The sweep's discovery, usage history and planning on the shipped local cluster and its trace-derived usage,
through in-memory stores: the recommendations add up to the sweep's ledger, never to more than the cluster costs,
a newer sweep supersedes an older one's open recommendations, and a flagged pool receives no pod."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from cloudoptim.adapters.day_zero import load_day_zero
from cloudoptim.adapters.sweep_inputs import StoredSweepInputs
from cloudoptim.optimization.discover import DiscoveryDeps, discover, oom_kills, sample_usage
from cloudoptim.optimization.ports import ClusterSnapshot, UsageSample
from cloudoptim.optimization.records import Recommendation, Sweep
from cloudoptim.optimization.sweep_plan import PlanDeps, plan
from cloudoptim.optimization.usage_history import WINDOW_SECONDS, merge
from engines.spot.model import PoolKey
from localmode.kube_emulator import load_seed
from localmode.kube_emulator.metrics import UsageModel
from tests.fakes.tenancy import MemoryDocuments, MemorySnapshots

TENANT, CLUSTER, ACCOUNT = "demo", "local", "111122223333"
START = 1_780_000_000 // 3600 * 3600
HOURS = 110


def _with_controllers(seed: Mapping[str, Any]) -> dict[str, Any]:
    """The seed plus the Deployments and StatefulSets owning its pods, as the API would list them beside the pods."""
    owners = set()
    for item in seed["items"]:
        for ref in item.get("metadata", {}).get("ownerReferences") or []:
            kind, name = ref["kind"], ref["name"]
            if kind == "ReplicaSet":
                kind, name = "Deployment", name.rsplit("-", 1)[0]
            if kind in ("Deployment", "StatefulSet"):
                owners.add((kind, item["metadata"]["namespace"], name))
    controllers = [
        {"kind": k, "apiVersion": "apps/v1", "metadata": {"namespace": ns, "name": n}} for k, ns, n in owners
    ]
    return {**seed, "items": [*seed["items"], *controllers]}


@dataclass
class SeedCluster:
    """`ClusterReader` over the shipped seed: its objects, and metrics-server's answer on a usage clock."""

    document: Mapping[str, Any] = field(default_factory=lambda: _with_controllers(load_seed()))
    at: float = START

    def snapshot(self, tenant: str, cluster: Mapping[str, Any], account: Mapping[str, Any]) -> ClusterSnapshot:
        return ClusterSnapshot(self.document)

    def pod_usage(self, tenant: str, cluster: Mapping[str, Any], account: Mapping[str, Any]) -> list[UsageSample]:
        model = UsageModel.shipped(clock=lambda: self.at)
        samples = []
        for pod in self.document["items"]:
            if pod["kind"] != "Pod":
                continue
            metrics = model.pod_metrics(pod, self.at)
            for container in metrics["containers"]:
                cpu = int(container["usage"]["cpu"].rstrip("n")) / 1e9
                memory = int(container["usage"]["memory"].rstrip("Ki")) * 1024
                samples.append(UsageSample(pod["metadata"]["namespace"], pod["metadata"]["name"], container["name"],
                                           cpu, memory))  # fmt: skip
        return samples


@dataclass
class Flags:
    pools: dict[PoolKey, str] = field(default_factory=dict)

    def flagged(self, region: str, zone_names: Mapping[str, str], now: int) -> Mapping[PoolKey, str]:
        return self.pools


def _world() -> tuple[MemoryDocuments, MemorySnapshots, SeedCluster]:
    docs, snapshots, cluster = MemoryDocuments(), MemorySnapshots(), SeedCluster()
    docs.create(TENANT, "account", ACCOUNT, {"aws_account_id": ACCOUNT}, 0)
    docs.create(TENANT, "cluster", CLUSTER, {"name": CLUSTER, "account_id": ACCOUNT, "region": "eu-west-1"}, 0)
    deps = DiscoveryDeps(docs, cluster, snapshots)
    for hour in range(HOURS):
        cluster.at = START + hour * 3600 + 60
        sample_usage(deps, TENANT, CLUSTER, int(cluster.at))
    discover(deps, TENANT, CLUSTER, START + HOURS * 3600)
    return docs, snapshots, cluster


@pytest.fixture(scope="module")
def world() -> tuple[MemoryDocuments, MemorySnapshots, SeedCluster]:
    return _world()


def _sweep(docs: MemoryDocuments, snapshots: MemorySnapshots, id: str, flags: Flags | None = None) -> Sweep:
    now = START + HOURS * 3600 + 100
    docs.create(TENANT, "sweep", id, Sweep(cluster=CLUSTER, started_at=now).model_dump(), now)
    return plan(PlanDeps(docs, StoredSweepInputs(snapshots, load_day_zero()), flags or Flags()), TENANT, CLUSTER, id,
                now)  # fmt: skip


def test_the_history_keeps_hourly_peaks_for_the_window() -> None:
    samples = [UsageSample("ns", "p", "c", cpu, 10) for cpu in (0.5, 0.9, 0.1)]
    history = None
    for second, sample in enumerate(samples):
        history = merge(history, [sample], now=7200 + second)
    assert history is not None and history["containers"]["ns/p/c"] == [[7200, 0.9, 10]]
    later = merge(history, [UsageSample("ns", "q", "c", 1.0, 1)], now=7200 + WINDOW_SECONDS + 3600)
    assert "ns/p/c" not in later["containers"]  # out of the window


def test_recommendations_add_up_to_the_sweep_and_never_to_more_than_the_cluster(world: Any) -> None:
    docs, snapshots, _ = world
    sweep = _sweep(docs, snapshots, f"{CLUSTER}.20260101T000000Z")
    made = [Recommendation.model_validate(docs.get(TENANT, "recommendation", id).body) for id in sweep.recommendations]
    assert sweep.status == "planned" and made
    total = sum(r.projected_savings_per_hour for r in made)
    assert total == pytest.approx(sweep.projected_savings_per_hour, abs=1e-5)
    assert 0 < total <= (sweep.current_cost_per_hour or 0)
    assert {r.kind for r in made} >= {"consolidation", "workload_rightsizing"}
    assert all(r.reasons and r.actions for r in made)
    for r in made:
        if r.kind == "workload_rightsizing":
            assert {a["type"] for a in r.actions} == {"patch_requests"} and r.actions[0]["owner_kind"] != "Pod"
        else:
            assert {a["type"] for a in r.actions} <= {"delete", "replace"}


def test_a_newer_sweep_supersedes_the_open_recommendations_of_an_older_one(world: Any) -> None:
    docs, snapshots, _ = world
    older = _sweep(docs, snapshots, f"{CLUSTER}.20260102T000000Z")
    newer = _sweep(docs, snapshots, f"{CLUSTER}.20260103T000000Z")
    assert {docs.get(TENANT, "recommendation", id).body["status"] for id in older.recommendations} == {"superseded"}
    assert {docs.get(TENANT, "recommendation", id).body["status"] for id in newer.recommendations} == {"open"}


def test_a_flagged_pool_receives_no_pod(world: Any) -> None:
    docs, snapshots, _ = world
    free = _sweep(docs, snapshots, f"{CLUSTER}.20260104T000000Z")
    launched = {(launch["instance_type"], launch["availability_zone"])
                for id in free.recommendations for action in docs.get(TENANT, "recommendation", id).body["actions"]
                for launch in action.get("launches", []) if launch["capacity_type"] == "spot"}  # fmt: skip
    if not launched:
        pytest.skip("the unflagged sweep launches no Spot node: nothing to flag")
    flags = Flags({PoolKey(t, z): "three customers interrupted here" for t, z in launched})
    flagged = _sweep(docs, snapshots, f"{CLUSTER}.20260105T000000Z", flags)
    again = {(launch["instance_type"], launch["availability_zone"])
             for id in flagged.recommendations for action in docs.get(TENANT, "recommendation", id).body["actions"]
             for launch in action.get("launches", []) if launch["capacity_type"] == "spot"}  # fmt: skip
    assert not again & launched


def test_oom_killed_containers_are_found_in_pod_status() -> None:
    pod = {"kind": "Pod", "metadata": {"namespace": "shop", "name": "api-1"}, "status": {"containerStatuses": [
        {"name": "api", "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137}}},
        {"name": "sidecar", "lastState": {"terminated": {"reason": "Completed"}}}]}}  # fmt: skip
    assert oom_kills([pod]) == [{"namespace": "shop", "pod": "api-1", "container": "api"}]
