"""What the tenancy use cases need, wired once per process by the API's composition root."""

from __future__ import annotations

from dataclasses import dataclass

from cloudoptim.tenancy.ports import (
    AccountProbe,
    AuditLog,
    ClusterProbe,
    ClusterTokens,
    Directory,
    Documents,
    ExternalIds,
    RequestLog,
    Signer,
)


@dataclass(frozen=True)
class SaasIdentity:
    """Where customers' roles trust and their events go."""

    account_id: str
    region: str


@dataclass(frozen=True)
class TenancyDeps:
    documents: Documents
    audit: AuditLog
    requests: RequestLog
    external_ids: ExternalIds
    accounts: AccountProbe
    clusters: ClusterProbe
    tokens: ClusterTokens
    directory: Directory
    signer: Signer
    saas: SaasIdentity
