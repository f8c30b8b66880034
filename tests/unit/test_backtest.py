import pytest

from engines.spot.backtest import BacktestResult, BacktestSettings, get_selector, run_backtest
from engines.spot.model import PoolKey
from engines.spot.requirements import Requirements
from tests.unit.spot_factories import HOUR, T0, Market, market, with_history

REQ = Requirements(vcpus=4, memory_gib=16)


def two_pool_market() -> Market:
    m = market([("m5.xlarge", 4, 16, "eu-west-1a", 0.05, 0.2, 3), ("m6i.xlarge", 4, 16, "eu-west-1b", 0.06, 0.2, 0)])
    # m5.xlarge jumps 10% 6 h into day 8, then falls back at 18 h.
    day8 = T0 + 8 * 24 * HOUR
    return with_history(
        m, PoolKey("m5.xlarge", "eu-west-1a"), [(T0, 0.05), (day8 + 6 * HOUR, 0.055), (day8 + 18 * HOUR, 0.05)]
    )


def run(policy: str, m: Market, **kw: float) -> BacktestResult:
    s = BacktestSettings(nodes=2, start=T0 + 7 * 24 * HOUR, end=T0 + 9 * 24 * HOUR, **kw)
    return run_backtest(policy, get_selector(policy), m.history, m.catalog, m.on_demand, m.advisor, REQ, s)


def test_cheapest_holds_the_cheapest_pool_and_pays_the_actual_price() -> None:
    result = run("cheapest", two_pool_market())
    assert result.node_hours == 96
    # day 7: 24 h at 0.05; day 8: 6 h at 0.05, 12 h at 0.055, 6 h at 0.05; two nodes.
    assert result.spot_cost == pytest.approx(2 * (24 * 0.05 + 12 * 0.05 + 12 * 0.055))
    assert result.on_demand_cost == pytest.approx(96 * 0.2)
    assert result.instability_events == 1


def test_lowest_advisor_risk_avoids_the_unstable_pool() -> None:
    result = run("lowest-advisor-risk", two_pool_market())
    assert result.instability_events == 0
    assert result.spot_cost == pytest.approx(96 * 0.06)


def test_a_rise_after_the_window_is_not_an_event() -> None:
    m = market([("m5.xlarge", 4, 16, "eu-west-1a", 0.05, 0.2, 0)])
    m = with_history(m, PoolKey("m5.xlarge", "eu-west-1a"), [(T0, 0.05), (T0 + 7 * 24 * HOUR + 13 * HOUR, 0.06)])
    assert run("cheapest", m).instability_events == 0


def test_unknown_policy_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="cheapest"):
        get_selector("random")


def test_end_before_start_is_refused() -> None:
    m = two_pool_market()
    s = BacktestSettings(nodes=1, start=T0 + 10, end=T0)
    with pytest.raises(ValueError, match="after its start"):
        run_backtest("cheapest", get_selector("cheapest"), m.history, m.catalog, m.on_demand, m.advisor, REQ, s)
