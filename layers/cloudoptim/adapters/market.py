"""The Spot market from the Day-Zero data shipped in the package (loaded once per Lambda container)."""

from __future__ import annotations

from dataclasses import dataclass, field

from cloudoptim.adapters.day_zero import DayZeroData
from cloudoptim.adapters.price_ages import spot_age
from engines.pricing.freshness import PriceAge, PriceSource
from engines.spot.model import Catalog
from engines.spot.offerings import Offerings, build_offerings


@dataclass
class DayZeroMarket:
    data: DayZeroData
    _cache: dict[tuple[str, int], Offerings] = field(default_factory=dict)
    _newest: dict[str, int | None] = field(default_factory=dict)  # region -> newest shipped price time

    def _last_time(self, region: str) -> int | None:
        if region not in self._newest:
            history = self.data.price_history(region)
            self._newest[region] = history.last_time() if history is not None else None
        return self._newest[region]

    @property
    def catalog(self) -> Catalog:
        return self.data.catalog

    def offerings(self, region: str, now: int) -> tuple[Offerings, int]:
        """Offerings at `now`, or at the newest shipped price when the snapshot is older than `now`."""
        history = self.data.price_history(region)
        last = self._last_time(region)
        if history is None or last is None:
            return Offerings(()), now
        at = min(now, last)
        key = (region, at)
        if key not in self._cache:
            self._cache[key] = build_offerings(history, self.data.catalog, self.data.on_demand, self.data.advisor, at)
        return self._cache[key], at

    def price_age(self, region: str, now: int) -> PriceAge:
        return spot_age(self.data.price_history(region), now, now, PriceSource.SHIPPED, self._last_time(region))
