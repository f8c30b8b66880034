"""The Spot market the engines read: the scraped Prices table over the shipped data (or the shipped data alone)."""

from __future__ import annotations

from cloudoptim.adapters.aws.price_table import DynamoPriceTable, price_model
from cloudoptim.adapters.day_zero import load_day_zero
from cloudoptim.adapters.market import DayZeroMarket
from cloudoptim.adapters.stored_market import StoredMarket
from cloudoptim.interruptions.choose import Market
from cloudoptim.settings import PricesSettings


def price_table(settings: PricesSettings) -> DynamoPriceTable:
    assert settings.prices_table is not None
    return DynamoPriceTable(price_model(settings.prices_table, settings.endpoint_url, settings.region))


def market(settings: PricesSettings) -> Market:
    data = load_day_zero()
    if settings.prices_table is None:
        return DayZeroMarket(data)
    return StoredMarket(price_table(settings), data)
