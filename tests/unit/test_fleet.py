import math

from hypothesis import given, settings
from hypothesis import strategies as st

from engines.spot.fleet import FleetPlan, FleetPolicy, capacity_after, plan_fleet
from engines.spot.offerings import build_offerings
from engines.spot.ranking import RankResult, rank_pools
from engines.spot.requirements import Requirements
from engines.spot.risk import get_strategy
from tests.unit.spot_factories import REGION, Market, market, markets

REQ = Requirements(vcpus=1, memory_gib=1)


def rank(m: Market, req: Requirements = REQ) -> RankResult:
    offerings = build_offerings(m.history, m.catalog, m.on_demand, m.advisor, m.at)
    return rank_pools(offerings, req, get_strategy(), m.at, REGION)


def wide_market() -> Market:
    pools = []
    for i, family in enumerate(["m5", "m6i", "c5", "c6i", "r5", "m5a", "m6a"]):
        for zone in ("eu-west-1a", "eu-west-1b", "eu-west-1c"):
            pools.append((f"{family}.xlarge", 4, 16.0, zone, 0.06 + 0.002 * i, 0.2, i % 3))
    return market(pools)


def test_plan_spreads_over_three_zones_caps_pools_and_keeps_a_buffer() -> None:
    plan = plan_fleet(rank(wide_market()), 20)
    assert plan.feasible
    assert len(plan.spot_zones()) >= 3
    assert max(plan.pool_counts().values()) <= 4
    assert len(plan.slots) - len(plan.spot_slots) >= 3
    assert all(s.reasons for s in plan.slots)


def test_no_safe_pool_means_all_on_demand_with_the_reason() -> None:
    m = market([("m5.xlarge", 4, 16, "eu-west-1a", 0.05, 0.2, 4), ("m5.xlarge", 4, 16, "eu-west-1b", 0.05, 0.2, 4)])
    plan = plan_fleet(rank(m), 5)
    assert plan.feasible and not plan.spot_slots
    assert any("On-Demand fallback" in r for r in plan.reasons)


def test_too_few_zones_falls_back_rather_than_concentrating() -> None:
    m = market([("m5.xlarge", 4, 16, "eu-west-1a", 0.05, 0.2, 0), ("m6i.xlarge", 4, 16, "eu-west-1b", 0.05, 0.2, 0)])
    plan = plan_fleet(rank(m), 10)
    assert not plan.spot_slots
    assert any("2 zone(s)" in r for r in plan.reasons)


def test_hysteresis_waits_before_reverting_to_spot() -> None:
    policy = FleetPolicy(revert_after_hours=2)
    assert capacity_after("on-demand", 0, 3600, policy)[0] == "on-demand"
    assert capacity_after("on-demand", 0, 2 * 3600, policy)[0] == "spot"
    assert capacity_after("spot", None, 0, policy)[0] == "on-demand"


policies = st.builds(
    FleetPolicy,
    min_azs=st.integers(1, 4),
    max_pool_share=st.sampled_from([0.1, 0.2, 0.34, 0.5, 1.0]),
    min_on_demand_share=st.sampled_from([0.0, 0.15, 0.3, 1.0]),
)


def assert_rules_hold(plan: FleetPlan, nodes: int, policy: FleetPolicy) -> None:
    assert len(plan.slots) == nodes
    spot = plan.spot_slots
    assert len(plan.slots) - len(spot) >= math.ceil(nodes * policy.min_on_demand_share - 1e-9)
    if spot:
        assert max(plan.pool_counts().values()) <= policy.pool_cap(nodes)
        assert len(plan.spot_zones()) >= min(policy.min_azs, len(spot))
        assert all(s.pool is not None and s.pool.offering.advisor.bucket <= 3 for s in spot)  # type: ignore[union-attr]


@settings(max_examples=200, deadline=None)
@given(markets(), st.integers(1, 60), policies)
def test_no_plan_breaks_its_diversification_rules(m: Market, nodes: int, policy: FleetPolicy) -> None:
    plan = plan_fleet(rank(m), nodes, policy)
    assert plan.feasible  # every market has at least one type fitting 1 vCPU / 1 GiB
    assert_rules_hold(plan, nodes, policy)


@settings(max_examples=100, deadline=None)
@given(markets(), st.integers(1, 40))
def test_plan_never_costs_more_than_all_on_demand(m: Market, nodes: int) -> None:
    result = rank(m)
    plan = plan_fleet(result, nodes)
    cheapest_od = result.compatible.cheapest_on_demand()
    assert cheapest_od is not None
    assert plan.hourly_cost() <= nodes * cheapest_od.on_demand_price + 1e-9
