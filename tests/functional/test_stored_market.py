"""The market the engines read: scraped prices from the Prices table win over the shipped snapshot, the choice's
reasons say how old the prices are and where they came from, and an empty table falls back to the shipped data."""

from __future__ import annotations

import pytest

from cloudoptim.adapters.day_zero import DayZeroData, load_day_zero
from cloudoptim.adapters.market import DayZeroMarket
from cloudoptim.adapters.stored_market import StoredMarket
from cloudoptim.interruptions.choose import ChooseDeps
from cloudoptim.pricing.ports import ADVISOR, ON_DEMAND, PriceList, SpotPoint
from engines.pricing.freshness import FreshnessCode, PriceSource
from functions.choose_replacement import handler as choose_fn
from tests.fakes.pricing import MemoryPriceTable
from tests.functional.test_drain_fakes import state
from tests.support.pipeline import world

NOW = 1_781_085_600  # 2026-06-10T10:00:00Z
HOUR = 3600


@pytest.fixture(scope="module")
def data() -> DayZeroData:
    return load_day_zero()


def scraped(table: MemoryPriceTable) -> None:
    points = [
        SpotPoint(zone, instance_type, price * (1 + h / 200), NOW - h * HOUR)
        for zone in ("use1-az1", "use1-az2", "use1-az4")
        for instance_type, price in (("m5.xlarge", 0.07), ("m5a.xlarge", 0.065), ("c5.2xlarge", 0.12))
        for h in range(3, 30, 6)
    ]
    table.merge_spot("us-east-1", points, keep_since=NOW - 7 * 24 * HOUR)
    table.put_list(ON_DEMAND, "us-east-1", PriceList(NOW - HOUR, {"m5.xlarge": 0.192, "m5a.xlarge": 0.172}))
    table.put_list(ADVISOR, "us-east-1", PriceList(NOW - HOUR, {"m5a.xlarge": [0, 62]}))


def test_scraped_prices_win_and_say_how_old_they_are(data: DayZeroData) -> None:
    table = MemoryPriceTable()
    scraped(table)
    market = StoredMarket(table, data, clock=lambda: 0.0)
    offerings, at = market.offerings("us-east-1", NOW)
    assert at == NOW - 3 * HOUR  # the newest scraped price
    m5a = next(o for o in offerings if o.instance_type == "m5a.xlarge" and o.availability_zone == "use1-az1")
    assert round(m5a.spot_price, 6) == round(0.065 * 1.015, 6) and m5a.on_demand_price == 0.172
    age = market.price_age("us-east-1", NOW)
    assert (age.code, age.source, age.seconds) == (FreshnessCode.FRESH, PriceSource.SCRAPED, 3 * HOUR)
    w = world()
    replacement = choose_fn.handle(state(), ChooseDeps(w.registry, w.hive, market), NOW)
    assert replacement["instance_type"] in ("m5.xlarge", "m5a.xlarge", "c5.2xlarge")
    assert any(
        r.startswith("Spot prices as of 2026-06-10T07:00:00Z (3 h old, scraped)") for r in replacement["reasons"]
    )


def test_an_empty_table_falls_back_to_the_shipped_snapshot_and_says_it_is_stale(data: DayZeroData) -> None:
    market = StoredMarket(MemoryPriceTable(), data)
    shipped = DayZeroMarket(data)
    assert market.offerings("us-east-1", NOW)[1] == shipped.offerings("us-east-1", NOW)[1]
    age = market.price_age("us-east-1", NOW)
    assert (age.code, age.source) == (FreshnessCode.STALE, PriceSource.SHIPPED) and "stale" in age.reason
    w = world()
    replacement = choose_fn.handle(state(), ChooseDeps(w.registry, w.hive, shipped), NOW)
    assert any("shipped, stale" in r for r in replacement["reasons"])


def test_the_market_caches_a_region_for_a_few_minutes(data: DayZeroData) -> None:
    table = MemoryPriceTable()
    clock = [0.0]
    market = StoredMarket(table, data, clock=lambda: clock[0], ttl_seconds=300)
    assert market.price_age("us-east-1", NOW).source is PriceSource.SHIPPED
    scraped(table)
    assert market.price_age("us-east-1", NOW).source is PriceSource.SHIPPED  # cached
    clock[0] = 301.0
    assert market.price_age("us-east-1", NOW).source is PriceSource.SCRAPED
