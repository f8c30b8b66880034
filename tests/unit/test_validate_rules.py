"""The validator (the gate before execution): one hand-built plan per rule the planner honours, each breaking it.

Every forged plan must be reported, and the plan the planner makes for the same cluster must pass: a rule the
validator cannot see is a rule nothing checks before pods are evicted.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from engines.cluster.model import (
    HOSTNAME_KEY,
    ZONE_KEY,
    AffinityTerm,
    AntiAffinityTerm,
    ClusterState,
    Pdb,
    Pod,
    Resources,
    SpreadConstraint,
)
from engines.cluster.selectors import LabelSelector, NodeSelectorTerm, Requirement, Taint
from engines.consolidation.plan import Action, Move, Plan, Replacement
from engines.consolidation.planner import plan_consolidation
from engines.consolidation.validate import validate_plan
from tests.unit.cluster_factories import ZONES, cluster, node, pod, price_book

WEB = LabelSelector((("app", "web"),))
EFA = "vpc.amazonaws.com/efa"


def forged(state: ClusterState, *actions: Action) -> list[str]:
    book = price_book()
    plan = plan_consolidation(state, book)
    assert validate_plan(state, plan, book) == []  # what the planner itself does is valid
    return validate_plan(state, replace(plan, actions=actions), book)


def delete(name: str, *moves: tuple[str, str], rounds: int = 1) -> Action:
    return Action("delete", (name,), None, tuple(Move(p, to) for p, to in moves), 0.1, ("forged",), (), rounds)


def test_node_selector() -> None:
    state = cluster(
        [node("a", "m5.xlarge"), node("b", "m5.xlarge")],
        [replace(pod("api", "b", 300, 1), node_selector={"disk": "ssd"})],
    )
    assert any("nodeSelector disk=ssd" in p for p in forged(state, delete("b", ("shop/api", "a"))))


def test_required_node_affinity() -> None:
    term = NodeSelectorTerm((Requirement(ZONE_KEY, "In", (ZONES[1],)),))
    state = cluster(
        [node("a", "m5.xlarge", ZONES[0]), node("b", "m5.xlarge", ZONES[1])],
        [replace(pod("api", "b", 300, 1), node_affinity=(term,))],
    )
    assert any("required node affinity" in p for p in forged(state, delete("b", ("shop/api", "a"))))


def test_untolerated_taint() -> None:
    tainted = replace(node("a", "m5.xlarge"), taints=(Taint("dedicated", "gpu", "NoSchedule"),))
    state = cluster([tainted, node("b", "m5.xlarge")], [pod("api", "b", 300, 1)])
    assert any("taint dedicated:NoSchedule" in p for p in forged(state, delete("b", ("shop/api", "a"))))


def test_cordoned_target() -> None:
    state = cluster(
        [replace(node("a", "m5.xlarge"), unschedulable=True), node("b", "m5.xlarge")], [pod("x", "b", 3, 1)]
    )
    assert any("node is cordoned" in p for p in forged(state, delete("b", ("shop/x", "a"))))


def test_persistent_volume_zone() -> None:
    state = cluster(
        [node("a", "m5.xlarge", ZONES[0]), node("b", "m5.xlarge", ZONES[1])],
        [replace(pod("db", "b", 300, 1), persistent_volume=True)],
    )
    assert any("persistent volume is in eu-west-1b" in p for p in forged(state, delete("b", ("shop/db", "a"))))


def test_required_anti_affinity_of_the_moved_pod() -> None:
    state = cluster(
        [node("a", "m5.xlarge"), node("b", "m5.xlarge")],
        [pod("web-1", "a", 300, 1, app="web"), pod("web-2", "b", 300, 1, app="web", anti_affinity=True)],
    )
    assert any("required anti-affinity" in p for p in forged(state, delete("b", ("shop/web-2", "a"))))


def test_required_anti_affinity_of_a_pod_already_there() -> None:
    state = cluster(
        [node("a", "m5.xlarge"), node("b", "m5.xlarge")],
        [pod("web-1", "a", 300, 1, app="web", anti_affinity=True), pod("web-2", "b", 300, 1, app="web")],
    )
    assert any("another pod's required anti-affinity" in p for p in forged(state, delete("b", ("shop/web-2", "a"))))


def test_required_pod_affinity() -> None:
    near_cache = AffinityTerm(LabelSelector((("app", "cache"),)), HOSTNAME_KEY, frozenset({"shop"}))
    state = cluster(
        [node("a", "m5.xlarge"), node("b", "m5.xlarge"), node("c", "m5.xlarge")],
        [
            pod("cache", "b", 300, 1, app="cache"),
            replace(pod("web", "c", 300, 1, app="web"), affinity=(near_cache,)),
            pod("other", "a", 300, 1),
        ],
    )
    assert any("required affinity" in p for p in forged(state, delete("c", ("shop/web", "a"))))


def test_hard_zone_topology_spread() -> None:
    spread = SpreadConstraint(1, ZONE_KEY, WEB, True)
    nodes = [node("a1", "m5.xlarge", ZONES[0]), node("a2", "m5.xlarge", ZONES[0])]
    nodes += [node("b1", "m5.xlarge", ZONES[1]), node("b2", "m5.xlarge", ZONES[1])]
    pods = [replace(pod(f"web-{i}", host, 300, 1, app="web"), spread=(spread,)) for i, host in enumerate(("a1", "b1"))]
    pods.append(pod("api", "b2", 3000, 12))  # zone b keeps a node, so it stays a domain of the spread
    state = cluster(nodes, pods)
    problems = forged(state, delete("b1", ("shop/web-1", "a2")))  # both replicas in zone a, none in b: skew 2 > 1
    assert any("topology spread on topology.kubernetes.io/zone: skew 2 > maxSkew 1" in p for p in problems)


def test_budget_allowing_no_disruption_and_the_rounds_an_action_states() -> None:
    pods = [pod(f"web-{i}", "b", 300, 1, app="web") for i in range(3)]
    nodes = [node("a", "m5.xlarge"), node("b", "m5.xlarge")]
    moves = [(f"shop/web-{i}", "a") for i in range(3)]
    none_left = cluster(nodes, pods, [Pdb("shop", "web", WEB, 0)])
    assert any("which allows no disruption" in p for p in forged(none_left, delete("b", *moves, rounds=3)))
    one_at_a_time = cluster(nodes, pods, [Pdb("shop", "web", WEB, 1)])
    assert forged(one_at_a_time, delete("b", *moves, rounds=3)) == []
    assert any("says 1 eviction round(s), its budgets need 3" in p for p in forged(one_at_a_time, delete("b", *moves)))


def test_extended_resource_on_an_existing_node() -> None:
    efa_pod = replace(pod("trainer", "b", 300, 1), requests=Resources(300, 2**30, 0, 1, ((EFA, 1),)))
    with_efa = replace(node("b", "m5.xlarge"), allocatable=node("b", "m5.xlarge").allocatable + Resources(
        extended=((EFA, 1),)))  # fmt: skip
    state = cluster([node("a", "m5.xlarge"), with_efa], [efa_pod])
    assert any("over capacity after it: vpc.amazonaws.com/efa needs 1 > 0" in p for p in forged(
        state, delete("b", ("shop/trainer", "a"))))  # fmt: skip


def test_extended_resource_on_a_new_node_the_catalogue_does_not_offer() -> None:
    efa_pod = replace(pod("trainer", "b", 300, 1), requests=Resources(300, 2**30, 0, 1, ((EFA, 1),)))
    with_efa = replace(node("b", "m5.2xlarge"), allocatable=node("b", "m5.2xlarge").allocatable + Resources(
        extended=((EFA, 1),)))  # fmt: skip
    state = cluster([with_efa], [efa_pod])
    launch = Replacement("m5.large", "on-demand", ZONES[0], 0.107)
    action = Action("replace", ("b",), launch, (Move("shop/trainer", "new:0"),), 0.3, ("forged",), (), 1)
    assert any("new:0 is over capacity after it: vpc.amazonaws.com/efa" in p for p in forged(state, action))


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (delete("zz", rounds=0), "node zz does not exist"),
        (delete("b", ("shop/api", "nowhere")), "moves to nowhere, which is not a live node"),
        (delete("b", ("shop/ghost", "a"), ("shop/api", "a")), "its moves do not match"),
        (
            Action("replace", ("b",), Replacement("x9.huge", "on-demand", ZONES[0], 0.01), (), 0.2, ("f",), (), 1),
            "replacement x9.huge is not in the catalogue",
        ),
    ],
)
def test_plans_that_name_what_is_not_there(action: Action, message: str) -> None:
    state = cluster([node("a", "m5.xlarge"), node("b", "m5.xlarge")], [pod("api", "b", 300, 1)])
    assert any(message in p for p in forged(state, action))


def test_a_pod_under_two_budgets() -> None:
    pdbs = [Pdb("shop", "one", WEB, 1), Pdb("shop", "two", WEB, 1)]
    state = cluster([node("a", "m5.xlarge"), node("b", "m5.xlarge")], [pod("web", "b", 300, 1, app="web")], pdbs)
    problems = forged(state, delete("b", ("shop/web", "a")))
    assert any("under 2 PodDisruptionBudgets" in p for p in problems)


def test_the_planner_honours_every_rule_it_is_checked_for() -> None:
    """The same clusters, planned: nothing to report (the forged plans above break what the planner keeps)."""
    spread = SpreadConstraint(1, ZONE_KEY, WEB, True)
    anti = AntiAffinityTerm(WEB, HOSTNAME_KEY, frozenset({"shop"}))
    pods: list[Pod] = [
        replace(pod(f"web-{i}", host, 300, 1, app="web"), spread=(spread,), anti_affinity=(anti,))
        for i, host in enumerate(("a1", "b"))
    ]
    pods.append(pod("api", "b2", 3000, 12))
    nodes = [node("a1", "m5.xlarge", ZONES[0]), node("a2", "m5.xlarge", ZONES[0])]
    state = cluster([*nodes, node("b", "m5.xlarge", ZONES[1]), node("b2", "m5.xlarge", ZONES[1])], pods)
    book = price_book()
    plan = plan_consolidation(state, book)
    assert validate_plan(state, plan, book) == []
    assert isinstance(plan, Plan) and plan.actions  # it does act, within the rules
