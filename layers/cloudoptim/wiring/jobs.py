"""The scheduled jobs' composition: pricing (EC2, the Pricing API, S3, the Prices table), discovery and the waste
scan (the tenants' accounts and clusters through their roles)."""

from __future__ import annotations

import time
from typing import Any

from cloudoptim.adapters.aws import clients
from cloudoptim.adapters.aws.account_inventory import Ec2AccountInventory
from cloudoptim.adapters.aws.advisor_source import S3AdvisorSource, public_s3
from cloudoptim.adapters.aws.price_archive import S3PriceArchive
from cloudoptim.adapters.aws.pricing_api import PricingApiOnDemand
from cloudoptim.adapters.aws.spot_history import Ec2SpotHistory
from cloudoptim.adapters.day_zero import ON_DEMAND_FILE, shipped_data_dir
from cloudoptim.adapters.ebs_prices import load_ebs_prices
from cloudoptim.adapters.reference_data import load_on_demand
from cloudoptim.adapters.tenant_access import TenantClusterAccess
from cloudoptim.adapters.waste_price_source import StoredWastePrices
from cloudoptim.discovery.ports import DiscoveryDeps
from cloudoptim.pricing.regions import TenantRegions
from cloudoptim.pricing.scrape import PricingDeps
from cloudoptim.settings import DiscoverySettings, ScrapeSettings, WasteSettings
from cloudoptim.waste.ports import WasteDeps
from cloudoptim.wiring import stores
from cloudoptim.wiring.hibernation import tenant_accounts
from cloudoptim.wiring.prices import price_table
from cloudoptim.wiring.tenancy import audit_log, documents


def pricing_deps(settings: ScrapeSettings) -> PricingDeps:
    def ec2_for(region: str) -> Any:  # the SaaS account's own view of Spot prices (zones mapped to AZ IDs)
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


def waste_deps(settings: WasteSettings) -> WasteDeps:
    accounts = tenant_accounts(settings)
    shipped = load_on_demand(shipped_data_dir() / ON_DEMAND_FILE)
    prices = StoredWastePrices(price_table(settings) if settings.prices_table else None, shipped, load_ebs_prices())
    return WasteDeps(
        documents=documents(settings),
        audit=audit_log(settings),
        inventory=Ec2AccountInventory(accounts),
        nodes=TenantClusterAccess(accounts, settings.endpoint_url),
        prices=prices,
    )


def discovery_deps(settings: DiscoverySettings) -> DiscoveryDeps:
    access = TenantClusterAccess(tenant_accounts(settings), settings.endpoint_url)
    return DiscoveryDeps(
        documents=documents(settings),
        nodes=access,
        node_groups=access,
        instances=stores.registry(settings),
    )
