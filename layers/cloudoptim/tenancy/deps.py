"""What the tenancy use cases need, wired once per process by the API's composition root."""

from __future__ import annotations

from dataclasses import dataclass

from cloudoptim.audit.log import AuditStore
from cloudoptim.tenancy.ports import (
    AccountProbe,
    BusPolicy,
    ClusterProbe,
    ClusterTokens,
    Documents,
    ExternalIds,
    RequestLog,
    RoleCheck,
    Signer,
    TenantDirectory,
    UserDirectory,
)


@dataclass(frozen=True)
class SaasIdentity:
    """Where customers' roles trust and their events go."""

    account_id: str
    region: str


@dataclass(frozen=True)
class TenancyDeps:
    documents: Documents
    audit: AuditStore
    requests: RequestLog
    external_ids: ExternalIds
    accounts: AccountProbe
    clusters: ClusterProbe
    tokens: ClusterTokens
    users: UserDirectory
    registry: TenantDirectory
    bus: BusPolicy
    role_check: RoleCheck
    signer: Signer
    saas: SaasIdentity
