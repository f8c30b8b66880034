"""The in-memory KubePort other handler tests build on: budgets, replacements, error injection."""

from __future__ import annotations

import pytest

from cloudoptim.errors import KubeNotFoundError, KubeUnavailableError
from cloudoptim.interruptions.kube import EvictionResult, KubePort
from tests.fakes.kube import FakeKube


def _web(min_available: int | str | None = None, max_unavailable: int | str | None = None) -> FakeKube:
    kube = FakeKube()
    kube.add_node("old", instance_id="i-0aaaaaaaaaaaaaaa1")
    kube.add_node("new", instance_id="i-0bbbbbbbbbbbbbbb2")
    for index in range(3):
        kube.add_pod("shop", f"web-{index}", "old", labels={"app": "web"})
    kube.add_pod("kube-system", "aws-node-x", "old", owner_kind="DaemonSet", owner_name="aws-node")
    kube.add_pdb("shop", "web", {"app": "web"}, min_available=min_available, max_unavailable=max_unavailable)
    return kube


def test_fake_is_a_kube_port() -> None:
    port: KubePort = FakeKube()
    assert port.pdbs() == []


def test_budget_blocks_until_replacements_are_ready() -> None:
    kube = _web(max_unavailable=1)
    kube.replacements_ready = False
    assert kube.evict("shop", "web-0").result is EvictionResult.EVICTED
    blocked = kube.evict("shop", "web-1")
    assert blocked.result is EvictionResult.BLOCKED_BY_PDB
    assert "needs 2 healthy pods and has 2" in blocked.message
    kube.mark_ready()
    assert kube.evict("shop", "web-1").result is EvictionResult.EVICTED
    assert [p.node_name for p in kube.recreated] == ["new", "new"]


def test_drain_view_of_a_node() -> None:
    kube = _web(min_available="50%")
    node = kube.node_for_instance("i-0aaaaaaaaaaaaaaa1")
    assert node == "old"
    assert kube.cordon(node).unschedulable and kube.cordon(node).unschedulable  # idempotent
    to_evict = [p.name for p in kube.pods_on_node(node) if p.needs_eviction]
    assert to_evict == ["web-0", "web-1", "web-2"]
    results = [kube.evict("shop", name).result for name in to_evict]
    assert results == [EvictionResult.EVICTED] * 3  # replacements are Ready at once by default
    assert kube.evict("shop", "web-0").result is EvictionResult.GONE
    assert [p.name for p in kube.pods_on_node("old")] == ["aws-node-x"]
    assert kube.pdbs()[0].current_healthy == 3


def test_injected_errors_then_recovery() -> None:
    kube = _web()
    kube.fail("evict", KubeUnavailableError("control plane busy"), times=2)
    for _ in range(2):
        with pytest.raises(KubeUnavailableError):
            kube.evict("shop", "web-0")
    assert kube.evict("shop", "web-0").result is EvictionResult.EVICTED
    with pytest.raises(KubeNotFoundError):
        kube.cordon("missing")
    with pytest.raises(ValueError, match="unknown operation"):
        kube.fail("drain", RuntimeError())
