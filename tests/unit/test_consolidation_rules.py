"""Consolidation on hand-built clusters: each rule of spec E1/E2 in isolation, with the reason it gives."""

from __future__ import annotations

from dataclasses import replace

import pytest

from engines.cluster.model import Pdb
from engines.cluster.selectors import LabelSelector
from engines.consolidation.plan import Action, Move
from engines.consolidation.planner import plan_consolidation
from engines.consolidation.policy import ConsolidationPolicy
from engines.consolidation.validate import validate_plan
from tests.unit.cluster_factories import ZONES, cluster, node, pod, price_book


def _reasons(plan: object) -> dict[str, str]:
    return {b.node: b.reason for b in plan.blocked}  # type: ignore[attr-defined]


def test_empty_node_is_deleted() -> None:
    state = cluster([node("a", "m5.xlarge"), node("b", "m5.xlarge")], [pod("web", "a", 500, 1)])
    plan = plan_consolidation(state, price_book())
    assert (plan.actions[0].type, plan.actions[0].nodes, plan.actions[0].moves) == ("delete", ("b",), ())


def test_underused_node_is_drained_onto_another() -> None:
    state = cluster(
        [node("a", "m5.2xlarge"), node("b", "m5.2xlarge")], [pod("web", "a", 3000, 8), pod("api", "b", 1000, 2)]
    )
    plan = plan_consolidation(state, price_book())
    assert plan.actions[0].type == "delete" and plan.actions[0].nodes == ("b",)
    assert plan.actions[0].moves == (Move("shop/api", "a"),)
    assert plan.cost_after_per_hour == 0.428


def test_several_nodes_merge_into_one_cheaper_node() -> None:
    nodes = [node(f"n{i}", "m5.xlarge") for i in range(3)]
    pods = [pod(f"web-{i}", f"n{i}", 1200, 5, app="web") for i in range(3)]
    plan = plan_consolidation(state := cluster(nodes, pods), book := price_book())
    assert validate_plan(state, plan, book) == []
    assert plan.cost_after_per_hour <= 0.428 + 1e-9  # two m5.xlarge or one m5.2xlarge: 2/3 of the cost


def test_oversized_node_is_rightsized() -> None:
    state = cluster([node("big", "m5.4xlarge")], [pod("web", "big", 1000, 3)])
    plan = plan_consolidation(state, price_book())
    (action,) = plan.actions
    assert action.type == "replace" and action.replacement is not None
    assert action.replacement.instance_type == "m5.large"
    assert "smaller" in action.reasons[0]


def test_do_not_disrupt_pod_and_node_block_with_reason() -> None:
    state = cluster(
        [node("a", "m5.xlarge"), node("b", "m5.xlarge", annotations={"karpenter.sh/do-not-disrupt": "true"})],
        [pod("web", "a", 200, 1, annotations={"karpenter.sh/do-not-disrupt": "true"})],
    )
    plan = plan_consolidation(state, price_book())
    assert plan.actions == ()
    assert "annotated karpenter.sh/do-not-disrupt" in _reasons(plan)["a"]
    assert _reasons(plan)["b"] == "node annotated karpenter.sh/do-not-disrupt"


def test_pdb_allowing_zero_disruptions_blocks() -> None:
    pdb = Pdb("shop", "web", LabelSelector((("app", "web"),)), 0)
    state = cluster([node("a", "m5.xlarge"), node("b", "m5.xlarge")], [pod("web", "b", 200, 1)], [pdb])
    plan = plan_consolidation(state, price_book())
    assert all("b" not in a.nodes for a in plan.actions)
    assert "PodDisruptionBudget shop/web allows 0" in _reasons(plan)["b"]


def test_pdb_paces_a_drain_instead_of_blocking_it() -> None:
    """Two replicas per node under maxUnavailable 1: each drain evicts one, waits for it to be Ready, then the other
    (issue 11; before, such nodes were blocked: "allows 1 disruption(s), draining this node needs 2")."""
    nodes = [node(f"n{i}", "m5.2xlarge") for i in range(3)]
    pods = [pod(f"web-{i}", f"n{i // 2}", 1500, 5, app="web") for i in range(4)]
    pdb = Pdb("shop", "web", LabelSelector((("app", "web"),)), 1)
    plan = plan_consolidation(state := cluster(nodes, pods, [pdb]), book := price_book())
    assert validate_plan(state, plan, book) == []
    paced = [a for a in plan.actions if len(a.moves) == 2]
    assert paced and all(a.eviction_rounds == 2 for a in paced)
    assert any("drains in 2 eviction rounds: PodDisruptionBudget shop/web allows 1" in r for r in paced[0].reasons)
    assert plan.cost_after_per_hour == pytest.approx(0.428)  # one node holds the four replicas


def test_bare_pod_and_local_storage_block() -> None:
    state = cluster(
        [node("a", "m5.xlarge"), node("b", "m5.xlarge"), node("c", "m5.xlarge")],
        [pod("lone", "b", 100, 1, owner=None), pod("scratch", "c", 100, 1, local_storage=True)],
    )
    reasons = _reasons(plan_consolidation(state, price_book()))
    assert "no controller" in reasons["b"] and "local storage" in reasons["c"]


def test_excluded_namespace_blocks() -> None:
    system = replace(pod("coredns", "b", 100, 0.1), namespace="kube-system")
    state = cluster([node("a", "m5.xlarge"), node("b", "m5.xlarge")], [system, pod("web", "a", 2000, 4)])
    assert "namespace kube-system is excluded" in _reasons(plan_consolidation(state, price_book()))["b"]


def test_anti_affinity_keeps_replicas_apart() -> None:
    nodes = [node("a", "m5.xlarge"), node("b", "m5.xlarge")]
    pods = [pod(f"web-{i}", n, 200, 1, app="web", anti_affinity=True) for i, n in enumerate("ab")]
    plan = plan_consolidation(state := cluster(nodes, pods), book := price_book())
    assert validate_plan(state, plan, book) == []
    assert not any(a.type == "delete" for a in plan.actions)  # a delete would put both replicas on one node


def test_zone_spread_is_honoured() -> None:
    nodes = [node("a", "m5.xlarge", ZONES[0]), node("b", "m5.xlarge", ZONES[1]), node("c", "m5.xlarge", ZONES[0])]
    pods = [
        pod("cache-0", "a", 200, 1, app="cache", spread=True),
        pod("cache-1", "b", 200, 1, app="cache", spread=True),
    ]
    plan = plan_consolidation(cluster(nodes, pods), price_book())
    for action in plan.actions:
        for move in action.moves:
            assert move.pod != "shop/cache-1" or move.to != "a"  # both in one zone would be skew 2


def test_minimum_saving_stops_churn() -> None:
    state = cluster(
        [node("a", "m5.2xlarge"), node("b", "m5.xlarge")], [pod("web", "a", 3000, 8), pod("api", "b", 2500, 9)]
    )
    strict = ConsolidationPolicy(min_savings_per_hour=1.0)
    plan = plan_consolidation(state, price_book(), strict)
    assert plan.actions == ()
    assert "under the $1.0/h minimum" in _reasons(plan)["b"]


def test_validator_catches_an_overfull_target() -> None:
    state = cluster(
        [node("a", "m5.large"), node("b", "m5.xlarge")], [pod("web", "a", 1500, 6), pod("api", "b", 3000, 10)]
    )
    plan = plan_consolidation(state, book := price_book())
    forged_action = Action("delete", ("b",), None, (Move("shop/api", "a"),), 0.214, ("forged",))
    problems = validate_plan(state, replace(plan, actions=(forged_action,)), book)
    assert any("node a is over capacity" in p for p in problems)


def test_validator_catches_a_forgotten_pod_and_a_protected_node() -> None:
    state = cluster(
        [node("a", "m5.xlarge"), node("b", "m5.xlarge", annotations={"karpenter.sh/do-not-disrupt": "true"})],
        [pod("api", "b", 300, 1)],
    )
    plan = plan_consolidation(state, book := price_book())
    forged_action = Action("delete", ("b",), None, (), 0.214, ("forged",))
    problems = validate_plan(state, replace(plan, actions=(forged_action,)), book)
    assert any("may not be disrupted" in p for p in problems)
    assert any("left on removed node b" in p for p in problems)


def test_half_used_big_node_splits_into_smaller_ones() -> None:
    # 10.5 cores fit no type smaller than m5.4xlarge, yet three m5.xlarge hold them for 3/4 of its price
    state = cluster([node("big", "m5.4xlarge")], [pod(f"job-{i}", "big", 3500, 1) for i in range(3)])
    plan = plan_consolidation(state, book := price_book())
    assert validate_plan(state, plan, book) == []
    (action,) = plan.actions
    assert action.type == "replace" and len(action.launches) > 1
    assert sum(r.price_per_hour for r in action.launches) <= 0.642 + 1e-9
    assert {m.to for m in action.moves} == {f"new:{i}" for i in range(len(action.launches))}
    assert "smaller ones" in action.reasons[0]


def test_splits_can_be_switched_off() -> None:
    state = cluster([node("big", "m5.4xlarge")], [pod(f"job-{i}", "big", 3500, 1) for i in range(3)])
    plan = plan_consolidation(state, price_book(), ConsolidationPolicy(allow_split=False))
    assert plan.actions == ()
