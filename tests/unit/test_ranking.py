import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from engines.spot.model import InstanceType, OnDemandPrices, PoolKey
from engines.spot.offerings import build_offerings
from engines.spot.ranking import REJECTED_BUCKET_REASON, rank_pools
from engines.spot.requirements import Requirements
from engines.spot.risk import get_strategy
from tests.unit.spot_factories import REGION, Market, market, markets

REQ = Requirements(vcpus=4, memory_gib=16)


def ranked(m: Market, req: Requirements = REQ, exclusions: dict[PoolKey, str] | None = None):  # type: ignore[no-untyped-def]
    offerings = build_offerings(m.history, m.catalog, m.on_demand, m.advisor, m.at)
    return rank_pools(offerings, req, get_strategy(), m.at, REGION, exclusions=exclusions)


def test_bucket_over_20_percent_is_rejected_whatever_the_price() -> None:
    m = market([("m5.xlarge", 4, 16, "eu-west-1a", 0.01, 0.2, 4), ("m6i.xlarge", 4, 16, "eu-west-1a", 0.08, 0.2, 0)])
    result = ranked(m)
    assert [p.offering.instance_type for p in result.pools] == ["m6i.xlarge"]
    assert any(r.instance_type == "m5.xlarge" and r.reason == REJECTED_BUCKET_REASON for r in result.rejected)


def test_spot_dearer_than_the_cheapest_on_demand_fit_is_rejected() -> None:
    m = market([("m5.xlarge", 4, 16, "eu-west-1a", 0.05, 0.19, 0), ("r5.xlarge", 4, 32, "eu-west-1a", 0.20, 0.25, 0)])
    result = ranked(m)
    assert [p.offering.instance_type for p in result.pools] == ["m5.xlarge"]
    assert "not below the cheapest On-Demand fit" in next(
        r.reason for r in result.rejected if r.instance_type == "r5.xlarge"
    )


def test_cheaper_exact_fit_beats_a_larger_node_of_same_risk() -> None:
    m = market([("m5.xlarge", 4, 16, "eu-west-1a", 0.07, 0.2, 1), ("m5.2xlarge", 8, 32, "eu-west-1a", 0.10, 0.4, 1)])
    result = ranked(m)
    assert result.pools[0].offering.instance_type == "m5.xlarge"
    assert result.pools[1].unused_share == pytest.approx(0.5)


def test_lower_risk_can_beat_a_slightly_cheaper_pool() -> None:
    m = market([("m5.xlarge", 4, 16, "eu-west-1a", 0.060, 0.2, 3), ("m6i.xlarge", 4, 16, "eu-west-1a", 0.065, 0.2, 0)])
    assert ranked(m).pools[0].offering.instance_type == "m6i.xlarge"


def test_exclusions_carry_their_reason() -> None:
    m = market([("m5.xlarge", 4, 16, "eu-west-1a", 0.07, 0.2, 0), ("m5.xlarge", 4, 16, "eu-west-1b", 0.07, 0.2, 0)])
    result = ranked(m, exclusions={PoolKey("m5.xlarge", "eu-west-1a"): "flagged by the hive mind"})
    assert [p.offering.availability_zone for p in result.pools] == ["eu-west-1b"]
    assert any(r.reason == "flagged by the hive mind" for r in result.rejected)


def test_missing_on_demand_price_is_derived_and_said() -> None:
    m = market([("m5.xlarge", 4, 16, "eu-west-1a", 0.06, 0.2, 0)])
    m = Market(m.catalog, m.history, OnDemandPrices({}), m.advisor, m.at)
    pool = ranked(m).pools[0]
    assert pool.offering.on_demand_price == pytest.approx(0.06 / (1 - 0.70))
    assert any("derived from the Spot price and Spot Advisor" in r for r in pool.reasons)


def test_requirements_reject_inconsistent_bounds() -> None:
    with pytest.raises(ValidationError, match="max_vcpus"):
        Requirements(vcpus=8, memory_gib=1, max_vcpus=4)


def test_requirements_explain_mismatch() -> None:
    t = InstanceType("g5.xlarge", 4, 16, "x86_64", gpus=1)
    assert Requirements(vcpus=4, memory_gib=16).mismatch(t) == "GPU type (1 GPUs) and no GPU was asked for"
    assert Requirements(vcpus=8, memory_gib=16).mismatch(t) == "4 vCPUs, 8 required"
    assert Requirements(vcpus=4, memory_gib=16, gpus=1, blocked_families=frozenset({"g5"})).mismatch(t) == (
        "family g5 is blocked by policy"
    )


requirements = st.builds(
    Requirements,
    vcpus=st.sampled_from([1, 2, 4, 8]),
    memory_gib=st.sampled_from([1, 4, 8, 16, 32]),
    arch=st.sampled_from([None, "x86_64", "arm64"]),
)


@settings(max_examples=150, deadline=None)
@given(markets(), requirements)
def test_every_ranked_pool_meets_requirements_and_is_safe(m: Market, req: Requirements) -> None:
    result = ranked(m, req)
    for pool in result.pools:
        assert req.mismatch(pool.offering.instance) is None
        assert pool.offering.advisor is None or pool.offering.advisor.bucket <= 3
        assert 0.0 <= pool.risk.value <= 1.0
        assert 0.0 <= pool.yield_score <= 100.0
        assert pool.reasons
    assert [p.yield_score for p in result.pools] == sorted((p.yield_score for p in result.pools), reverse=True)


@settings(max_examples=150, deadline=None)
@given(markets(), requirements)
def test_every_pool_is_either_ranked_or_rejected_with_a_reason(m: Market, req: Requirements) -> None:
    result = ranked(m, req)
    assert all(r.reason.strip() for r in result.rejected)
    ranked_keys = {p.offering.key for p in result.pools}
    rejected_keys = {PoolKey(r.instance_type, r.availability_zone) for r in result.rejected}
    assert ranked_keys | rejected_keys == set(m.history.series)
    assert not ranked_keys & rejected_keys


@settings(max_examples=100, deadline=None)
@given(markets())
def test_risk_parts_add_up_to_the_score(m: Market) -> None:
    for pool in ranked(m, Requirements(vcpus=1, memory_gib=1)).pools:
        assert pool.risk.value == pytest.approx(sum(p.contribution for p in pool.risk.parts))


def test_a_pool_that_moved_ten_percent_in_a_week_is_rejected() -> None:
    from tests.unit.spot_factories import HOUR, with_history

    m = market([("m5.xlarge", 4, 16, "eu-west-1a", 0.07, 0.2, 0), ("m6i.xlarge", 4, 16, "eu-west-1a", 0.08, 0.2, 0)])
    climbing = [(m.at - 72 * HOUR, 0.060), (m.at - 24 * HOUR, 0.070)]
    result = ranked(with_history(m, PoolKey("m5.xlarge", "eu-west-1a"), climbing))
    assert [p.offering.instance_type for p in result.pools] == ["m6i.xlarge"]
    reason = next(r.reason for r in result.rejected if r.instance_type == "m5.xlarge")
    assert "moved" in reason and "within 7 days" in reason


def test_previous_generation_is_left_out_unless_allowed() -> None:
    old = InstanceType("m4.xlarge", 4, 16, "x86_64", current_generation=False)
    assert Requirements(vcpus=4, memory_gib=16).mismatch(old) == (
        "previous-generation type (AWS no longer lists it as current)"
    )
    assert Requirements(vcpus=4, memory_gib=16, allow_previous_generation=True).mismatch(old) is None
