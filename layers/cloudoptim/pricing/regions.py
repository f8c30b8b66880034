"""The regions tenants use: every onboarded account's regions, read through the tenant index (Query, not Scan)."""

from __future__ import annotations

from dataclasses import dataclass

from cloudoptim.tenancy.ports import Documents
from cloudoptim.tenancy.tenants import INDEX, TENANT

ACCOUNT = "account"
PAGE = 500


def tenant_ids(documents: Documents) -> list[str]:
    found: list[str] = []
    cursor: str | None = None
    while True:
        page = documents.list(INDEX, TENANT, PAGE, cursor)
        found.extend(item.id for item in page.items)
        if page.cursor is None:
            return found
        cursor = page.cursor


def tenant_regions(documents: Documents, tenant: str) -> set[str]:
    regions: set[str] = set()
    cursor: str | None = None
    while True:
        page = documents.list(tenant, ACCOUNT, PAGE, cursor)
        for account in page.items:
            regions.update(str(r) for r in account.body.get("regions") or ())
        if page.cursor is None:
            return regions
        cursor = page.cursor


@dataclass(frozen=True)
class TenantRegions:
    """`RegionsInUse` over the tenancy documents."""

    documents: Documents

    def regions(self) -> set[str]:
        found: set[str] = set()
        for tenant in tenant_ids(self.documents):
            found |= tenant_regions(self.documents, tenant)
        return found
