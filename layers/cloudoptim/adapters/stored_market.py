"""The Spot market the engines read in AWS: the scraped Prices table (newest price and recent changes per pool, the
On-Demand list, the Spot Advisor), over the shipped Day-Zero data for whatever the table does not hold yet. Cached
per region for a few minutes: the table changes hourly.

Offerings (every pool's price statistics: the costliest part of a choice) are built once per price snapshot: kept
with the loaded region under its version (every pool's newest price and its time, the On-Demand and Advisor list
times), carried over a reload that finds the same version, dropped as soon as the version changes."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from cloudoptim.adapters.day_zero import DayZeroData
from cloudoptim.adapters.market import DayZeroMarket
from cloudoptim.adapters.price_ages import spot_age
from cloudoptim.pricing.ports import ADVISOR, ON_DEMAND, PriceTable
from engines.pricing.freshness import PriceAge, PriceSource
from engines.spot.model import AdvisorEntry, Catalog, OnDemandPrices, PoolKey, PriceHistory, PriceSeries, SpotAdvisor
from engines.spot.offerings import Offerings, build_offerings

Version = tuple[object, ...]


@dataclass(frozen=True)
class _Region:
    history: PriceHistory
    on_demand: OnDemandPrices
    advisor: SpotAdvisor
    scraped: bool
    loaded_at: float
    version: Version = ()
    newest: int | None = None  # the history's newest price time (every choice asks; scanning pools costs)
    offerings: dict[int, Offerings] = field(default_factory=dict, compare=False)  # at -> offerings, this version


@dataclass
class StoredMarket:
    table: PriceTable
    data: DayZeroData
    clock: Callable[[], float] = time.time
    ttl_seconds: float = 300.0
    _regions: dict[str, _Region] = field(default_factory=dict)

    @property
    def catalog(self) -> Catalog:
        return self.data.catalog

    def _region(self, region: str) -> _Region:
        cached = self._regions.get(region)
        if cached is not None and self.clock() - cached.loaded_at < self.ttl_seconds:
            return cached
        pools = self.table.spot(region)
        prices_seen = hash(tuple(sorted((key, p.at, p.price) for key, p in pools.items())))
        if pools:
            series = {
                PoolKey(t, z): PriceSeries.from_points(p.history or ((p.at, p.price),)) for (z, t), p in pools.items()
            }
            history = PriceHistory(region, series, {z: z for z, _ in pools})
        else:
            history = self.data.price_history(region) or PriceHistory(region, {})
        prices = dict(self.data.on_demand.prices)
        listed = self.table.list(ON_DEMAND, region)
        if listed is not None:
            prices.update({(region, t): float(p) for t, p in listed.entries.items()})
        entries = dict(self.data.advisor.entries)
        advised = self.table.list(ADVISOR, region)
        if advised is not None:
            entries.update({(region, t): AdvisorEntry(int(r), int(s)) for t, (r, s) in advised.entries.items()})
        snapshot = "scraped" if advised is not None else self.data.advisor.snapshot
        version: Version = (prices_seen, listed.at if listed else None, advised.at if advised else None)
        kept = cached.offerings if cached is not None and cached.version == version else {}
        loaded = _Region(history, OnDemandPrices(prices, self.data.on_demand.sources), SpotAdvisor(entries, snapshot),
                         bool(pools), self.clock(), version, history.last_time(), kept)  # fmt: skip
        self._regions[region] = loaded
        return loaded

    def offerings(self, region: str, now: int) -> tuple[Offerings, int]:
        """Offerings at `now`, or at the newest known price when the data is older than `now`."""
        loaded = self._region(region)
        newest = loaded.newest
        if newest is None:
            return DayZeroMarket(self.data).offerings(region, now)
        at = min(now, newest)
        if at not in loaded.offerings:
            if len(loaded.offerings) >= 4:  # `now` before the newest price (tests, replays): keep a few
                loaded.offerings.clear()
            loaded.offerings[at] = build_offerings(loaded.history, self.catalog, loaded.on_demand, loaded.advisor, at)
        return loaded.offerings[at], at

    def price_age(self, region: str, now: int) -> PriceAge:
        loaded = self._region(region)
        source = PriceSource.SCRAPED if loaded.scraped else PriceSource.SHIPPED
        return spot_age(loaded.history, now, now, source, loaded.newest)
