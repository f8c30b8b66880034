"""The waste scan's composition: the tenants' accounts and clusters through their roles (EC2, the Kubernetes API),
their documents, the audit log, and the prices findings are costed with."""

from __future__ import annotations

from cloudoptim.adapters.aws.account_inventory import Ec2AccountInventory
from cloudoptim.adapters.day_zero import ON_DEMAND_FILE, shipped_data_dir
from cloudoptim.adapters.ebs_prices import load_ebs_prices
from cloudoptim.adapters.reference_data import load_on_demand
from cloudoptim.adapters.tenant_access import TenantClusterAccess
from cloudoptim.adapters.waste_price_source import StoredWastePrices
from cloudoptim.settings import WasteSettings
from cloudoptim.waste.ports import WasteDeps
from cloudoptim.wiring.hibernation import tenant_accounts
from cloudoptim.wiring.prices import price_table
from cloudoptim.wiring.tenancy import audit_log, documents


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
