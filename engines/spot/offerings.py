"""Offerings (S1): every Spot pool of a region at a moment, with prices, advisor data and 7-day statistics.

`build_offerings` joins the catalogue, price history, On-Demand prices and Spot Advisor at time `at`;
`Offerings` is the collection callers query (`compatible`, `by_zone`, `cheapest`) instead of looping.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from engines.spot.model import (
    AdvisorEntry,
    Catalog,
    InstanceType,
    OnDemandPrices,
    PoolKey,
    PriceHistory,
    SpotAdvisor,
    WindowStats,
)
from engines.spot.requirements import Requirements

HOUR = 3600
DAY = 24 * HOUR


class RejectionCode(StrEnum):
    """Why a pool was left out, for code to test; the words for people are in `Rejection.reason`."""

    NOT_IN_CATALOGUE = "not-in-catalogue"
    NO_ON_DEMAND_PRICE = "no-on-demand-price"
    REQUIREMENTS_UNMET = "requirements-unmet"
    ADVISOR_RATE_TOO_HIGH = "advisor-rate-too-high"
    PRICE_UNSTABLE = "price-unstable"
    NOT_BELOW_ON_DEMAND = "not-below-on-demand"
    RISK_TOO_HIGH = "risk-too-high"
    EXCLUDED = "excluded"  # by the caller, for a reason of its own
    INTERRUPTED_POOL = "interrupted-pool"
    HIVE_MIND_FLAGGED = "hive-mind-flagged"
    NO_SUBNET_IN_ZONE = "no-subnet-in-zone"


@dataclass(frozen=True, slots=True)
class Exclusion:
    """Why a caller leaves a pool out before ranking: a code and the words."""

    code: RejectionCode
    reason: str


@dataclass(frozen=True, slots=True)
class Rejection:
    """A pool left out, with the reason in plain words and its code."""

    instance_type: str
    availability_zone: str
    reason: str
    code: RejectionCode

    def describe(self) -> str:
        return f"{self.instance_type} {self.availability_zone}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Offering:
    """One Spot pool (instance type x zone) as seen at a moment."""

    instance: InstanceType
    region: str
    availability_zone: str
    az_id: str | None
    spot_price: float
    on_demand_price: float
    advisor: AdvisorEntry | None
    stats: WindowStats | None
    notes: tuple[str, ...] = ()  # facts about the data behind this pool, e.g. a derived On-Demand price

    @property
    def key(self) -> PoolKey:
        return PoolKey(self.instance.name, self.availability_zone)

    @property
    def instance_type(self) -> str:
        return self.instance.name

    @property
    def discount(self) -> float:
        """Share saved against On-Demand, 0..1 (negative when Spot costs more)."""
        return 1.0 - self.spot_price / self.on_demand_price


@dataclass(frozen=True)
class Offerings:
    """A collection of offerings with the queries the engines need."""

    items: tuple[Offering, ...]
    rejected: tuple[Rejection, ...] = field(default=())
    # Answers of `compatible` by requirements: the offerings never change, so neither do they. A price snapshot's
    # offerings serve every choice until the next snapshot, and most choices ask for a shape asked before.
    _compatible: dict[Requirements, Offerings] = field(default_factory=dict, compare=False, repr=False, hash=False)

    def __iter__(self) -> Iterator[Offering]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def compatible(self, requirements: Requirements) -> Offerings:
        """Offerings whose type meets the requirements; the others move to `rejected` with the reason."""
        found = self._compatible.get(requirements)
        if found is None:
            if len(self._compatible) >= 64:  # bounded: a long-lived snapshot asked for many shapes
                self._compatible.clear()
            found = self._compatible.setdefault(requirements, self._meeting(requirements))
        return found

    def _meeting(self, requirements: Requirements) -> Offerings:
        kept: list[Offering] = []
        rejected = list(self.rejected)
        for offering in self.items:
            reason = requirements.mismatch(offering.instance)
            if reason is None:
                kept.append(offering)
            else:
                rejected.append(
                    Rejection(
                        offering.instance_type, offering.availability_zone, reason, RejectionCode.REQUIREMENTS_UNMET
                    )
                )
        return Offerings(tuple(kept), tuple(rejected))

    def by_zone(self) -> dict[str, list[Offering]]:
        zones: dict[str, list[Offering]] = {}
        for offering in self.items:
            zones.setdefault(offering.availability_zone, []).append(offering)
        return zones

    def zones(self) -> list[str]:
        return sorted({o.availability_zone for o in self.items})

    def cheapest(self) -> Offering | None:
        return min(self.items, key=lambda o: (o.spot_price, o.instance_type, o.availability_zone), default=None)

    def cheapest_on_demand(self) -> Offering | None:
        return min(self.items, key=lambda o: (o.on_demand_price, o.instance_type, o.availability_zone), default=None)

    def excluding(self, excluded: Mapping[PoolKey, Exclusion]) -> Offerings:
        """Drop pools named in `excluded` (e.g. flagged by the hive mind), keeping the given reason and code."""
        kept = tuple(o for o in self.items if o.key not in excluded)
        dropped = tuple(
            Rejection(o.instance_type, o.availability_zone, excluded[o.key].reason, excluded[o.key].code)
            for o in self.items
            if o.key in excluded
        )
        return Offerings(kept, self.rejected + dropped)


def build_offerings(
    history: PriceHistory,
    catalog: Catalog,
    on_demand: OnDemandPrices,
    advisor: SpotAdvisor,
    at: int,
    window_days: float = 7.0,
) -> Offerings:
    """Every pool of `history.region` with a known price at `at`; pools that cannot be priced are rejected."""
    region = history.region
    window_start = at - int(window_days * DAY)
    items: list[Offering] = []
    rejected: list[Rejection] = []
    for key in history.pools():
        series = history.series[key]
        spot = series.price_at(at)
        if spot is None:
            continue  # the pool had no price yet at `at`: not an offering at that moment
        instance = catalog.get(key.instance_type)
        if instance is None:
            rejected.append(
                Rejection(
                    key.instance_type,
                    key.availability_zone,
                    "not in the instance catalogue",
                    RejectionCode.NOT_IN_CATALOGUE,
                )
            )
            continue
        entry = advisor.get(region, key.instance_type)
        on_demand_price, notes = _on_demand_price(region, key.instance_type, spot, on_demand, entry)
        if on_demand_price is None:
            rejected.append(
                Rejection(key.instance_type, key.availability_zone, notes[0], RejectionCode.NO_ON_DEMAND_PRICE)
            )
            continue
        items.append(
            Offering(
                instance=instance,
                region=region,
                availability_zone=key.availability_zone,
                az_id=history.az_ids.get(key.availability_zone),
                spot_price=spot,
                on_demand_price=on_demand_price,
                advisor=entry,
                stats=series.window_stats(window_start, at),
                notes=notes,
            )
        )
    return Offerings(tuple(items), tuple(rejected))


def _on_demand_price(
    region: str, instance_type: str, spot: float, on_demand: OnDemandPrices, entry: AdvisorEntry | None
) -> tuple[float | None, tuple[str, ...]]:
    listed = on_demand.get(region, instance_type)
    if listed is not None:
        return listed, ()
    derived = entry.on_demand_price(spot) if entry is not None else None
    if entry is not None and derived is not None:
        return derived, (
            f"On-Demand price ${derived:.4f}/h is derived from the Spot price and Spot Advisor's "
            f"{entry.savings_pct}% savings: no listed On-Demand price for {region}",
        )
    return None, (f"no On-Demand price for {region} and no Spot Advisor savings to derive one",)


def filter_types(catalog: Catalog, requirements: Requirements) -> Sequence[InstanceType]:
    """Catalogue types that meet the requirements (used for On-Demand-only answers)."""
    return [t for t in catalog if requirements.mismatch(t) is None]
