"""File adapters for pricing data: one import point for the CLI and the Lambdas.

The loaders live in reference_data.py (Spot Advisor, catalogue, On-Demand) and spot_prices.py (Spot price
history); every one raises InputFileError with one line naming the file when it cannot use it.
"""

from __future__ import annotations

from cloudoptim.adapters.reference_data import load_catalog, load_on_demand, load_spot_advisor
from cloudoptim.adapters.spot_prices import LINUX_PRODUCTS, load_price_history

__all__ = ["LINUX_PRODUCTS", "load_catalog", "load_on_demand", "load_price_history", "load_spot_advisor"]
