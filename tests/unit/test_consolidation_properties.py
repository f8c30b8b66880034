"""Invariants of every consolidation plan, on random clusters (hypothesis)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from engines.cluster.model import ClusterState
from engines.consolidation.planner import plan_consolidation
from engines.consolidation.policy import ConsolidationPolicy
from engines.consolidation.validate import validate_plan
from tests.unit.cluster_factories import clusters, price_book

PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(clusters())
def test_every_plan_passes_the_independent_validator(state: ClusterState) -> None:
    book = price_book()
    plan = plan_consolidation(state, book)
    assert validate_plan(state, plan, book) == []


@PROPERTY
@given(clusters())
def test_cost_accounting_and_bound(state: ClusterState) -> None:
    plan = plan_consolidation(state, price_book())
    assert plan.cost_after_per_hour <= plan.cost_before_per_hour + 1e-9
    assert plan.lower_bound_cost_per_hour <= plan.cost_after_per_hour + 1e-6
    assert abs(plan.savings_per_hour - sum(a.savings_per_hour for a in plan.actions)) < 1e-9


@PROPERTY
@given(clusters())
def test_every_node_is_acted_on_or_says_why(state: ClusterState) -> None:
    plan = plan_consolidation(state, price_book())
    acted = [n for a in plan.actions for n in a.nodes]
    kept = [b.node for b in plan.blocked]
    assert sorted(acted + kept) == sorted(n.name for n in state.nodes)
    assert len(set(acted)) == len(acted)
    assert all(b.reason for b in plan.blocked)


@PROPERTY
@given(clusters())
def test_actions_clear_the_minimum_saving_and_never_touch_protected_pods(state: ClusterState) -> None:
    policy = ConsolidationPolicy()
    plan = plan_consolidation(state, price_book(), policy)
    protected = {
        p.key
        for p in state.pods
        if p.annotations.get("cloudoptim.io/do-not-disrupt") == "true" or p.local_storage or p.owner_kind is None
    }
    for action in plan.actions:
        assert action.savings_per_hour >= policy.min_savings_per_hour - 1e-9
        assert not protected & {m.pod for m in action.moves}
        assert action.reasons


@PROPERTY
@given(clusters())
def test_planning_is_deterministic(state: ClusterState) -> None:
    assert plan_consolidation(state, price_book()) == plan_consolidation(state, price_book())


@PROPERTY
@given(clusters())
def test_node_rightsizing_plans_validate_and_stay_above_their_bound(state: ClusterState) -> None:
    """`rightsize-nodes` is the planner limited to one-for-one replacements; its bound once sat above its plan."""
    book = price_book()
    policy = ConsolidationPolicy(allow_delete=False, max_nodes_per_replace=1)
    plan = plan_consolidation(state, book, policy)
    assert validate_plan(state, plan, book, policy) == []
    assert all(a.type == "replace" and len(a.nodes) == 1 for a in plan.actions)
    assert plan.lower_bound_cost_per_hour <= plan.cost_after_per_hour + 1e-6
