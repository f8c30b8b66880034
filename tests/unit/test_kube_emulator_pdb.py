"""The emulator's eviction rule: no sequence of evictions breaks a budget (the arithmetic: test_cluster_budget)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from localmode.kube_emulator import ClusterStore
from localmode.kube_emulator.objects import ApiError
from tests.fakes.kube_cluster import FakeClock, cluster, node, pdb, pod


def _store(replicas: int, budget: dict[str, int | str], clock: FakeClock, spare_nodes: int) -> ClusterStore:
    web = [pod("shop", f"web-{i}", "node-0", {"app": "web"}, cpu="250m") for i in range(replicas)]
    loose = [pod("shop", "solo", "node-0", {"app": "web"}, owner=None, cpu="250m")]
    nodes = [node(f"node-{i}", f"i-{i:017x}", cpu="8") for i in range(1 + spare_nodes)]
    document = cluster(*nodes, *web, *loose, pdb("shop", "web", {"app": "web"}, **budget))
    return ClusterStore(document, pod_ready_seconds=1.0, clock=clock)


budgets = st.one_of(
    st.builds(lambda n: {"min_available": n}, st.integers(0, 6)),
    st.builds(lambda p: {"min_available": f"{p}%"}, st.integers(0, 100)),
    st.builds(lambda n: {"max_unavailable": n}, st.integers(0, 4)),
    st.builds(lambda p: {"max_unavailable": f"{p}%"}, st.integers(0, 100)),
)
steps = st.lists(st.one_of(st.integers(0, 40), st.just("tick"), st.just("node-down"), st.just("node-up")), max_size=40)


@settings(max_examples=150, deadline=None)
@given(replicas=st.integers(1, 6), budget=budgets, spare_nodes=st.integers(0, 2), actions=steps)
def test_no_sequence_of_evictions_breaks_a_budget(
    replicas: int, budget: dict[str, int | str], spare_nodes: int, actions: list[int | str]
) -> None:
    clock = FakeClock()
    store = _store(replicas, budget, clock, spare_nodes)
    for action in actions:
        before = store.budget_counts()[("shop", "web")]
        if action == "tick":
            clock.advance(1.0)
            continue
        if action in ("node-down", "node-up") and spare_nodes:
            store.set_node_ready("node-1", action == "node-up")  # an outage is not an eviction
            continue
        pods = store.list_pods("shop")
        if not pods or not isinstance(action, int):
            continue
        victim = pods[action % len(pods)]
        try:
            store.evict("shop", victim["metadata"]["name"])
        except ApiError as refusal:
            assert refusal.code == 429
            causes = (refusal.details or {}).get("causes") or []
            assert [c["reason"] for c in causes] == ["DisruptionBudget"]
            assert before.disruptions_allowed == 0  # refused only when the budget had nothing left
            continue
        after = store.budget_counts()[("shop", "web")]
        if before.healthy >= before.desired:
            assert after.healthy >= after.desired
    assert store.stats.pdb_violations == 0
