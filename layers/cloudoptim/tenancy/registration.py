"""Account onboarding as the SaaS runs it: issue the ExternalId (with the template), then register the account.

Issue 13's `POST /v1/accounts` calls these; local mode registers its tenant through them too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cloudoptim.errors import InvalidArgumentError
from cloudoptim.interruptions.ports import TenantRecord
from cloudoptim.onboarding import ACCESS_ROLE_PREFIX
from cloudoptim.tenancy.ports import BusPolicy, ExternalIds, RoleCheck, TenantDirectory

_ACCOUNT = re.compile(r"^\d{12}$")


@dataclass(frozen=True)
class RegistrationDeps:
    external_ids: ExternalIds
    directory: TenantDirectory
    bus: BusPolicy
    role_check: RoleCheck


@dataclass(frozen=True)
class AccountRegistration:
    tenant_id: str
    account_id: str
    regions: tuple[str, ...]
    partition: str = "aws"

    @property
    def role_arn(self) -> str:
        return f"arn:{self.partition}:iam::{self.account_id}:role/{ACCESS_ROLE_PREFIX}{self.tenant_id}"


def issue_external_id(tenant_id: str, external_ids: ExternalIds) -> str:
    """The ExternalId to put in the tenant's onboarding template (the same one if asked again)."""
    return external_ids.issue(tenant_id)


def register_account(registration: AccountRegistration, deps: RegistrationDeps) -> TenantRecord:
    """Verify the role, record the tenant and its account (keyed, so ingest never scans), open the bus to it.

    The ExternalId must have been issued first: it is what the customer's trust policy demands.
    """
    if not _ACCOUNT.match(registration.account_id):
        raise InvalidArgumentError(f"an AWS account id is 12 digits, got {registration.account_id!r}")
    if not registration.regions:
        raise InvalidArgumentError("a tenant account needs at least one region")
    deps.external_ids.get(registration.tenant_id)
    tenant = TenantRecord(registration.tenant_id, registration.account_id, registration.role_arn, registration.regions)
    deps.role_check.verify(tenant)
    deps.directory.register_tenant(tenant)
    deps.bus.allow_account(registration.account_id)
    return tenant
