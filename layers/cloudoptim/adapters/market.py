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

    @property
    def catalog(self) -> Catalog:
        return self.data.catalog

    def offerings(self, region: str, now: int) -> tuple[Offerings, int]:
        """Offerings at `now`, or at the newest shipped price when the snapshot is older than `now`."""
        history = self.data.price_history(region)
        if history is None or history.last_time() is None:
            return Offerings(()), now
        at = min(now, history.last_time() or now)
        key = (region, at)
        if key not in self._cache:
            self._cache[key] = build_offerings(history, self.data.catalog, self.data.on_demand, self.data.advisor, at)
        return self._cache[key], at

    def price_age(self, region: str, now: int) -> PriceAge:
        return spot_age(self.data.price_history(region), now, now, PriceSource.SHIPPED)
