"""The pricing jobs' composition: EC2 (the SaaS account's own view of Spot prices), the Pricing API, the public
Spot Advisor object, the archive bucket, the Prices table and the tenants' regions. No numpy, no Kubernetes."""

from __future__ import annotations

import time
from typing import Any

from cloudoptim.adapters.aws import clients
from cloudoptim.adapters.aws.advisor_source import S3AdvisorSource, public_s3
from cloudoptim.adapters.aws.price_archive import S3PriceArchive
from cloudoptim.adapters.aws.pricing_api import PricingApiOnDemand
from cloudoptim.adapters.aws.spot_history import Ec2SpotHistory
from cloudoptim.pricing.regions import TenantRegions
from cloudoptim.pricing.scrape import PricingDeps
from cloudoptim.settings import ScrapeSettings
from cloudoptim.wiring.prices import price_table
from cloudoptim.wiring.tenancy import documents


def pricing_deps(settings: ScrapeSettings) -> PricingDeps:
    def ec2_for(region: str) -> Any:
        return clients.client("ec2", region, settings.endpoint_url)

    pricing = clients.client("pricing", settings.pricing_region, settings.pricing_endpoint_url or settings.endpoint_url)
    s3 = clients.client("s3", settings.region, settings.endpoint_url)
    return PricingDeps(
        spot=Ec2SpotHistory(ec2_for),
        on_demand=PricingApiOnDemand(pricing),
        advisor=S3AdvisorSource(public_s3(settings.region, settings.endpoint_url), settings.advisor_bucket),
        archive=S3PriceArchive(s3, settings.price_archive_bucket),
        table=price_table(settings),
        regions=TenantRegions(documents(settings)),
        clock=time.monotonic,
    )
