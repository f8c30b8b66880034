"""The node price book of a region from the shipped (or given) price data: On-Demand by type, Spot by pool."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import replace

from cloudoptim.adapters.day_zero import DayZeroData
from cloudoptim.adapters.regions import is_az_id
from cloudoptim.errors import UnknownRegionError
from engines.cluster.capacity import PriceBook
from engines.spot.model import PoolKey, SpotAdvisor
from engines.spot.offerings import Offering, Offerings

ZONE_ID_LABEL = "topology.k8s.aws/zone-id"


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


def for_cluster_zones(book: PriceBook, zone_ids: Mapping[str, str | None]) -> PriceBook:
    """The book with Spot prices under the zone names the cluster's nodes use.

    Price data names a pool by AZ ID (the shipped slice outside eu-west-1, DescribeSpotPriceHistory run in
    another account) or by zone name. A zone whose nodes carry `topology.k8s.aws/zone-id` takes its AZ ID's
    prices; a zone the data already names keeps them. A zone with neither cannot be matched (zone names are
    shuffled per account), so it gets the type's highest price over the region's AZ IDs, noted as an estimate:
    a plan may then save less than it could, never more than it says.
    """
    by_type: dict[str, dict[str, float]] = defaultdict(dict)
    for (instance_type, zone), price in book.spot.items():
        by_type[instance_type][zone] = price
    spot, notes = dict(book.spot), dict(book.notes)
    for zone, az_id in sorted(zone_ids.items()):
        for instance_type, prices in by_type.items():
            if zone in prices:
                continue
            if az_id is not None:
                if az_id in prices:
                    spot[(instance_type, zone)] = prices[az_id]
                continue
            if prices and all(is_az_id(z) for z in prices):
                spot[(instance_type, zone)] = max(prices.values())
                notes[instance_type] = (notes.get(instance_type, "") + "; " if instance_type in notes else "") + (
                    f"{instance_type}: Spot price in {zone} is the highest of its {len(prices)} AZ IDs "
                    f"(no {ZONE_ID_LABEL} label says which AZ {zone} is in this account)"
                )
    return replace(book, spot=spot, notes=notes)


def with_estimated_pools(offerings: Offerings, book: PriceBook, advisor: SpotAdvisor) -> Offerings:
    """`offerings` plus every Spot pool of the book that has no price history (its Spot price estimated from the
    Spot Advisor's savings, see `_estimate_missing`), without 7-day statistics: the Spot engine's gates still
    apply (advisor bucket, below On-Demand, risk) and its risk strategy takes such a pool's volatility as medium."""
    known = {o.key for o in offerings}
    extra = []
    for (instance_type, zone), spot in sorted(book.spot.items()):
        instance = book.instance_types.get(instance_type)
        on_demand = book.on_demand.get(instance_type)
        if PoolKey(instance_type, zone) in known or instance is None or on_demand is None:
            continue
        note = f"Spot price {spot:.4f} estimated (no price history for the pool)"
        extra.append(
            Offering(instance, book.region, zone, None, spot, on_demand, advisor.get(book.region, instance_type),
                     None, (note,))
        )  # fmt: skip
    return Offerings(offerings.items + tuple(extra), offerings.rejected)
