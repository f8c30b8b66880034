"""The prices waste findings are costed with: On-Demand per type (the freshest list known, its age stated), EBS per
GB-month from the shipped table, public IPv4 and cross-AZ transfer at AWS's flat rates."""

from __future__ import annotations

from cloudoptim.adapters.ebs_prices import SNAPSHOT, EbsPrices
from cloudoptim.adapters.price_ages import on_demand_age
from engines.pricing.freshness import PriceSource, price_age
from engines.spot.model import OnDemandPrices
from engines.waste.model import PriceRef, Prices


def waste_prices(
    region: str,
    on_demand: OnDemandPrices,
    ebs: EbsPrices,
    now: int,
    source: PriceSource = PriceSource.SHIPPED,
    listed_at: int | None = None,
) -> Prices:
    """`listed_at` is when a scraped list was collected; without it the list's recorded source date is used."""
    age = price_age("On-Demand", listed_at, now, source) if listed_at else on_demand_age(on_demand, region, now, source)
    note = f"{region} list; {age.reason}"
    types = {t: PriceRef(p, note) for (r, t), p in on_demand.prices.items() if r == region}
    storage = ebs.for_region(region)
    snapshot = storage.pop(SNAPSHOT, None)
    return Prices(on_demand=types, ebs=storage, snapshot_gb_month=snapshot)
