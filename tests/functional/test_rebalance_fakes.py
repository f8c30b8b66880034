"""RebalancePool with in-memory fakes: one pool, three interrupted customers, a fourth running nodes there."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from cloudoptim.interruptions.ports import NodeRecord
from cloudoptim.interruptions.rebalance import RebalanceDeps, rebalance_pool
from cloudoptim.tenancy.policy import ClusterPolicy
from engines.interruption.hive import Escalation, HivePool, new_record
from tests.fakes.aws import FakeExecutions, FakeIdempotency
from tests.fakes.hive import FakeHiveMind

POOL = HivePool("eu-west-1", "euw1-az1", "m5.large")
NOW = 1_764_470_000
ALWAYS_OPEN = {
    "timezone": "UTC",
    "windows": [{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00", "end": "00:00"}],
}


@dataclass
class FakePoolNodes:
    nodes: list[NodeRecord] = field(default_factory=list)

    def nodes_in_pool(self, pool: HivePool) -> Sequence[NodeRecord]:
        return [
            n
            for n in self.nodes
            if (n.region, n.az_id, n.instance_type) == (pool.region, pool.az_id, pool.instance_type)
        ]


@dataclass
class FakePolicies:
    policies: dict[tuple[str, str], ClusterPolicy] = field(default_factory=dict)

    safe: set[str] = field(default_factory=set)

    def policy(self, tenant_id: str, cluster: str) -> ClusterPolicy:
        return self.policies.get((tenant_id, cluster), ClusterPolicy())

    def safe_mode(self, tenant_id: str) -> bool:
        return tenant_id in self.safe


@dataclass
class FakeRecommendations:
    stored: dict[tuple[str, str], Mapping[str, object]] = field(default_factory=dict)

    def recommend(self, tenant_id: str, key: str, body: Mapping[str, object], now: int) -> bool:
        if (tenant_id, key) in self.stored:
            return False
        self.stored[(tenant_id, key)] = body
        return True


def node(tenant: str, instance: str, pool: HivePool = POOL) -> NodeRecord:
    return NodeRecord(
        instance,
        tenant,
        "prod",
        f"node-{instance}",
        "workers",
        pool.region,
        "eu-west-1a",
        pool.az_id,
        pool.instance_type,
        seen_at=NOW - 1200,  # the last hourly discovery
    )


def automatic(max_nodes: int | str = 10) -> ClusterPolicy:
    return ClusterPolicy.model_validate(
        {
            "automation": {"spot": "automatic"},
            "maintenance_windows": ALWAYS_OPEN,
            "disruption_budget": {"max_nodes": max_nodes},
        }
    )


@dataclass
class FakeAlerts:
    told: list[tuple[str, str, list[str]]] = field(default_factory=list)

    def escalated(self, tenant_id: str, level: Escalation, nodes: Sequence[NodeRecord]) -> None:
        self.told.append((tenant_id, level.level, sorted(n.instance_id for n in nodes)))


@dataclass
class World:
    hive: FakeHiveMind = field(default_factory=FakeHiveMind)
    nodes: FakePoolNodes = field(default_factory=FakePoolNodes)
    policies: FakePolicies = field(default_factory=FakePolicies)
    idempotency: FakeIdempotency = field(default_factory=FakeIdempotency)
    executions: FakeExecutions = field(default_factory=FakeExecutions)
    recommendations: FakeRecommendations = field(default_factory=FakeRecommendations)
    alerts: FakeAlerts = field(default_factory=FakeAlerts)

    def deps(self) -> RebalanceDeps:
        return RebalanceDeps(
            self.hive, self.nodes, self.policies, self.idempotency, self.executions, self.recommendations, self.alerts
        )


def world(interrupted: Sequence[str] = ("a", "b", "c")) -> World:
    w = World()
    for i, tenant in enumerate(interrupted):
        w.hive.record(new_record(POOL, tenant, NOW - 600 + i * 60), f"e-{tenant}")
        w.nodes.nodes.append(node(tenant, f"i-{tenant}1"))  # interrupted customers still run nodes there
    w.nodes.nodes += [
        node("d", "i-d1"),
        node("d", "i-d2"),
        node("d", "i-d3"),
        node("d", "i-elsewhere", HivePool("eu-west-1", "euw1-az2", "m5.large")),
    ]
    return w


def started_instances(w: World) -> list[str]:
    return sorted(str(payload["instance_id"]) for _, payload in w.executions.started.items())


def test_confirmed_risky_starts_replace_then_drain_for_the_fourth_customer_only() -> None:
    w = world()
    w.policies.policies[("d", "prod")] = automatic()
    result = rebalance_pool(POOL, w.deps(), NOW)
    assert result.escalation.level == "CONFIRMED_RISKY"
    assert started_instances(w) == ["i-d1", "i-d2", "i-d3"]  # not the interrupted customers', not another pool's
    assert all(payload["kind"] == "rebalance" for payload in w.executions.started.values())
    assert w.recommendations.stored == {}
    again = rebalance_pool(POOL, w.deps(), NOW + 5)  # a second notice hands the pool over again
    assert again.started == () and {d.code.value for d in again.decisions if d.node.tenant_id == "d"} == {
        "being-drained"
    }


def test_a_tenant_in_safe_mode_gets_its_proactive_workflows_dry() -> None:
    w = world()
    w.policies.policies[("d", "prod")] = automatic()
    rebalance_pool(POOL, w.deps(), NOW)
    assert {p["dry_run"] for p in w.executions.started.values()} == {False}
    safe = world()
    safe.policies.policies[("d", "prod")] = automatic()
    safe.policies.safe.add("d")
    rebalance_pool(POOL, safe.deps(), NOW)
    assert started_instances(safe) == ["i-d1", "i-d2", "i-d3"]  # decided and recorded as before
    assert {p["dry_run"] for p in safe.executions.started.values()} == {True}  # and nothing is changed


def test_a_node_no_discovery_saw_lately_is_left_out_not_replaced() -> None:
    w = world()
    w.policies.policies[("d", "prod")] = automatic()
    w.nodes.nodes += [
        replace(node("d", "i-gone"), seen_at=NOW - 4 * 3600),  # terminated since: discovery stopped seeing it
        replace(node("d", "i-unknown"), seen_at=None),  # never seen by a discovery
    ]
    result = rebalance_pool(POOL, w.deps(), NOW)
    assert started_instances(w) == ["i-d1", "i-d2", "i-d3"]
    assert result.stale == ("i-gone", "i-unknown")


def test_every_tenant_with_nodes_in_a_confirmed_pool_is_told_once_per_run_with_its_own_nodes_only() -> None:
    w = world()
    rebalance_pool(POOL, w.deps(), NOW)
    assert w.alerts.told == [
        ("a", "CONFIRMED_RISKY", ["i-a1"]),
        ("b", "CONFIRMED_RISKY", ["i-b1"]),
        ("c", "CONFIRMED_RISKY", ["i-c1"]),
        ("d", "CONFIRMED_RISKY", ["i-d1", "i-d2", "i-d3"]),  # not i-elsewhere: another pool
    ]
    quiet = world(interrupted=("a", "b"))  # UNCERTAIN: nobody is alerted
    rebalance_pool(POOL, quiet.deps(), NOW)
    assert quiet.alerts.told == []


def test_a_node_already_being_drained_is_left_alone_and_counts_against_the_budget() -> None:
    w = world()
    w.policies.policies[("d", "prod")] = automatic(max_nodes=2)
    w.idempotency.claim("INSTANCE#i-d1#replace", NOW - 30, 3600, owner="an-interruption")
    w.idempotency.complete("INSTANCE#i-d1#replace")  # as ingest does once its workflow started
    result = rebalance_pool(POOL, w.deps(), NOW)
    assert started_instances(w) == ["i-d2"]  # budget 2: one already draining, one started
    codes = {d.node.instance_id: d.code.value for d in result.decisions}
    assert codes["i-d1"] == "being-drained" and codes["i-d3"] == "over-budget"
    assert "INSTANCE#i-d3#replace" not in w.idempotency.claims  # its guard was given back
    [(tenant, _)] = w.recommendations.stored
    assert tenant == "d"


def test_recommend_policy_writes_the_evidence_without_other_customers_identity() -> None:
    w = world()  # default policy: recommend
    result = rebalance_pool(POOL, w.deps(), NOW)
    assert w.executions.started == {} and len(result.recommended) == 1
    [body] = w.recommendations.stored.values()
    assert body["level"] == "CONFIRMED_RISKY" and body["evidence"] == {
        "customers": 3,
        "interruptions": 3,
        "window_minutes": 60,
        "level_expires_at": NOW - 600 + 3600,
    }
    assert all(t not in str(body) for t in ('"a"', "'a'", "'b'", "'c'"))
    assert rebalance_pool(POOL, w.deps(), NOW + 5).recommended == ()  # one recommendation per level


def test_two_customers_are_not_enough() -> None:
    w = world(("a", "b"))
    w.policies.policies[("d", "prod")] = automatic()
    result = rebalance_pool(POOL, w.deps(), NOW)
    assert result.escalation.level == "UNCERTAIN" and w.executions.started == {} and w.idempotency.claims == {}
