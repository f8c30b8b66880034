"""Load what the Spot commands need: the user's files where given, the shipped Day-Zero data otherwise."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cli.timeparse import iso
from cloudoptim.adapters.day_zero import (
    CATALOG_FILE,
    ON_DEMAND_FILE,
    SPOT_ADVISOR_FILE,
    SPOT_PRICES_FILE,
    shipped_data_dir,
)
from cloudoptim.adapters.reference_data import load_catalog, load_on_demand, load_spot_advisor
from cloudoptim.adapters.spot_prices import load_price_history
from cloudoptim.errors import UnknownRegionError
from engines.spot.model import Catalog, OnDemandPrices, PriceHistory, SpotAdvisor


@dataclass(frozen=True)
class SpotInputs:
    history: PriceHistory
    catalog: Catalog
    on_demand: OnDemandPrices
    advisor: SpotAdvisor
    prices_source: str

    def newest_price_time(self) -> int:
        last = self.history.last_time()
        assert last is not None  # load_spot_inputs refuses an empty history
        return last

    def describe(self) -> str:
        first, last = self.history.first_time(), self.history.last_time()
        span = f"{iso(first)}..{iso(last)}" if first is not None and last is not None else "no prices"
        return (
            f"spot prices: {self.prices_source} {span}; Spot Advisor snapshot {self.advisor.snapshot}; "
            f"{len(self.history.series)} pools"
        )


def load_spot_inputs(region: str, prices: Sequence[str] | None, advisor: str | None) -> SpotInputs:
    """Read prices for `region` (unknown regions are refused, naming the ones the data covers)."""
    data = shipped_data_dir()
    price_paths = [Path(p) for p in prices] if prices else [data / SPOT_PRICES_FILE]
    histories = load_price_history(price_paths, None)
    history = histories.get(region)
    if history is None or not history.series:
        covered = ", ".join(sorted(histories)) or "none"
        raise UnknownRegionError(f"unknown region {region!r}: the spot price data covers {covered}")
    return SpotInputs(
        history=history,
        catalog=load_catalog(data / CATALOG_FILE),
        on_demand=load_on_demand(data / ON_DEMAND_FILE),
        advisor=load_spot_advisor(Path(advisor) if advisor else data / SPOT_ADVISOR_FILE),
        prices_source="given files" if prices else "shipped snapshot",
    )
