"""The node price book of a region from the shipped (or given) price data: On-Demand by type, Spot by pool."""

from __future__ import annotations

import statistics

from cloudoptim.adapters.day_zero import DayZeroData
from cloudoptim.errors import UnknownRegionError
from engines.cluster.capacity import PriceBook


def price_book(data: DayZeroData, region: str) -> PriceBook:
    """Spot prices are the newest known per pool; a region without listed On-Demand prices derives them from
    the Spot price and the Spot Advisor's savings (as the Spot engine does), so every shipped region works."""
    history = data.price_history(region)
    on_demand = {t.name: p for t in data.catalog if (p := data.on_demand.get(region, t.name)) is not None}
    if history is None and not on_demand:
        covered = sorted(data.spot_prices) + sorted(data.on_demand.regions())
        raise UnknownRegionError(f"unknown region {region!r}: the price data covers {', '.join(sorted(set(covered)))}")
    spot: dict[tuple[str, str], float] = {}
    if history is not None:
        newest = history.last_time()
        for key, series in history.series.items():
            price = series.price_at(newest) if newest is not None else None
            if price is None or data.catalog.get(key.instance_type) is None:
                continue
            spot[(key.instance_type, key.availability_zone)] = price
            if key.instance_type not in on_demand:
                entry = data.advisor.get(region, key.instance_type)
                derived = entry.on_demand_price(price) if entry is not None else None
                if derived is not None:
                    on_demand[key.instance_type] = derived
    notes = _estimate_missing(data, region, history, on_demand, spot)
    types = {name: instance for name in on_demand if (instance := data.catalog.get(name)) is not None}
    return PriceBook(region=region, instance_types=types, on_demand=on_demand, spot=spot, notes=notes)


REFERENCE_REGION = "us-east-1"


def _estimate_missing(
    data: DayZeroData,
    region: str,
    history: object,
    on_demand: dict[str, float],
    spot: dict[tuple[str, str], float],
) -> dict[str, str]:
    """Fill prices the shipped lists lack (e.g. GPU types, whose On-Demand list items are filtered out upstream).

    On-Demand: the us-east-1 price times the median regional ratio over the types priced in both. Spot: that
    On-Demand price less the Spot Advisor's savings for the type. Each estimate is noted so plans can say so.
    """
    notes: dict[str, str] = {}
    ratios = [
        on_demand[t.name] / ref
        for t in data.catalog
        if t.name in on_demand and (ref := data.on_demand.get(REFERENCE_REGION, t.name))
    ]
    ratio = statistics.median(ratios) if ratios and region != REFERENCE_REGION else 1.0
    for instance in data.catalog:
        if instance.name in on_demand:
            continue
        reference = data.on_demand.get(REFERENCE_REGION, instance.name)
        if reference is None:
            continue
        on_demand[instance.name] = reference * ratio
        notes[instance.name] = (
            f"{instance.name}: On-Demand price estimated as the {REFERENCE_REGION} price x {ratio:.3f} "
            f"(median {region}/{REFERENCE_REGION} ratio); no listed {region} price"
        )
    zones = sorted({zone for _, zone in spot})
    for name, price in list(on_demand.items()):
        entry = data.advisor.get(region, name)
        estimate = entry.spot_price(price) if entry is not None else None
        if entry is None or estimate is None:
            continue
        for zone in zones:
            if (name, zone) not in spot:
                spot[(name, zone)] = estimate
                notes.setdefault(name, "")
                notes[name] = (notes[name] + "; " if notes[name] else f"{name}: ") + (
                    f"Spot price in {zone} estimated from the Spot Advisor's {entry.savings_pct}% savings"
                )
    return notes
