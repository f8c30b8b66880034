"""Ports of tenant registration; adapters in cloudoptim.adapters.aws (Secrets Manager, EventBridge, DynamoDB)."""

from __future__ import annotations

from typing import Protocol

from cloudoptim.interruptions.ports import TenantRecord


class ExternalIds(Protocol):
    """Per-tenant ExternalIds, kept where only the assume-role path may read them."""

    def issue(self, tenant_id: str) -> str:
        """The tenant's ExternalId, generated and stored on first call; the same one on every later call."""
        ...

    def get(self, tenant_id: str) -> str:
        """The stored ExternalId; RecordNotFoundError when none was issued."""
        ...


class BusPolicy(Protocol):
    """The SaaS bus's resource policy: which customer accounts may forward which events to it."""

    def allow_account(self, account_id: str) -> None: ...


class TenantDirectory(Protocol):
    """Registry writes of a registration: `TENANT#<t>`/`META` and `ACCOUNT#<account>`/`TENANT`."""

    def register_tenant(self, tenant: TenantRecord) -> None:
        """AccountTakenError when the account already belongs to another tenant."""
        ...


class RoleCheck(Protocol):
    """Proves the tenant deployed the template: assume its role with its ExternalId (spec P2)."""

    def verify(self, tenant: TenantRecord) -> None: ...
