"""The Spot engine with the model's probabilities as risk: used where given, heuristic elsewhere, gated at 0.85."""

from __future__ import annotations

import pytest

from engines.spot.backtest import BacktestSettings, get_selector, run_backtest
from engines.spot.model import PoolKey
from engines.spot.offerings import build_offerings
from engines.spot.ranking import rank_pools
from engines.spot.requirements import Requirements
from engines.spot.risk import get_strategy
from tests.unit.spot_factories import REGION, T0, market

REQ = Requirements(vcpus=4, memory_gib=16)
POOLS = [
    ("m5.xlarge", 4, 16.0, "eu-west-1a", 0.07, 0.2, 1),
    ("m5.xlarge", 4, 16.0, "eu-west-1b", 0.07, 0.2, 1),
    ("m6i.xlarge", 4, 16.0, "eu-west-1a", 0.06, 0.2, 1),
]


def rank_with(probabilities: dict[PoolKey, float]):  # type: ignore[no-untyped-def]
    m = market(POOLS)
    offerings = build_offerings(m.history, m.catalog, m.on_demand, m.advisor, m.at)
    strategy = get_strategy("model", {"probabilities": probabilities, "model": "test-model"})
    return rank_pools(offerings, REQ, strategy, m.at, REGION)


def test_the_models_probability_is_the_risk_and_the_reasons_say_so() -> None:
    result = rank_with({PoolKey("m5.xlarge", "eu-west-1a"): 0.02, PoolKey("m6i.xlarge", "eu-west-1a"): 0.5})
    by_key = {p.offering.key: p for p in result.pools}
    scored = by_key[PoolKey("m5.xlarge", "eu-west-1a")]
    assert scored.risk.value == pytest.approx(0.02) and scored.risk.source == "model"
    assert any("model test-model" in r for r in scored.reasons)
    assert by_key[PoolKey("m6i.xlarge", "eu-west-1a")].risk.value == pytest.approx(0.5)


def test_pools_without_a_probability_fall_back_to_the_heuristic_and_say_so() -> None:
    result = rank_with({PoolKey("m5.xlarge", "eu-west-1a"): 0.02})
    fallback = next(p for p in result.pools if p.offering.key == PoolKey("m5.xlarge", "eu-west-1b"))
    assert fallback.risk.strategy == "seed-weighted" and fallback.risk.source == "heuristic"
    assert "heuristic used" in fallback.reasons[2]


def test_probability_above_085_is_rejected_and_at_085_kept() -> None:
    result = rank_with({PoolKey("m5.xlarge", "eu-west-1a"): 0.86, PoolKey("m6i.xlarge", "eu-west-1a"): 0.85})
    kept = {p.offering.key for p in result.pools}
    assert PoolKey("m6i.xlarge", "eu-west-1a") in kept and PoolKey("m5.xlarge", "eu-west-1a") not in kept
    reason = next(
        r.reason for r in result.rejected if r.instance_type == "m5.xlarge" and r.availability_zone[-1] == "a"
    )
    assert reason == "model probability 0.86 is above the 0.85 limit"


def test_the_model_strategy_refuses_to_run_without_probabilities() -> None:
    with pytest.raises(ValueError, match="probabilities"):
        get_strategy("model")


def test_the_model_backtest_policy_avoids_the_pool_the_model_flags() -> None:
    m = market(POOLS)
    settings = BacktestSettings(nodes=2, start=T0 + 7 * 86400, end=T0 + 9 * 86400)
    flagged = PoolKey("m6i.xlarge", "eu-west-1a")
    times = range(settings.start, settings.end, 86400)
    probabilities = {at: {flagged: 0.95, PoolKey("m5.xlarge", "eu-west-1a"): 0.01} for at in times}
    selector = get_selector("model", {"probabilities": probabilities, "model": "test-model"})
    result = run_backtest("model", selector, m.history, m.catalog, m.on_demand, m.advisor, REQ, settings)
    cheapest = run_backtest(
        "cheapest", get_selector("cheapest"), m.history, m.catalog, m.on_demand, m.advisor, REQ, settings
    )
    assert result.spot_cost > cheapest.spot_cost  # the cheap m6i pool was never held
    assert result.node_hours == pytest.approx(2 * 48)
    with pytest.raises(ValueError, match="probabilities"):
        get_selector("model")
