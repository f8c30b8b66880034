"""`WastePriceSource`: the scraped On-Demand list of a region when the Prices table has one, else the shipped list;
EBS from the shipped table."""

from __future__ import annotations

from dataclasses import dataclass

from cloudoptim.adapters.ebs_prices import EbsPrices
from cloudoptim.adapters.waste_prices import waste_prices
from cloudoptim.pricing.ports import ON_DEMAND, PriceTable
from engines.pricing.freshness import PriceSource
from engines.spot.model import OnDemandPrices
from engines.waste.model import Prices


@dataclass
class StoredWastePrices:
    table: PriceTable | None
    shipped: OnDemandPrices
    ebs: EbsPrices

    def prices(self, region: str, now: int) -> Prices:
        listed = self.table.list(ON_DEMAND, region) if self.table is not None else None
        if listed is None or not listed.entries:
            return waste_prices(region, self.shipped, self.ebs, now, PriceSource.SHIPPED)
        scraped = OnDemandPrices({(region, t): float(p) for t, p in listed.entries.items()}, {region: "Pricing API"})
        return waste_prices(region, scraped, self.ebs, now, PriceSource.SCRAPED, listed_at=listed.at)
