"""Builders of small synthetic Spot markets for unit and property tests (no files, no network)."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from engines.spot.model import (
    AdvisorEntry,
    Catalog,
    InstanceType,
    OnDemandPrices,
    PoolKey,
    PriceHistory,
    PriceSeries,
    SpotAdvisor,
)

REGION = "eu-west-1"
T0 = 1_640_995_200  # 2022-01-01T00:00:00Z
HOUR = 3600


@dataclass(frozen=True)
class Market:
    catalog: Catalog
    history: PriceHistory
    on_demand: OnDemandPrices
    advisor: SpotAdvisor
    at: int


def market(pools: list[tuple[str, int, float, str, float, float, int]], at: int = T0 + 10 * 24 * HOUR) -> Market:
    """pools: (type, vcpus, memory_gib, zone, spot_price, on_demand_price, advisor_bucket) with a flat history."""
    types: dict[str, InstanceType] = {}
    series: dict[PoolKey, PriceSeries] = {}
    od: dict[tuple[str, str], float] = {}
    entries: dict[tuple[str, str], AdvisorEntry] = {}
    for name, vcpus, memory, zone, spot, on_demand, bucket in pools:
        types[name] = InstanceType(name, vcpus, memory, "arm64" if "g." in name else "x86_64")
        series[PoolKey(name, zone)] = PriceSeries.from_points([(T0, spot)])
        od[(REGION, name)] = on_demand
        entries[(REGION, name)] = AdvisorEntry(bucket, int(100 * (1 - spot / on_demand)))
    return Market(Catalog(types), PriceHistory(REGION, series), OnDemandPrices(od), SpotAdvisor(entries), at)


@st.composite
def markets(draw: st.DrawFn, max_types: int = 8) -> Market:
    """Random markets: 1-8 types over 1-4 zones with random prices and advisor buckets."""
    zones = [f"{REGION}{c}" for c in "abcd"[: draw(st.integers(1, 4))]]
    n_types = draw(st.integers(1, max_types))
    pools = []
    for i in range(n_types):
        vcpus = draw(st.sampled_from([1, 2, 4, 8, 16, 32]))
        memory = vcpus * draw(st.sampled_from([1, 2, 4, 8]))
        on_demand = round(vcpus * draw(st.floats(0.03, 0.08)), 4)
        bucket = draw(st.integers(0, 4))
        for zone in draw(st.lists(st.sampled_from(zones), min_size=1, max_size=len(zones), unique=True)):
            spot = round(on_demand * draw(st.floats(0.2, 1.1)), 4)
            pools.append((f"m{i + 4}.size{vcpus}", vcpus, float(memory), zone, spot, on_demand, bucket))
    return market(pools)


def with_history(m: Market, key: PoolKey, points: list[tuple[int, float]]) -> Market:
    series = dict(m.history.series)
    series[key] = PriceSeries.from_points(points)
    return Market(m.catalog, PriceHistory(m.history.region, series), m.on_demand, m.advisor, m.at)
