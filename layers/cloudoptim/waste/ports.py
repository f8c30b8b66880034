"""Narrow ports of the waste scan."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from cloudoptim.audit.log import AuditLog
from cloudoptim.discovery.ports import ClusterNodes
from cloudoptim.tenancy.ports import Documents, Json
from engines.waste.model import Inventory, Prices


class AccountInventory(Protocol):
    def inventory(self, tenant: str, account: Json, region: str) -> Inventory:
        """Instances, volumes and Elastic IPs of one account region; `flows` None with a note saying whether flow
        logs exist (reading them is not granted yet). `cluster_nodes` is left empty: the scan adds it."""
        ...


class WastePriceSource(Protocol):
    def prices(self, region: str, now: int) -> Prices: ...


@dataclass(frozen=True)
class WasteDeps:
    documents: Documents
    audit: AuditLog
    inventory: AccountInventory
    nodes: ClusterNodes
    prices: WastePriceSource
