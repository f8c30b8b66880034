"""In-memory fakes of the pricing ports (cloudoptim.pricing.ports) with the adapters' contracts: a Spot market
answering windows like DescribeSpotPriceHistory (the price in force at the start included, pages counted, faults
injectable), the archive by region and day, the table of latest prices and per-region state."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cloudoptim.adapters.aws.price_table import merged_history
from cloudoptim.pricing.ports import (
    OnDemandFetch,
    PoolPrices,
    PriceList,
    RegionState,
    SpotFetch,
    SpotPoint,
)
from cloudoptim.pricing.scrape import day_of
from tests.fakes.faulty import _Faulty


@dataclass
class FakeSpotMarket(_Faulty):
    """Every price change of a region; `calls` records each (region, start, end) asked."""

    points: dict[str, list[SpotPoint]] = field(default_factory=dict)
    page_size: int = 1000
    calls: list[tuple[str, int, int]] = field(default_factory=list)

    def history(self, region: str, start: int, end: int) -> SpotFetch:
        self.calls.append((region, start, end))
        self._check("history")
        chosen = [p for p in self.points.get(region, []) if start <= p.at < end]
        for pool in {(p.zone, p.instance_type) for p in self.points.get(region, [])}:
            earlier = [p for p in self.points[region] if (p.zone, p.instance_type) == pool and p.at < start]
            if earlier:
                chosen.append(max(earlier, key=lambda p: p.at))
        pages = max(1, -(-len(chosen) // self.page_size))
        return SpotFetch(tuple(sorted(chosen, key=lambda p: (p.at, p.zone, p.instance_type))), pages)


@dataclass
class FakeOnDemand(_Faulty):
    prices_by_region: dict[str, dict[str, float]] = field(default_factory=dict)

    def prices(self, region: str) -> OnDemandFetch:
        self._check("prices")
        return OnDemandFetch(dict(self.prices_by_region.get(region, {})), 1)


@dataclass
class FakeAdvisor(_Faulty):
    body: bytes = b'{"spot_advisor": {}}'

    def document(self) -> bytes:
        self._check("document")
        return self.body


@dataclass
class MemoryArchive(_Faulty):
    days: dict[tuple[str, str], dict[tuple[str, str, int], SpotPoint]] = field(default_factory=dict)
    documents: dict[str, bytes] = field(default_factory=dict)

    def add_spot(self, region: str, points: Sequence[SpotPoint]) -> int:
        self._check("add_spot")
        touched = set()
        for p in points:
            day = self.days.setdefault((region, day_of(p.at)), {})
            if (p.zone, p.instance_type, p.at) not in day:
                day[(p.zone, p.instance_type, p.at)] = p
                touched.add(day_of(p.at))
        return len(touched)

    def spot(self, region: str, start: int, end: int) -> list[SpotPoint]:
        found = [p for (r, _), day in self.days.items() if r == region for p in day.values() if start <= p.at < end]
        return sorted(found, key=lambda p: (p.at, p.zone, p.instance_type))

    def put_document(self, kind: str, region: str, day: str, body: bytes) -> str:
        key = f"{kind}/{region}/{day}.json.gz"
        self.documents[key] = body
        return key


@dataclass
class MemoryPriceTable(_Faulty):
    region_states: dict[str, RegionState] = field(default_factory=dict)
    pools: dict[str, dict[tuple[str, str], PoolPrices]] = field(default_factory=dict)
    lists: dict[tuple[str, str], PriceList] = field(default_factory=dict)

    def state(self, region: str) -> RegionState:
        return self.region_states.get(region, RegionState(region))

    def save_state(self, state: RegionState) -> None:
        self._check("save_state")
        self.region_states[state.region] = state

    def states(self) -> list[RegionState]:
        return [self.region_states[r] for r in sorted(self.region_states)]

    def merge_spot(self, region: str, points: Sequence[SpotPoint], keep_since: int) -> int:
        self._check("merge_spot")
        pools = self.pools.setdefault(region, {})
        for key in {(p.zone, p.instance_type) for p in points}:
            new = [(p.at, p.price) for p in points if (p.zone, p.instance_type) == key]
            history = merged_history(pools[key].history if key in pools else (), new, keep_since)
            pools[key] = PoolPrices(history[-1][1], history[-1][0], tuple(history))
        return len(pools)

    def spot(self, region: str) -> Mapping[tuple[str, str], PoolPrices]:
        return dict(self.pools.get(region, {}))

    def put_list(self, kind: str, region: str, prices: PriceList) -> None:
        self.lists[(kind, region)] = prices

    def list(self, kind: str, region: str) -> PriceList | None:
        return self.lists.get((kind, region))


@dataclass
class FixedRegions:
    names: set[str] = field(default_factory=set)

    def regions(self) -> set[str]:
        return set(self.names)
