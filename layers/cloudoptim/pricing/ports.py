"""Narrow ports of the pricing jobs: where prices come from (EC2, the Pricing API, the Spot Advisor document) and
where they go (the archive by region and day, the table of latest prices the engines read)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from engines.pricing.coverage import Interval, merge


@dataclass(frozen=True, slots=True)
class SpotPoint:
    """A price change of one pool: `zone` is the AZ ID (zone names differ per account)."""

    zone: str
    instance_type: str
    price: float
    at: int


@dataclass(frozen=True, slots=True)
class SpotFetch:
    points: tuple[SpotPoint, ...]
    pages: int


class SpotHistorySource(Protocol):
    def history(self, region: str, start: int, end: int) -> SpotFetch:
        """Every Linux price change in [start, end) plus the price in force at `start` (AWS includes it)."""
        ...


@dataclass(frozen=True, slots=True)
class OnDemandFetch:
    prices: Mapping[str, float]  # instance type -> USD per hour, Linux, shared tenancy
    pages: int


class OnDemandSource(Protocol):
    def prices(self, region: str) -> OnDemandFetch: ...


class AdvisorSource(Protocol):
    def document(self) -> bytes:
        """The Spot Advisor JSON as AWS publishes it (spot-advisor-data.json)."""
        ...


class PriceArchive(Protocol):
    """Everything collected, by region and day (S3 in AWS)."""

    def add_spot(self, region: str, points: Sequence[SpotPoint]) -> int:
        """Merge points into their days' files (idempotent); returns how many day files were written."""
        ...

    def spot(self, region: str, start: int, end: int) -> list[SpotPoint]: ...

    def put_document(self, kind: str, region: str, day: str, body: bytes) -> str: ...


@dataclass(frozen=True, slots=True)
class RegionState:
    """What the jobs know of a region: the watermark (end of the last stored scrape window), the windows
    collected completely, and when each kind of price was last refreshed."""

    region: str
    watermark: int | None = None
    covered: tuple[Interval, ...] = ()
    first_collected: int | None = None
    last_run: int | None = None
    last_error: str | None = None
    pools: int = 0
    on_demand_at: int | None = None
    advisor_at: int | None = None

    def stored(self, window: Interval, forward: bool, now: int) -> RegionState:
        """After `window` is stored: covered grows; a forward (scrape) window also moves the watermark."""
        watermark = max(self.watermark or window.end, window.end) if forward else self.watermark
        first = min(self.first_collected or window.start, window.start)
        return replace(self, watermark=watermark, covered=merge((*self.covered, window)), first_collected=first,
                       last_run=now, last_error=None)  # fmt: skip

    def as_json(self) -> dict[str, Any]:
        return {
            "watermark": self.watermark, "covered": [[i.start, i.end] for i in self.covered],
            "first_collected": self.first_collected, "last_run": self.last_run, "last_error": self.last_error,
            "pools": self.pools, "on_demand_at": self.on_demand_at, "advisor_at": self.advisor_at,
        }  # fmt: skip

    @staticmethod
    def of(region: str, raw: Mapping[str, Any]) -> RegionState:
        return RegionState(
            region=region, watermark=raw.get("watermark"),
            covered=tuple(Interval(int(a), int(b)) for a, b in raw.get("covered") or ()),
            first_collected=raw.get("first_collected"), last_run=raw.get("last_run"),
            last_error=raw.get("last_error"), pools=int(raw.get("pools") or 0), on_demand_at=raw.get("on_demand_at"),
            advisor_at=raw.get("advisor_at"),
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class PoolPrices:
    """The newest price of a pool and its recent changes (oldest first), what the engines read."""

    price: float
    at: int
    history: tuple[tuple[int, float], ...] = ()


@dataclass(frozen=True, slots=True)
class PriceList:
    """A region's On-Demand list or Spot Advisor entries as stored, with when they were collected."""

    at: int
    entries: Mapping[str, Any] = field(default_factory=dict)

    def as_text(self) -> str:
        return json.dumps(dict(self.entries), sort_keys=True, separators=(",", ":"))


class PriceTable(Protocol):
    """The latest prices the engines read, and the jobs' per-region state (DynamoDB in AWS)."""

    def state(self, region: str) -> RegionState: ...
    def save_state(self, state: RegionState) -> None: ...
    def states(self) -> list[RegionState]: ...

    def merge_spot(self, region: str, points: Sequence[SpotPoint], keep_since: int) -> int:
        """Newest price and the changes since `keep_since` per pool; returns the pools now known."""
        ...

    def spot(self, region: str) -> Mapping[tuple[str, str], PoolPrices]: ...
    def put_list(self, kind: str, region: str, prices: PriceList) -> None: ...
    def list(self, kind: str, region: str) -> PriceList | None: ...


ON_DEMAND, ADVISOR = "on-demand", "spot-advisor"


class RegionsInUse(Protocol):
    def regions(self) -> set[str]: ...
