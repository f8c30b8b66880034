"""The Day-Zero data shipped inside the package (layers/cloudoptim/data/, see its PROVENANCE.md).

It lets the CLI answer before a user has pulled anything from their own account: a catalogue, Spot Advisor
buckets, On-Demand prices for three regions and a recent slice of Spot prices for the default regions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cloudoptim.adapters.reference_data import load_catalog, load_on_demand, load_spot_advisor
from cloudoptim.adapters.spot_prices import load_price_history
from engines.spot.model import Catalog, OnDemandPrices, PriceHistory, SpotAdvisor

SPOT_ADVISOR_FILE = "spot-advisor_2025-06-28.json.gz"
CATALOG_FILE = "instance-catalog.csv"
ON_DEMAND_FILE = "on-demand-linux.csv"
SPOT_PRICES_FILE = "spot-prices-latest.tsv.xz"


@dataclass(frozen=True, slots=True)
class DayZeroData:
    """The shipped reference data, loaded. `spot_prices` is keyed by region."""

    catalog: Catalog
    advisor: SpotAdvisor
    on_demand: OnDemandPrices
    spot_prices: Mapping[str, PriceHistory]

    def price_history(self, region: str) -> PriceHistory | None:
        """The shipped Spot price history of `region`, None when the shipped slice does not cover it."""
        return self.spot_prices.get(region)


def shipped_data_dir() -> Path:
    """The directory of the shipped data files (package data of `cloudoptim`)."""
    # Path(__file__) rather than importlib.resources: the files are read by path (compression sniffing,
    # error messages naming them) and the package is never installed zipped.
    return Path(__file__).resolve().parent.parent / "data"


def load_day_zero(data_dir: Path | None = None) -> DayZeroData:
    """Load all shipped files (about 0.2 s); `data_dir` overrides the package directory (tests)."""
    folder = data_dir if data_dir is not None else shipped_data_dir()
    return DayZeroData(
        catalog=load_catalog(folder / CATALOG_FILE),
        advisor=load_spot_advisor(folder / SPOT_ADVISOR_FILE),
        on_demand=load_on_demand(folder / ON_DEMAND_FILE),
        spot_prices=load_price_history(folder / SPOT_PRICES_FILE),
    )
