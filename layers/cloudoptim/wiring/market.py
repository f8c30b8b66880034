"""The Spot market the engines read: the scraped Prices table over the shipped data (or the shipped data alone)."""

from __future__ import annotations

from cloudoptim.adapters.day_zero import DayZeroData, load_day_zero
from cloudoptim.adapters.market import DayZeroMarket
from cloudoptim.adapters.stored_market import StoredMarket
from cloudoptim.interruptions.choose import Market
from cloudoptim.settings import PricesSettings
from cloudoptim.wiring.prices import price_table


def market(settings: PricesSettings, data: DayZeroData | None = None) -> Market:
    data = data or load_day_zero()
    if settings.prices_table is None:
        return DayZeroMarket(data)
    return StoredMarket(price_table(settings), data)
