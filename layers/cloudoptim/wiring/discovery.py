"""Discovery's composition: the clusters' documents, their nodes and node groups through the tenants' roles, and
the Registry's instance items."""

from __future__ import annotations

from cloudoptim.adapters.aws import tables
from cloudoptim.adapters.aws.hive_mind import DynamoHiveMind
from cloudoptim.adapters.tenant_access import TenantClusterAccess
from cloudoptim.discovery.ports import DiscoveryDeps
from cloudoptim.settings import DiscoverySettings
from cloudoptim.wiring import stores
from cloudoptim.wiring.hibernation import tenant_accounts
from cloudoptim.wiring.tenancy import documents


def discovery_deps(settings: DiscoverySettings) -> DiscoveryDeps:
    access = TenantClusterAccess(tenant_accounts(settings), settings.endpoint_url)
    hours = None
    if settings.hive_mind_table:
        hours = DynamoHiveMind(tables.hive_mind_model(settings.hive_mind_table, settings.endpoint_url, settings.region))
    return DiscoveryDeps(
        documents=documents(settings), nodes=access, node_groups=access, instances=stores.registry(settings),
        hours=hours,
    )  # fmt: skip
