"""Escalation over interruption records, proactive decisions and evidence-weighted feedback: properties."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from engines.interruption.feedback import (
    FULL_EVIDENCE_HOURS,
    MAX_WEIGHT,
    MIN_EVIDENCE_HOURS,
    PoolEvidence,
    evidence_weight,
    pool_feedback,
)
from engines.interruption.hive import (
    ESCALATION_WINDOW_SECONDS,
    FLAG_TTL_SECONDS,
    Escalation,
    HivePool,
    escalation,
    new_flag,
    new_record,
    verdicts_for,
)
from engines.interruption.proactive import ClusterStance, PoolNode, ProactiveCode, budget_nodes, plan_proactive

POOL = HivePool("eu-west-1", "euw1-az1", "m5.large")
T = 1_700_000_000
tenants = st.sampled_from(["a", "b", "c", "d", "e"])
ages = st.integers(min_value=0, max_value=2 * ESCALATION_WINDOW_SECONDS)


@given(st.lists(st.tuples(tenants, ages), max_size=30))
def test_escalation_counts_distinct_customers_in_the_window_once_each(events: list[tuple[str, int]]) -> None:
    records = [new_record(POOL, tenant, T - age) for tenant, age in events]
    level = escalation(records, POOL, T)
    inside = {tenant for tenant, age in events if age < ESCALATION_WINDOW_SECONDS}
    assert level.customers == len(inside)
    expected = "NORMAL" if len(inside) <= 1 else "UNCERTAIN" if len(inside) == 2 else "CONFIRMED_RISKY"
    assert level.level == expected
    assert level.risk_bump == {"NORMAL": 0.0, "UNCERTAIN": 0.10, "CONFIRMED_RISKY": 0.20}[expected]
    assert level.interruptions == sum(1 for _, age in events if age < ESCALATION_WINDOW_SECONDS)


def test_records_keep_the_full_sixty_minute_window_where_flags_expire_after_thirty() -> None:
    # three customers interrupted 45, 40 and 35 minutes ago: their flags are gone, their records are not
    ago = [45 * 60, 40 * 60, 35 * 60]
    flags = [new_flag(POOL, t, T - a) for t, a in zip("abc", ago, strict=True)]
    records = [new_record(POOL, t, T - a) for t, a in zip("abc", ago, strict=True)]
    assert all(not f.active(T) for f in flags)
    assert escalation([f for f in flags if f.active(T)], POOL, T).level == "NORMAL"
    confirmed = escalation(records, POOL, T)
    assert confirmed.level == "CONFIRMED_RISKY"
    assert confirmed.expires_at == T - 45 * 60 + ESCALATION_WINDOW_SECONDS  # the oldest customer leaves first
    verdict = verdicts_for("me", [], T, records=records)[POOL]
    assert verdict.exclude and verdict.risk_bump == 0.20
    assert FLAG_TTL_SECONDS < ESCALATION_WINDOW_SECONDS


@given(st.floats(min_value=0, max_value=2e6), st.floats(min_value=0, max_value=2e6))
def test_evidence_weight_is_zero_below_the_floor_monotone_and_capped(a: float, b: float) -> None:
    low, high = sorted((a, b))
    assert 0.0 <= evidence_weight(low) <= evidence_weight(high) <= MAX_WEIGHT
    if low < MIN_EVIDENCE_HOURS:
        assert evidence_weight(low) == 0.0
    if high >= FULL_EVIDENCE_HOURS:
        assert evidence_weight(high) == MAX_WEIGHT


@given(
    st.floats(min_value=0, max_value=2e6),
    st.integers(min_value=0, max_value=100_000),
    st.floats(min_value=0, max_value=1),
)
def test_feedback_moves_risk_toward_the_observed_rate_by_at_most_its_weight(
    hours: float, interruptions: int, risk: float
) -> None:
    fb = pool_feedback(PoolEvidence(POOL.key, hours, interruptions))
    adjusted = fb.adjust(risk)
    assert 0.0 <= adjusted <= 1.0
    assert min(risk, fb.observed) - 1e-9 <= adjusted <= max(risk, fb.observed) + 1e-9
    assert abs(adjusted - risk) <= fb.weight + 1e-9
    assert fb.reason.startswith("feedback: ")


def _confirmed() -> Escalation:
    return Escalation(POOL, "CONFIRMED_RISKY", 3, 0.2, ("three customers",))


instance_ids = st.text("0123456789", min_size=1, max_size=3).map(lambda s: f"i-{s}")
nodes_strategy = st.lists(
    st.builds(PoolNode, tenants, st.sampled_from(["prod", "dev"]), instance_ids, st.just("n")),
    max_size=25,
    unique_by=lambda n: n.instance_id,
)
stance_strategy = st.builds(
    ClusterStance,
    st.sampled_from(["off", "recommend", "automatic"]),
    st.booleans(),
    st.one_of(st.integers(0, 4), st.sampled_from(["0%", "10%", "50%", "100%"])),
    st.integers(0, 30),
)


@given(
    nodes_strategy,
    st.dictionaries(st.tuples(tenants, st.sampled_from(["prod", "dev"])), stance_strategy),
    st.frozensets(tenants, max_size=3),
    st.data(),
)
def test_proactive_work_never_touches_interrupted_tenants_draining_nodes_or_exceeds_budgets(
    nodes: list[PoolNode],
    stances: dict[tuple[str, str], ClusterStance],
    interrupted: frozenset[str],
    data: st.DataObject,
) -> None:
    draining = frozenset(data.draw(st.sets(st.sampled_from([n.instance_id for n in nodes]))) if nodes else set())
    decisions = plan_proactive(_confirmed(), nodes, stances, interrupted, draining)
    assert sorted(d.node for d in decisions) == sorted(nodes)  # every node decided, once
    started = [d for d in decisions if d.action == "start"]
    for d in started:
        stance = stances[(d.node.tenant_id, d.node.cluster)]
        assert d.node.tenant_id not in interrupted and d.node.instance_id not in draining
        assert stance.automation == "automatic" and stance.window_open
    for key, stance in stances.items():
        busy = sum(1 for n in nodes if (n.tenant_id, n.cluster) == key and n.instance_id in draining)
        mine = sum(1 for d in started if (d.node.tenant_id, d.node.cluster) == key)
        assert mine <= max(0, budget_nodes(stance.max_nodes, stance.cluster_nodes) - busy)
    for d in decisions:
        if d.node.tenant_id in interrupted:
            assert d.code is ProactiveCode.INTERRUPTED_HERE


@given(nodes_strategy)
def test_nothing_proactive_below_confirmed_risky(nodes: list[PoolNode]) -> None:
    uncertain = Escalation(POOL, "UNCERTAIN", 2, 0.1, ("two customers",))
    stances = {(n.tenant_id, n.cluster): ClusterStance("automatic", True, 100, 100) for n in nodes}
    assert all(d.action == "skip" for d in plan_proactive(uncertain, nodes, stances, frozenset(), frozenset()))
