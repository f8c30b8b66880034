"""AWS accounts of a tenant (spec P2): onboarding with the tenant's generated ExternalId and a template, verification
by assuming the role (then registration: the keyed records the pipeline reads and the bus policy), removal. An
account belongs to one tenant only: its events are routed by account id."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from pydantic import ValidationError

from cloudoptim.errors import ConflictError, FieldError, NotFoundError
from cloudoptim.interruptions.ports import TenantRecord
from cloudoptim.onboarding import OnboardingRequest, onboarding_template
from cloudoptim.tenancy.deps import TenancyDeps
from cloudoptim.tenancy.ports import Document, Json, Page
from cloudoptim.tenancy.principal import Action, Principal
from cloudoptim.tenancy.registration import AccountRegistration, RegistrationDeps, register_account
from cloudoptim.tenancy.tenants import audit

ACCOUNT = "account"
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")


def role_arn(tenant_id: str, aws_account_id: str) -> str:
    return AccountRegistration(tenant_id, aws_account_id, ()).role_arn


def template(deps: TenancyDeps, tenant_id: str, account: Json) -> Json:
    """The CloudFormation document the customer deploys in that account (StackSet over its regions)."""
    request = OnboardingRequest(
        tenant_id=tenant_id,
        saas_account_id=deps.saas.account_id,
        saas_region=deps.saas.region,
        external_id=deps.external_ids.issue(tenant_id),
        regions=tuple(account["regions"]),
        launch_template_ids=tuple(account["launch_template_ids"]),
        node_role_names=tuple(account["node_role_names"]),
    )
    return onboarding_template(request)


def _request_checked(
    tenant_id: str, saas: Json, regions: Sequence[str], launch_templates: Sequence[str], node_roles: Sequence[str]
) -> None:
    """The template's own rules (launch template ids, named node roles), named by field before anything is stored."""
    try:
        OnboardingRequest(
            tenant_id=tenant_id, saas_account_id=str(saas["account_id"]), external_id="x" * 43,
            regions=tuple(regions), launch_template_ids=tuple(launch_templates), node_role_names=tuple(node_roles),
        )  # fmt: skip
    except ValidationError as exc:
        problem = exc.errors()[0]
        field = str(problem.get("loc", ("request",))[0])
        raise FieldError(field, str(problem.get("msg", "invalid")).removeprefix("Value error, ")) from None


def create(
    deps: TenancyDeps,
    principal: Principal,
    aws_account_id: str,
    regions: Sequence[str],
    launch_templates: Sequence[str],
    node_roles: Sequence[str],
    now: int,
) -> Document:
    principal.require(Action.CONFIGURE)
    if not _ACCOUNT_ID.match(aws_account_id):
        raise FieldError("aws_account_id", f"an AWS account id is 12 digits, got {aws_account_id!r}")
    _check_regions(regions)
    _request_checked(principal.tenant_id, {"account_id": deps.saas.account_id}, regions, launch_templates, node_roles)
    tenant = principal.tenant_id
    if deps.documents.get(tenant, ACCOUNT, aws_account_id) is not None:
        raise ConflictError(f"account {aws_account_id} is already onboarded")
    deps.registry.claim_account(aws_account_id, tenant)  # AccountTakenError (409) when another tenant holds it
    deps.external_ids.issue(tenant)
    body = {
        "aws_account_id": aws_account_id,
        "regions": list(regions),
        "launch_template_ids": list(dict.fromkeys(launch_templates)),
        "node_role_names": list(node_roles),
        "role_arn": role_arn(tenant, aws_account_id),
        "status": "pending",
        "verification": None,
    }
    try:
        created = deps.documents.create(tenant, ACCOUNT, aws_account_id, body, now)
    except ConflictError:
        raise ConflictError(f"account {aws_account_id} is already onboarded") from None
    audit(deps, principal, "account.create", {"account": aws_account_id}, now, after=body)
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
    """Assume the account's role as the product does and try each read; when the role works, register the account
    (the keyed records ingest resolves notices with, and the bus policy that lets its events in)."""
    principal.require(Action.ACT)
    current = get(deps, principal, aws_account_id)
    body = dict(current.body)
    regions = tuple(body["regions"])
    record = TenantRecord(principal.tenant_id, aws_account_id, str(body["role_arn"]), regions)
    found = deps.accounts.verify(record)
    reasons = list(found.reasons)
    if found.assumed:
        registration = RegistrationDeps(deps.external_ids, deps.registry, deps.bus, deps.role_check)
        register_account(AccountRegistration(principal.tenant_id, aws_account_id, regions), registration)
        reasons.append("registered: its notices reach CloudOptim's bus and resolve to this tenant")
    status = "failed" if not found.assumed else ("verified" if all(found.checks.values()) else "degraded")
    verification = {"at": now, "assumed": found.assumed, "checks": dict(found.checks), "reasons": reasons}
    body.update(status=status, verification=verification)
    updated = deps.documents.replace(principal.tenant_id, ACCOUNT, aws_account_id, body, current.version, now)
    audit(
        deps, principal, "account.verify", {"account": aws_account_id}, now,
        before=current.body, after=body, outcome=status, reasons=tuple(reasons),
    )  # fmt: skip
    return updated


def delete(deps: TenancyDeps, principal: Principal, aws_account_id: str, if_match: int | None, now: int) -> None:
    principal.require(Action.CONFIGURE)
    current = get(deps, principal, aws_account_id)
    clusters = deps.documents.list(principal.tenant_id, "cluster", 1000).items
    users = [c.id for c in clusters if c.body.get("account_id") == aws_account_id]
    if users:
        raise ConflictError(f"account {aws_account_id} still has clusters: {', '.join(sorted(users))}")
    version = current.version if if_match is None else if_match
    deps.documents.delete(principal.tenant_id, ACCOUNT, aws_account_id, version)
    deps.registry.release_account(aws_account_id, principal.tenant_id)
    audit(deps, principal, "account.delete", {"account": aws_account_id}, now, before=current.body)


def template_json(deps: TenancyDeps, principal: Principal, aws_account_id: str) -> str:
    account = get(deps, principal, aws_account_id)
    return json.dumps(template(deps, principal.tenant_id, account.body), indent=2)
