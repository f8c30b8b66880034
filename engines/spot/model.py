"""Value objects of the Spot domain: instance types, Spot Advisor entries, prices, price history.

Everything here is immutable and free of I/O; adapters build these from files or AWS APIs.
Times are epoch seconds (int) so history queries stay cheap numpy searches.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

ADVISOR_LABELS = ("<5%", "5-10%", "10-15%", "15-20%", ">20%")
_FAMILY_RE = re.compile(r"^(?P<cls>[a-z]+?)(?P<gen>\d+)")


@dataclass(frozen=True, slots=True)
class InstanceType:
    """One EC2 instance type from the catalogue."""

    name: str
    vcpus: int
    memory_gib: float
    arch: str  # "x86_64" or "arm64"
    gpus: int = 0
    max_pods: int | None = None
    current_generation: bool = True
    burstable: bool = False
    bare_metal: bool = False
    gpu_vendor: str = ""  # "nvidia", "amd", "habana"; "" when it has none or the catalogue does not say
    # Devices the catalogue knows the type to offer; None: the catalogue cannot say (types known only from a
    # price list), so no pod needing the device is ever planned onto it.
    efa_interfaces: int | None = None
    neuron_devices: int | None = None
    neuron_cores: int | None = None
    branch_interfaces: int | None = None  # trunk ENI branches: vpc.amazonaws.com/pod-eni

    @property
    def family(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def generation(self) -> int | None:
        match = _FAMILY_RE.match(self.family)
        return int(match.group("gen")) if match else None


@dataclass(frozen=True, slots=True)
class Catalog:
    """The instance catalogue, keyed by type name."""

    types: Mapping[str, InstanceType]

    def get(self, name: str) -> InstanceType | None:
        return self.types.get(name)

    def __len__(self) -> int:
        return len(self.types)

    def __iter__(self) -> Iterator[InstanceType]:
        return iter(self.types.values())


@dataclass(frozen=True, slots=True)
class AdvisorEntry:
    """Spot Advisor's view of one type in one region: interruption bucket 0..4 and savings %."""

    bucket: int
    savings_pct: int

    @property
    def label(self) -> str:
        return ADVISOR_LABELS[self.bucket]

    @property
    def spot_share(self) -> float | None:
        """Spot price / On-Demand price as the advisor's savings imply (its savings are measured against
        On-Demand); None when 0% or 100% savings imply no usable price.

        >>> AdvisorEntry(bucket=1, savings_pct=60).spot_share
        0.4
        """
        return 1.0 - self.savings_pct / 100.0 if 0 < self.savings_pct < 100 else None

    def spot_price(self, on_demand: float) -> float | None:
        """The Spot price estimated from an On-Demand price: On-Demand less the advisor's savings."""
        share = self.spot_share
        return None if share is None else on_demand * share

    def on_demand_price(self, spot: float) -> float | None:
        """The On-Demand price recovered from a Spot price: Spot / (1 - the advisor's savings)."""
        share = self.spot_share
        return None if share is None else spot / share


@dataclass(frozen=True, slots=True)
class SpotAdvisor:
    """A Spot Advisor snapshot (Linux entries), keyed by (region, instance type)."""

    entries: Mapping[tuple[str, str], AdvisorEntry]
    snapshot: str = "unknown"

    def get(self, region: str, instance_type: str) -> AdvisorEntry | None:
        return self.entries.get((region, instance_type))

    def regions(self) -> set[str]:
        return {region for region, _ in self.entries}


@dataclass(frozen=True, slots=True)
class OnDemandPrices:
    """On-Demand Linux USD/hour, keyed by (region, instance type), with where each region's data came from."""

    prices: Mapping[tuple[str, str], float]
    sources: Mapping[str, str] = field(default_factory=dict)

    def get(self, region: str, instance_type: str) -> float | None:
        return self.prices.get((region, instance_type))

    def regions(self) -> set[str]:
        return {region for region, _ in self.prices}


@dataclass(frozen=True, slots=True)
class PoolKey:
    """A Spot pool: one instance type in one availability zone (name or AZ ID, as the data gives it)."""

    instance_type: str
    availability_zone: str


@dataclass(frozen=True, slots=True)
class WindowStats:
    """Time-weighted price statistics of one pool over a window ending at a time."""

    mean: float
    std: float
    minimum: float
    maximum: float
    changes: int
    covered_hours: float

    @property
    def volatility(self) -> float:
        """Coefficient of variation: price std relative to its mean."""
        return self.std / self.mean if self.mean > 0 else 0.0

    @property
    def relative_range(self) -> float:
        """How far the price moved within the window, relative to its mean."""
        return (self.maximum - self.minimum) / self.mean if self.mean > 0 else 0.0


@dataclass(frozen=True, slots=True, eq=False)
class PriceSeries:
    """Price-change events of one pool: a price holds from its timestamp until the next one."""

    times: npt.NDArray[np.int64]
    prices: npt.NDArray[np.float64]

    @staticmethod
    def from_points(points: Iterable[tuple[int, float]]) -> PriceSeries:
        ordered = sorted(dict(points).items())  # one price per timestamp, last one wins
        times = np.fromiter((t for t, _ in ordered), dtype=np.int64, count=len(ordered))
        prices = np.fromiter((p for _, p in ordered), dtype=np.float64, count=len(ordered))
        return PriceSeries(times, prices)

    def __len__(self) -> int:
        return int(self.times.size)

    def price_at(self, at: int) -> float | None:
        """The price in force at `at`, or None before the first observation."""
        index = int(np.searchsorted(self.times, at, side="right")) - 1
        return float(self.prices[index]) if index >= 0 else None

    def max_between(self, start: int, end: int) -> float | None:
        """Highest price in force at any moment of [start, end]."""
        first = int(np.searchsorted(self.times, start, side="right")) - 1
        last = int(np.searchsorted(self.times, end, side="right"))
        first = max(first, 0)
        if last <= first:
            return None
        return float(self.prices[first:last].max())

    def integral(self, start: int, end: int) -> float:
        """USD spent by one node held over [start, end] (price x hours), 0 where no price is known."""
        if end <= start:
            return 0.0
        durations, prices = self._segments(start, end)
        return float(np.dot(durations, prices)) / 3600.0

    def window_stats(self, start: int, end: int) -> WindowStats | None:
        """Time-weighted statistics of the price over [start, end], None when no price is known."""
        # A week holds ~20 points per pool: plain Python on the slice beats numpy's per-call overhead here,
        # and this runs for every pool of a region on every ranking.
        first = max(int(self.times.searchsorted(start, "right")) - 1, 0)
        last = int(self.times.searchsorted(end, "right"))
        if last <= first:
            return None
        times: list[int] = self.times[first:last].tolist()
        prices: list[float] = self.prices[first:last].tolist()
        bounds = [min(max(t, start), end) for t in times]
        bounds.append(end)
        durations = [b - a for a, b in itertools.pairwise(bounds)]
        total = float(sum(durations))
        if total <= 0:
            return None
        mean = sum(d * p for d, p in zip(durations, prices, strict=True)) / total
        variance = sum(d * (p - mean) ** 2 for d, p in zip(durations, prices, strict=True)) / total
        return WindowStats(
            mean=mean,
            std=variance**0.5,
            minimum=min(prices),
            maximum=max(prices),
            changes=len(prices) - 1,
            covered_hours=total / 3600.0,
        )

    def _segments(self, start: int, end: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        first = max(int(np.searchsorted(self.times, start, side="right")) - 1, 0)
        last = int(np.searchsorted(self.times, end, side="right"))
        if last <= first or self.times.size == 0:
            empty = np.zeros(0, dtype=np.float64)
            return empty, empty
        seg_times = self.times[first:last].astype(np.float64)
        bounds = np.clip(np.append(seg_times, float(end)), float(start), float(end))
        return np.diff(bounds), self.prices[first:last]


@dataclass(frozen=True, slots=True)
class PriceHistory:
    """Spot price history of one region's pools (Linux), plus the AZ ID of each zone where known."""

    region: str
    series: Mapping[PoolKey, PriceSeries]
    az_ids: Mapping[str, str] = field(default_factory=dict)

    def pools(self) -> list[PoolKey]:
        return sorted(self.series, key=lambda k: (k.instance_type, k.availability_zone))

    def first_time(self) -> int | None:
        starts = [int(s.times[0]) for s in self.series.values() if len(s)]
        return min(starts) if starts else None

    def last_time(self) -> int | None:
        ends = [int(s.times[-1]) for s in self.series.values() if len(s)]
        return max(ends) if ends else None

    def zones(self) -> list[str]:
        return sorted({k.availability_zone for k in self.series})
