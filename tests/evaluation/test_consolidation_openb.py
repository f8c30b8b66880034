"""Consolidation on OpenB clusters (skipped when ../shared/data is absent): safety, bound and the Karpenter baseline.

100-node seeds 1-3 and one 1,000-node cluster (benchmarks/results/clusters caches them). The figures themselves
come from benchmarks/consolidation.py; these are the regression guards.
"""

from __future__ import annotations

import json
from functools import cache

import pytest

from benchmarks.karpenter_baseline import KARPENTER_RULES, karpenter_consolidation
from benchmarks.traces.openb import NODES_CSV, PODS_CSV, cluster_path
from cloudoptim.adapters.day_zero import load_day_zero
from cloudoptim.adapters.kube.cluster import parse_cluster
from cloudoptim.adapters.node_prices import price_book
from engines.cluster.capacity import PriceBook
from engines.cluster.model import ClusterState
from engines.consolidation.plan import Plan
from engines.consolidation.planner import plan_consolidation
from engines.consolidation.validate import validate_plan

pytestmark = pytest.mark.evaluation

CLUSTERS = {"openb-100-s1": (100, 1), "openb-100-s2": (100, 2), "openb-100-s3": (100, 3), "openb-1000-s1": (1000, 1)}
# Where the Karpenter baseline still ends cheaper (see the consolidation benchmark's report for why). Strict, so
# a planner that overtakes it fails here until the entry is removed.
BEHIND_KARPENTER: set[str] = set()


@cache
def prices() -> PriceBook:
    return price_book(load_day_zero(), "eu-west-1")


@cache
def cluster(name: str) -> ClusterState:
    for path in (NODES_CSV, PODS_CSV):
        if not path.exists():
            pytest.skip(f"../shared/data not found: {path}")
    nodes, seed = CLUSTERS[name]
    return parse_cluster(json.loads(cluster_path(nodes, seed).read_text()), prices())


@cache
def ours(name: str) -> Plan:
    return plan_consolidation(cluster(name), prices())


@pytest.mark.parametrize("name", CLUSTERS)
def test_plan_is_valid_and_moves_every_pod(name: str) -> None:
    state, plan = cluster(name), ours(name)
    assert validate_plan(state, plan, prices()) == []
    removed = {n for a in plan.actions for n in a.nodes}
    must_move = {p.key for p in state.pods if p.node in removed and p.is_active and not p.is_daemon}
    assert must_move == {m.pod for a in plan.actions for m in a.moves}
    assert plan.savings_per_hour > 0


@pytest.mark.parametrize("name", CLUSTERS)
def test_cost_after_is_above_the_lower_bound(name: str) -> None:
    plan = ours(name)
    assert plan.lower_bound_cost_per_hour <= plan.cost_after_per_hour + 1e-6
    assert plan.cost_after_per_hour <= plan.cost_before_per_hour


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(strict=True, reason="Karpenter baseline cheaper"))
        if n in BEHIND_KARPENTER
        else n
        for n in CLUSTERS
    ],
)
def test_ours_beats_the_karpenter_baseline_on_its_candidate_rules(name: str) -> None:
    """Like for like: both plan on Karpenter's candidate rules (KARPENTER_RULES), so the search is compared, not the
    rules; the benchmark reports the default-against-default figures too (benchmarks/consolidation.py)."""
    state = cluster(name)
    plan, karpenter = plan_consolidation(state, prices(), KARPENTER_RULES), karpenter_consolidation(state, prices())[0]
    assert validate_plan(state, plan, prices(), KARPENTER_RULES) == []
    assert validate_plan(state, karpenter, prices(), KARPENTER_RULES) == []
    cheaper = plan.cost_after_per_hour < karpenter.cost_after_per_hour - 1e-9
    as_cheap_with_fewer_moves = (
        abs(plan.cost_after_per_hour - karpenter.cost_after_per_hour) <= 1e-9 and plan.pods_moved < karpenter.pods_moved
    )
    assert cheaper or as_cheap_with_fewer_moves, (
        f"ours ${plan.cost_after_per_hour:.2f}/h with {plan.pods_moved} moves, "
        f"Karpenter ${karpenter.cost_after_per_hour:.2f}/h with {karpenter.pods_moved} moves"
    )
