"""`OnDemandSource` on the AWS Pricing API (GetProducts, paginated with NextToken): Linux, shared tenancy, no
pre-installed software, On-Demand, per instance type. The Pricing API answers from us-east-1 (or eu-central-1,
ap-south-1) whatever region the prices are for."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cloudoptim.adapters.aws.errors import translate
from cloudoptim.pricing.ports import OnDemandFetch

FILTERS = {
    "operatingSystem": "Linux",
    "tenancy": "Shared",
    "preInstalledSw": "NA",
    "capacitystatus": "Used",
    "licenseModel": "No License required",
    "marketoption": "OnDemand",
}
PAGE_SIZE = 100


def hourly_price(product: dict[str, Any]) -> tuple[str, float] | None:
    """(instance type, USD per hour) of a price-list product, None when it has no hourly On-Demand price.

    >>> hourly_price({"product": {"attributes": {"instanceType": "m5.large"}}, "terms": {"OnDemand": {"a": {
    ...     "priceDimensions": {"b": {"unit": "Hrs", "pricePerUnit": {"USD": "0.1070000000"}}}}}}})
    ('m5.large', 0.107)
    """
    instance_type = product.get("product", {}).get("attributes", {}).get("instanceType")
    for term in (product.get("terms", {}).get("OnDemand") or {}).values():
        for dimension in (term.get("priceDimensions") or {}).values():
            usd = dimension.get("pricePerUnit", {}).get("USD")
            if instance_type and dimension.get("unit") == "Hrs" and usd is not None and float(usd) > 0:
                return str(instance_type), float(usd)
    return None


class PricingApiOnDemand:
    def __init__(self, pricing: Any, page_size: int = PAGE_SIZE) -> None:
        self._pricing = pricing
        self._page_size = page_size

    def prices(self, region: str) -> OnDemandFetch:
        filters = [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in {**FILTERS, "regionCode": region}.items()]
        found: dict[str, float] = {}
        pages = 0
        token: str | None = None
        while True:
            request: dict[str, Any] = {"ServiceCode": "AmazonEC2", "Filters": filters, "FormatVersion": "aws_v1",
                                       "MaxResults": self._page_size}  # fmt: skip
            if token:
                request["NextToken"] = token
            try:
                page = self._pricing.get_products(**request)
            except (ClientError, BotoCoreError) as exc:
                raise translate(exc, f"Pricing GetProducts {region} page {pages + 1}") from exc
            pages += 1
            for raw in page.get("PriceList", []):
                priced = hourly_price(json.loads(raw) if isinstance(raw, str) else raw)
                if priced is not None:
                    # Several SKUs can remain for one type (e.g. capacity blocks); the lowest is the plain one.
                    found[priced[0]] = min(priced[1], found.get(priced[0], priced[1]))
            token = page.get("NextToken") or None
            if token is None:
                return OnDemandFetch(found, pages)
