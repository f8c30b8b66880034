"""EKS clusters of a tenant (spec P3): registered under an onboarded account, reached through the account's role
(an EKS token) or a service-account token kept in Secrets Manager, checked on demand, with a generated RBAC
manifest granting only what CloudOptim uses."""

from __future__ import annotations

import re
from typing import Any, Literal

from cloudoptim.errors import ConflictError, FieldError, NotFoundError
from cloudoptim.tenancy import accounts
from cloudoptim.tenancy.deps import TenancyDeps
from cloudoptim.tenancy.ports import Document, Json, Page
from cloudoptim.tenancy.principal import Action, Principal
from cloudoptim.tenancy.tenants import audit

CLUSTER = "cluster"
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,99}$")  # EKS cluster names


def create(
    deps: TenancyDeps,
    principal: Principal,
    account_id: str,
    name: str,
    region: str,
    credentials: Literal["eks", "secret"],
    token: str | None,
    now: int,
) -> Document:
    principal.require(Action.CONFIGURE)
    if not _NAME.match(name):
        raise FieldError("name", "an EKS cluster name: a letter, then up to 99 letters, digits, '-' or '_'")
    try:
        account = accounts.get(deps, principal, account_id)
    except NotFoundError:
        raise FieldError("account_id", f"account {account_id!r} is not onboarded in this tenant") from None
    if region not in account.body.get("regions", []):
        raise FieldError("region", f"{region!r} is not one of account {account_id}'s regions")
    if credentials == "secret" and not token:
        raise FieldError("token", "a service-account token is needed when credentials is 'secret'")
    if credentials == "eks" and token:
        raise FieldError("token", "only with credentials 'secret': EKS access uses the account's role")
    if deps.documents.get(principal.tenant_id, CLUSTER, name) is not None:
        raise ConflictError(f"cluster {name} is already registered")
    access: dict[str, str] = {"kind": credentials}
    if token:
        access["secret_arn"] = deps.tokens.put(principal.tenant_id, name, token)
    body = {
        "name": name,
        "account_id": account_id,
        "region": region,
        "credentials": access,
        "status": "pending",
        "endpoint": None,
        "ca_data": None,
        "connection": None,
        "node_groups": {},
    }
    created = deps.documents.create(principal.tenant_id, CLUSTER, name, body, now)
    audit(deps, principal, "cluster.create", {"cluster": name}, now, after=body)
    return created


def get(deps: TenancyDeps, principal: Principal, name: str) -> Document:
    principal.require(Action.READ)
    found = deps.documents.get(principal.tenant_id, CLUSTER, name)
    if found is None:
        raise NotFoundError(f"cluster {name} not found")
    return found


def listed(deps: TenancyDeps, principal: Principal, limit: int, cursor: str | None) -> Page:
    principal.require(Action.READ)
    return deps.documents.list(principal.tenant_id, CLUSTER, limit, cursor)


def check(deps: TenancyDeps, principal: Principal, name: str, now: int) -> Document:
    """Describe the cluster through the account's role, then call its API: record endpoint, CA and what worked."""
    principal.require(Action.ACT)
    current = get(deps, principal, name)
    account = accounts.get(deps, principal, str(current.body["account_id"]))
    found = deps.clusters.check(principal.tenant_id, current.body, account.body)
    body = dict(current.body)
    body["status"] = "connected" if found.reachable else "unreachable"
    connection: dict[str, Any] = {"at": now, "checks": dict(found.checks), "reasons": list(found.reasons)}
    if found.version:
        connection["version"] = found.version
    body["connection"] = connection
    if found.endpoint:
        body["endpoint"], body["ca_data"] = found.endpoint, found.ca_data
    updated = deps.documents.replace(principal.tenant_id, CLUSTER, name, body, current.version, now)
    audit(
        deps, principal, "cluster.check", {"cluster": name}, now,
        before=_public(current.body), after=_public(body), outcome=str(body["status"]), reasons=found.reasons,
    )  # fmt: skip
    return updated


def delete(deps: TenancyDeps, principal: Principal, name: str, if_match: int | None, now: int) -> None:
    principal.require(Action.CONFIGURE)
    current = get(deps, principal, name)
    deps.documents.delete(principal.tenant_id, CLUSTER, name, current.version if if_match is None else if_match)
    if current.body.get("credentials", {}).get("kind") == "secret":
        deps.tokens.delete(principal.tenant_id, name)
    deps.documents.delete(principal.tenant_id, "policy", name)
    audit(deps, principal, "cluster.delete", {"cluster": name}, now, before=_public(current.body))


def _public(body: Json) -> dict[str, Any]:
    """What the audit keeps of a cluster: not its CA bundle (long, and public anyway through EKS)."""
    return {k: v for k, v in body.items() if k != "ca_data"}
