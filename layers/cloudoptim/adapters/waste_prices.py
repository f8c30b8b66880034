"""The prices waste findings are costed with: On-Demand per type (the freshest list known), EBS per GB-month
from the shipped table, public IPv4 and cross-AZ transfer at AWS's flat rates."""

from __future__ import annotations

from cloudoptim.adapters.ebs_prices import SNAPSHOT, EbsPrices
from engines.spot.model import OnDemandPrices
from engines.waste.model import PriceRef, Prices


def waste_prices(region: str, on_demand: OnDemandPrices, ebs: EbsPrices, on_demand_note: str | None = None) -> Prices:
    """`on_demand_note` says where and when the On-Demand list came from (default: its recorded source)."""
    note = on_demand_note or f"{region} list, {on_demand.sources.get(region, 'source unknown')}"
    types = {t: PriceRef(p, note) for (r, t), p in on_demand.prices.items() if r == region}
    storage = ebs.for_region(region)
    snapshot = storage.pop(SNAPSHOT, None)
    return Prices(on_demand=types, ebs=storage, snapshot_gb_month=snapshot)
