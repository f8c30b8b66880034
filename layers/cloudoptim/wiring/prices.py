"""The scraped Prices table (botocore and pynamodb only: the API reads its stats without the Spot engine's numpy)."""

from __future__ import annotations

from cloudoptim.adapters.aws.price_table import DynamoPriceTable, price_model
from cloudoptim.settings import PricesSettings


def price_table(settings: PricesSettings) -> DynamoPriceTable:
    assert settings.prices_table is not None
    return DynamoPriceTable(price_model(settings.prices_table, settings.endpoint_url, settings.region))
