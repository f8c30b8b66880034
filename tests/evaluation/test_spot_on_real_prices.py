"""The Spot engine on eu-west-1, Dec 2021 - Mar 2022 (skipped when ../shared/data is absent).

Regression guards for what the closing note reports; the figures themselves come from benchmarks/.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from cloudoptim.adapters.day_zero import CATALOG_FILE, ON_DEMAND_FILE, shipped_data_dir
from cloudoptim.adapters.pricing_files import load_catalog, load_on_demand, load_price_history, load_spot_advisor
from engines.spot.backtest import BacktestSettings, get_selector, run_backtest
from engines.spot.fleet import plan_fleet
from engines.spot.model import Catalog, OnDemandPrices, PoolKey, PriceHistory, SpotAdvisor
from engines.spot.offerings import build_offerings
from engines.spot.ranking import rank_pools
from engines.spot.requirements import Requirements
from engines.spot.risk import get_strategy

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
NINETY_DAYS = SHARED / "spot-price-history" / "eu-west-1" / "eu-west-1_90d_2021-12-13_to_2022-03-13.tsv.xz"
ADVISOR_2021 = SHARED / "spot-advisor" / "spot-advisor-data_2021-02-10_spotinfo.json"
DAY = 86400

pytestmark = pytest.mark.evaluation


@cache
def history() -> PriceHistory:
    if not NINETY_DAYS.exists():
        pytest.skip(f"../shared/data not found: {NINETY_DAYS}")
    return load_price_history([NINETY_DAYS], "eu-west-1")["eu-west-1"]


def reference() -> tuple[Catalog, OnDemandPrices, SpotAdvisor]:
    data = shipped_data_dir()
    if not ADVISOR_2021.exists():
        pytest.skip(f"../shared/data not found: {ADVISOR_2021}")
    return (
        load_catalog(data / CATALOG_FILE),
        load_on_demand(data / ON_DEMAND_FILE),
        load_spot_advisor(ADVISOR_2021),
    )


@pytest.mark.parametrize("shape", [(2, 8), (4, 16), (16, 64)])
def test_every_weekly_plan_keeps_its_rules_and_every_pool_is_explained(shape: tuple[int, int]) -> None:
    h = history()
    catalog, on_demand, advisor = reference()
    requirements = Requirements(vcpus=shape[0], memory_gib=shape[1])
    first, last = h.first_time(), h.last_time()
    assert first is not None and last is not None
    for at in range(first + 7 * DAY, last, 7 * DAY):
        offerings = build_offerings(h, catalog, on_demand, advisor, at)
        result = rank_pools(offerings, requirements, get_strategy(), at, "eu-west-1")
        seen = {p.offering.key for p in result.pools} | {
            PoolKey(r.instance_type, r.availability_zone) for r in result.rejected
        }
        assert seen == {o.key for o in offerings} | {
            PoolKey(r.instance_type, r.availability_zone) for r in offerings.rejected
        }
        assert all(r.reason for r in result.rejected)
        plan = plan_fleet(result, 20)
        assert plan.feasible and len(plan.spot_zones()) >= 3
        assert max(plan.pool_counts().values()) <= 4 and len(plan.slots) - len(plan.spot_slots) >= 3


def test_yield_saves_at_least_sixty_percent_on_the_default_shape() -> None:
    h = history()
    catalog, on_demand, advisor = reference()
    first, last = h.first_time(), h.last_time()
    assert first is not None and last is not None
    settings = BacktestSettings(nodes=20, start=first + 7 * DAY, end=last)
    result = run_backtest(
        "yield", get_selector("yield"), h, catalog, on_demand, advisor, Requirements(vcpus=4, memory_gib=16), settings
    )
    assert result.savings_pct >= 60.0
    assert result.pools_used >= 5  # diversified, unlike a single-pool policy
