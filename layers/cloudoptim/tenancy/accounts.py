"""AWS accounts of a tenant (spec P2): onboarding with a generated ExternalId and template, verification by
assuming the role, removal. An account belongs to one tenant only (its events are routed by account id)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from cloudoptim.errors import ConflictError, FieldError, NotFoundError
from cloudoptim.onboarding import ACCESS_ROLE_PREFIX, OnboardingRequest, onboarding_template
from cloudoptim.tenancy.deps import TenancyDeps
from cloudoptim.tenancy.ports import Document, Json, Page
from cloudoptim.tenancy.principal import Action, Principal
from cloudoptim.tenancy.tenants import audit

ACCOUNT = "account"
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")


def role_arn(tenant_id: str, aws_account_id: str) -> str:
    return f"arn:aws:iam::{aws_account_id}:role/{ACCESS_ROLE_PREFIX}{tenant_id}"


def template(deps: TenancyDeps, tenant_id: str, aws_account_id: str, regions: Sequence[str]) -> Json:
    """The CloudFormation document the customer deploys in that account (StackSet over `regions`)."""
    request = OnboardingRequest(
        tenant_id=tenant_id,
        saas_account_id=deps.saas.account_id,
        saas_region=deps.saas.region,
        external_id=deps.external_ids.read(tenant_id, aws_account_id),
        regions=tuple(regions),
    )
    return onboarding_template(request)


def create(deps: TenancyDeps, principal: Principal, aws_account_id: str, regions: Sequence[str], now: int) -> Document:
    principal.require(Action.CONFIGURE)
    if not _ACCOUNT_ID.match(aws_account_id):
        raise FieldError("aws_account_id", f"an AWS account id is 12 digits, got {aws_account_id!r}")
    _check_regions(regions)
    tenant = principal.tenant_id
    if deps.documents.get(tenant, ACCOUNT, aws_account_id) is not None:
        raise ConflictError(f"account {aws_account_id} is already onboarded")
    if not deps.documents.claim_owner(f"ACCOUNT#{aws_account_id}", tenant):
        raise ConflictError(f"account {aws_account_id} is onboarded by another CloudOptim tenant")
    deps.external_ids.create(tenant, aws_account_id)
    body = {
        "aws_account_id": aws_account_id,
        "regions": list(regions),
        "role_arn": role_arn(tenant, aws_account_id),
        "status": "pending",
        "verification": None,
    }
    try:
        created = deps.documents.create(tenant, ACCOUNT, aws_account_id, body, now)
    except ConflictError:
        raise ConflictError(f"account {aws_account_id} is already onboarded") from None
    audit(deps, principal, "account.create", f"account/{aws_account_id}", now, after=body)
    return created


def _check_regions(regions: Sequence[str]) -> None:
    if not regions:
        raise FieldError("regions", "at least one region where the account runs clusters")
    for index, region in enumerate(regions):
        if not _REGION.match(region):
            raise FieldError(f"regions[{index}]", f"{region!r} is not an AWS region such as 'eu-west-1'")
    if len(set(regions)) != len(regions):
        raise FieldError("regions", "a region is listed twice")


def get(deps: TenancyDeps, principal: Principal, aws_account_id: str) -> Document:
    principal.require(Action.READ)
    found = deps.documents.get(principal.tenant_id, ACCOUNT, aws_account_id)
    if found is None:
        raise NotFoundError(f"account {aws_account_id} not found")
    return found


def listed(deps: TenancyDeps, principal: Principal, limit: int, cursor: str | None) -> Page:
    principal.require(Action.READ)
    return deps.documents.list(principal.tenant_id, ACCOUNT, limit, cursor)


def verify(deps: TenancyDeps, principal: Principal, aws_account_id: str, now: int) -> Document:
    """Assume the account's role with its ExternalId and record what CloudOptim could and could not do."""
    principal.require(Action.ACT)
    current = get(deps, principal, aws_account_id)
    body = dict(current.body)
    external_id = deps.external_ids.read(principal.tenant_id, aws_account_id)
    found = deps.accounts.verify(aws_account_id, str(body["role_arn"]), external_id, list(body["regions"]))
    status = "failed" if not found.assumed else ("verified" if all(found.checks.values()) else "degraded")
    body.update(
        status=status,
        verification={
            "at": now,
            "assumed": found.assumed,
            "checks": dict(found.checks),
            "reasons": list(found.reasons),
        },
    )
    updated = deps.documents.replace(principal.tenant_id, ACCOUNT, aws_account_id, body, current.version, now)
    audit(
        deps, principal, "account.verify", f"account/{aws_account_id}", now,
        before=current.body, after=body, outcome=status, reasons=found.reasons,
    )  # fmt: skip
    return updated


def delete(deps: TenancyDeps, principal: Principal, aws_account_id: str, if_match: int | None, now: int) -> None:
    principal.require(Action.CONFIGURE)
    current = get(deps, principal, aws_account_id)
    clusters = deps.documents.list(principal.tenant_id, "cluster", 1000).items
    users = [c.id for c in clusters if c.body.get("account_id") == aws_account_id]
    if users:
        raise ConflictError(f"account {aws_account_id} still has clusters: {', '.join(sorted(users))}")
    deps.documents.delete(
        principal.tenant_id, ACCOUNT, aws_account_id, current.version if if_match is None else if_match
    )
    deps.external_ids.delete(principal.tenant_id, aws_account_id)
    deps.documents.release_owner(f"ACCOUNT#{aws_account_id}", principal.tenant_id)
    audit(deps, principal, "account.delete", f"account/{aws_account_id}", now, before=current.body)


def template_json(deps: TenancyDeps, principal: Principal, aws_account_id: str) -> str:
    account = get(deps, principal, aws_account_id)
    return json.dumps(template(deps, principal.tenant_id, aws_account_id, list(account.body["regions"])), indent=2)
