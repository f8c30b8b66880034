"""The emulator's Deployment, StatefulSet and DaemonSet controllers roll a patched pod template as Kubernetes does:
within maxSurge / maxUnavailable (25% / 25% by default), a StatefulSet one pod at a time from the highest ordinal, a
DaemonSet node by node, each step waiting for readiness; new pods carry the new requests and are scheduled; a
rollout is no PDB violation, and a pod evicted mid-rollout comes back with the template as it is now (what a drain
after rightsizing relies on)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cloudoptim.adapters.kube.execution import KubeExecution
from cloudoptim.adapters.kube.quantity import cpu_millicores
from engines.execution.revalidate import ContainerTarget
from localmode.kube_emulator import KubeEmulator
from localmode.kube_emulator.objects import Obj, is_ready
from tests.fakes.kube_cluster import FakeClock, cluster, node, pdb, pod

READY_SECONDS = 1.0


def _statefulset(name: str, replicas: int) -> list[Obj]:
    pods = []
    for ordinal in range(replicas):
        made = pod("shop", f"{name}-{ordinal}", f"node-{ordinal % 3}", {"app": name}, ("StatefulSet", name))
        made["metadata"]["labels"]["controller-revision-hash"] = f"{name}-7b9c4d5f6g"
        pods.append(made)
    return pods


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def kube(clock: FakeClock) -> Iterator[KubeEmulator]:
    web = [pod("shop", f"web-6d4f8-{i:05d}", f"node-{i % 3}", {"app": "web"}) for i in range(8)]
    document = cluster(
        *(node(f"node-{i}", f"i-{i:017x}", cpu="16") for i in range(3)), *web, *_statefulset("db", 3),
        *(pod("shop", f"agent-{i}", f"node-{i}", {"app": "agent"}, ("DaemonSet", "agent"), cpu="100m")
          for i in range(3)),
        pdb("shop", "web", {"app": "web"}, min_available=8),  # no eviction may go: a rollout is not one
        pdb("shop", "db", {"app": "db"}, max_unavailable=2),
    )  # fmt: skip
    with KubeEmulator(document, pod_ready_seconds=READY_SECONDS, clock=clock) as emulator:
        yield emulator


def _pods(kube: KubeEmulator, prefix: str) -> list[Obj]:
    return [p for p in kube.store.list_pods("shop") if p["metadata"]["name"].startswith(prefix)]


def _cpu(pod: Obj) -> int:
    return cpu_millicores(pod["spec"]["containers"][0]["resources"]["requests"]["cpu"])


def _patch(kube: KubeEmulator, kind: str, name: str, cores: float) -> None:
    KubeExecution(kube.api_client()).patch_container(kind, "shop", name, "app", ContainerTarget(cores, None, None))


def test_a_deployment_rolls_within_surge_and_unavailability(kube: KubeEmulator, clock: FakeClock) -> None:
    _patch(kube, "Deployment", "web", 0.2)
    seen_total, seen_ready = [], []
    for _ in range(40):
        pods = _pods(kube, "web-")
        seen_total.append(len(pods))
        seen_ready.append(sum(1 for p in pods if is_ready(p)))
        if len(pods) == 8 and all(_cpu(p) == 200 and is_ready(p) for p in pods):
            break
        clock.advance(READY_SECONDS)
    pods = _pods(kube, "web-")
    assert len(pods) == 8 and all(_cpu(p) == 200 and is_ready(p) and p["spec"]["nodeName"] for p in pods)
    assert max(seen_total) == 10  # 8 + maxSurge 25% (2)
    assert min(seen_ready) == 6  # 8 - maxUnavailable 25% (2)
    assert len({p["metadata"]["ownerReferences"][0]["name"] for p in pods}) == 1  # one new ReplicaSet
    stats = kube.stats()
    assert stats.pods_rolled == 8 and stats.pdb_violations == 0 and stats.evictions_granted == 0


def test_a_one_replica_deployment_surges_before_its_old_pod_goes(kube: KubeEmulator, clock: FakeClock) -> None:
    with kube.store.operation():
        kube.store.state.workloads.deployments[("shop", "web")]["spec"]["replicas"] = 1
    [old] = _pods(kube, "web-")
    _patch(kube, "Deployment", "web", 0.1)
    pods = _pods(kube, "web-")
    assert len(pods) == 2 and old["metadata"]["name"] in {p["metadata"]["name"] for p in pods}  # maxSurge 1
    clock.advance(READY_SECONDS)
    [new] = _pods(kube, "web-")
    assert new["metadata"]["name"] != old["metadata"]["name"] and _cpu(new) == 100 and is_ready(new)


def test_a_statefulset_rolls_one_pod_at_a_time_from_the_highest_ordinal(kube: KubeEmulator, clock: FakeClock) -> None:
    _patch(kube, "StatefulSet", "db", 0.3)
    order: list[str] = []
    for _ in range(20):
        pods = _pods(kube, "db-")
        assert sum(1 for p in pods if not is_ready(p)) + (3 - len(pods)) <= 1  # never more than one down
        order += [p["metadata"]["name"] for p in pods if _cpu(p) == 300 and p["metadata"]["name"] not in order]
        clock.advance(READY_SECONDS)
    assert order == ["db-2", "db-1", "db-0"]
    assert all(is_ready(p) and _cpu(p) == 300 for p in _pods(kube, "db-"))
    assert kube.stats().pdb_violations == 0


def test_a_pod_evicted_mid_rollout_comes_back_with_the_new_requests(kube: KubeEmulator, clock: FakeClock) -> None:
    _patch(kube, "StatefulSet", "db", 0.3)
    old = next(p for p in _pods(kube, "db-") if _cpu(p) != 300 and is_ready(p))
    kube.store.evict("shop", old["metadata"]["name"])
    back = next(p for p in _pods(kube, "db-") if p["metadata"]["name"] == old["metadata"]["name"])
    assert _cpu(back) == 300  # the controller makes it from the template as it is now, not a copy of the old pod
    assert kube.stats().evictions_granted == 1 and kube.stats().pdb_violations == 0


def test_patching_the_template_back_returns_to_the_earlier_revision(kube: KubeEmulator, clock: FakeClock) -> None:
    first = {p["metadata"]["ownerReferences"][0]["name"] for p in _pods(kube, "web-")}
    _patch(kube, "Deployment", "web", 0.2)
    _patch(kube, "Deployment", "web", 0.5)  # the rollback of a savings guard: the original requests
    for _ in range(10):
        clock.advance(READY_SECONDS)
        pods = _pods(kube, "web-")
    assert {p["metadata"]["ownerReferences"][0]["name"] for p in pods} == first
    assert len(pods) == 8 and all(_cpu(p) == 500 and is_ready(p) for p in pods)


def test_a_daemonset_rolls_node_by_node_and_new_nodes_get_the_new_template(
    kube: KubeEmulator, clock: FakeClock
) -> None:
    _patch(kube, "DaemonSet", "agent", 0.05)
    for _ in range(12):
        pods = _pods(kube, "agent-")
        assert sorted(p["spec"]["nodeName"] for p in pods) == ["node-0", "node-1", "node-2"]  # one per node
        assert sum(1 for p in pods if not is_ready(p)) <= 1  # maxUnavailable 1
        clock.advance(READY_SECONDS)
    pods = _pods(kube, "agent-")
    assert all(_cpu(p) == 50 and is_ready(p) for p in pods)
    assert kube.stats().pods_rolled == 3 and kube.stats().pdb_violations == 0
    kube.register_node("node-3", "i-00000000000000003", "eu-west-1a", "m5.xlarge", ready_after_seconds=0)
    [fresh] = [p for p in _pods(kube, "agent-") if p["spec"]["nodeName"] == "node-3"]
    assert _cpu(fresh) == 50
    status = KubeExecution(kube.api_client()).workload("DaemonSet", "shop", "agent")
    assert status is not None and status.replicas == 4  # desiredNumberScheduled: one per node
