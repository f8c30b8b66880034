"""Proactive rebalancing (S6): once a pool is CONFIRMED_RISKY, the other customers running there move out first.

Each node of another customer gets one decision with its reason: `start` (replace then drain, within the cluster's
disruption budget and maintenance window, automation `automatic`), `recommend` (the policy asks for a
recommendation, or automatic work is outside its window or budget) or `skip` (the level is not confirmed, the
customer was itself interrupted in the pool and is already moving, the node is already being replaced or drained,
automation is off).

>>> from engines.interruption.hive import Escalation, HivePool
>>> risky = Escalation(HivePool("eu-west-1", "euw1-az1", "m5.large"), "CONFIRMED_RISKY", 3, 0.2, ("3 customers",))
>>> nodes = [PoolNode("d", "prod", "i-1", "n1"), PoolNode("a", "prod", "i-2", "n2")]
>>> stances = {("d", "prod"): ClusterStance("automatic", True, 1, 4)}
>>> [(d.node.tenant_id, d.action) for d in plan_proactive(risky, nodes, stances, frozenset({"a"}), frozenset())]
[('a', 'skip'), ('d', 'start')]
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from engines.interruption.hive import Escalation

Automation = Literal["off", "recommend", "automatic"]
Action = Literal["start", "recommend", "skip"]


@dataclass(frozen=True, slots=True, order=True)
class PoolNode:
    """Another customer's node running in the risky pool."""

    tenant_id: str
    cluster: str
    instance_id: str
    node_name: str


@dataclass(frozen=True, slots=True)
class ClusterStance:
    """What one cluster's policy allows at this moment."""

    automation: Automation
    window_open: bool
    max_nodes: int | str  # the disruption budget: a count or a percentage ("10%")
    cluster_nodes: int  # what a percentage applies to


class ProactiveCode(StrEnum):
    START = "start"
    RECOMMEND_BY_POLICY = "recommend-by-policy"
    OUTSIDE_WINDOW = "outside-window"
    OVER_BUDGET = "over-budget"
    NOT_CONFIRMED = "not-confirmed"
    INTERRUPTED_HERE = "interrupted-here"
    BEING_DRAINED = "being-drained"
    AUTOMATION_OFF = "automation-off"


_ACTIONS: Mapping[ProactiveCode, Action] = {
    ProactiveCode.START: "start",
    ProactiveCode.RECOMMEND_BY_POLICY: "recommend",
    ProactiveCode.OUTSIDE_WINDOW: "recommend",
    ProactiveCode.OVER_BUDGET: "recommend",
}


@dataclass(frozen=True, slots=True)
class ProactiveDecision:
    node: PoolNode
    code: ProactiveCode
    reason: str

    @property
    def action(self) -> Action:
        return _ACTIONS.get(self.code, "skip")


def budget_nodes(max_nodes: int | str, cluster_nodes: int) -> int:
    """Nodes one cluster may have disrupted at once; a percentage rounds up, as Karpenter's budgets do.

    >>> budget_nodes(2, 50), budget_nodes("10%", 11), budget_nodes("0%", 11)
    (2, 2, 0)
    """
    if isinstance(max_nodes, int):
        return max_nodes
    return math.ceil(int(max_nodes.rstrip("%")) * max(0, cluster_nodes) / 100)


def plan_proactive(
    escalation: Escalation,
    nodes: Iterable[PoolNode],
    stances: Mapping[tuple[str, str], ClusterStance],
    interrupted: frozenset[str],
    draining: frozenset[str],
) -> tuple[ProactiveDecision, ...]:
    """One decision per node, in node order. `interrupted`: tenants with records in the window (their own workflows
    handle them); `draining`: instances already being replaced or drained (they count against the budget)."""
    ordered = sorted(set(nodes))
    used: dict[tuple[str, str], int] = {}
    for node in ordered:
        if node.instance_id in draining:
            key = (node.tenant_id, node.cluster)
            used[key] = used.get(key, 0) + 1
    evidence = f"{escalation.pool.key} is {escalation.level}: {escalation.customers} customer(s) interrupted there"
    decisions = []
    for node in ordered:
        decision = _decide(node, escalation, stances, interrupted, draining, used, evidence)
        if decision.code is ProactiveCode.START:
            key = (node.tenant_id, node.cluster)
            used[key] = used.get(key, 0) + 1
        decisions.append(decision)
    return tuple(decisions)


def _decide(
    node: PoolNode,
    escalation: Escalation,
    stances: Mapping[tuple[str, str], ClusterStance],
    interrupted: frozenset[str],
    draining: frozenset[str],
    used: Mapping[tuple[str, str], int],
    evidence: str,
) -> ProactiveDecision:
    def decided(code: ProactiveCode, why: str) -> ProactiveDecision:
        return ProactiveDecision(node, code, f"{why} ({evidence})")

    if escalation.level != "CONFIRMED_RISKY":
        return decided(ProactiveCode.NOT_CONFIRMED, "not confirmed risky: nothing proactive")
    if node.tenant_id in interrupted:
        return decided(ProactiveCode.INTERRUPTED_HERE, "this customer was interrupted here: its own workflows move it")
    if node.instance_id in draining:
        return decided(ProactiveCode.BEING_DRAINED, "already being replaced or drained")
    stance = stances.get((node.tenant_id, node.cluster))
    if stance is None or stance.automation == "off":
        return decided(ProactiveCode.AUTOMATION_OFF, "the cluster's Spot automation is off")
    if stance.automation == "recommend":
        return decided(ProactiveCode.RECOMMEND_BY_POLICY, "the policy asks for a recommendation: replace then drain")
    if not stance.window_open:
        return decided(ProactiveCode.OUTSIDE_WINDOW, "automatic, but outside every maintenance window: recommended")
    budget = budget_nodes(stance.max_nodes, stance.cluster_nodes)
    if used.get((node.tenant_id, node.cluster), 0) >= budget:
        return decided(ProactiveCode.OVER_BUDGET, f"automatic, but the disruption budget ({budget} node(s)) is used")
    return decided(ProactiveCode.START, "replace then drain before the pool interrupts it")
