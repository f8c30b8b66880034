"""Drain plans and the PDB retry decision."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from engines.interruption.drain import PodView, next_step, plan_drain


def test_daemonset_mirror_and_terminal_pods_are_skipped_with_reasons() -> None:
    pods = [
        PodView("default", "web-1"),
        PodView("kube-system", "aws-node-1", owner_kind="DaemonSet"),
        PodView("kube-system", "kube-proxy-static", mirror=True),
        PodView("batch", "job-1", owner_kind="Job", phase="Succeeded"),
        PodView("batch", "job-2", owner_kind="Job", phase="Failed"),
    ]
    plan = plan_drain(pods)
    assert [p.name for p in plan.evict] == ["web-1"]
    reasons = {s.pod.name: s.reason for s in plan.skipped}
    assert "DaemonSet" in reasons["aws-node-1"] and "mirror" in reasons["kube-proxy-static"]
    assert "Succeeded" in reasons["job-1"] and "Failed" in reasons["job-2"]


def test_critical_pods_go_last_and_low_priority_first() -> None:
    pods = [
        PodView("kube-system", "coredns", priority=2_000_000_000, priority_class="system-cluster-critical"),
        PodView("default", "important", priority=1000),
        PodView("default", "batch", priority=-10),
    ]
    assert [p.name for p in plan_drain(pods).evict] == ["batch", "important", "coredns"]


def test_all_evicted_is_done() -> None:
    d = next_step([("a/x", "evicted"), ("a/y", "gone")], now=100, deadline=220, wait_seconds=5)
    assert (d.step, d.evicted, d.blocked) == ("done", ("a/x", "a/y"), ())


def test_pdb_refusal_waits_while_the_deadline_allows() -> None:
    d = next_step([("a/x", "evicted"), ("a/y", "blocked_by_pdb")], now=100, deadline=220, wait_seconds=5)
    assert (d.step, d.wait_seconds, d.blocked) == ("wait", 5, ("a/y",))


def test_pdb_refusal_gives_up_near_the_deadline_and_reports_the_pods() -> None:
    d = next_step([("a/y", "blocked_by_pdb")], now=218, deadline=220, wait_seconds=5)
    assert (d.step, d.blocked) == ("give-up", ("a/y",))
    assert "give up" in d.reasons[0]


pods = st.builds(
    PodView,
    namespace=st.sampled_from(["a", "b"]),
    name=st.text("abc", min_size=1, max_size=4),
    owner_kind=st.sampled_from([None, "ReplicaSet", "DaemonSet", "Job"]),
    mirror=st.booleans(),
    phase=st.sampled_from(["Running", "Pending", "Succeeded", "Failed"]),
    priority=st.integers(-5, 5),
)


@given(st.lists(pods, max_size=12))
def test_every_pod_is_evicted_or_skipped_never_both(pods_on_node: list[PodView]) -> None:
    plan = plan_drain(pods_on_node)
    assert len(plan.evict) + len(plan.skipped) == len(pods_on_node)
    assert all(p.owner_kind != "DaemonSet" and not p.mirror for p in plan.evict)


@given(
    st.lists(st.sampled_from(["evicted", "gone", "blocked_by_pdb"]), max_size=6),
    st.integers(0, 300),
    st.integers(0, 300),
    st.integers(1, 30),
)
def test_never_waits_past_the_deadline(results: list[str], now: int, deadline: int, wait: int) -> None:
    d = next_step([(f"ns/p{i}", r) for i, r in enumerate(results)], now, deadline, wait)  # type: ignore[misc]
    if d.step == "wait":
        assert now + d.wait_seconds <= deadline
    assert len(d.evicted) + len(d.blocked) == len(results)
