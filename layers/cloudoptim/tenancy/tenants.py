"""The tenant itself: created on its first verified request (sign-up), its settings, and the safe-mode switch."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Mapping

from cloudoptim.audit.log import AuditEntry
from cloudoptim.errors import ConflictError
from cloudoptim.tenancy.deps import TenancyDeps
from cloudoptim.tenancy.ports import Document, Documents, Json
from cloudoptim.tenancy.principal import Action, Principal

TENANT, META = "tenant", "meta"
INDEX = "_index"  # a pseudo-tenant (never a valid tenant id) listing every tenant, for scheduled jobs
SETTINGS, CURRENT = "settings", "current"
DEFAULT_SETTINGS: Json = {"safe_mode": False}


def audit(
    deps: TenancyDeps,
    principal: Principal,
    action: str,
    target: Mapping[str, str],
    now: int,
    *,
    before: Json | None = None,
    after: Json | None = None,
    outcome: str = "ok",
    reasons: tuple[str, ...] = (),
) -> None:
    """One audit entry for a write or an action by a user (before/after are the resource bodies)."""
    # A person's write is never retried by a workflow (the API's Idempotency-Key covers retries): a fresh action id.
    entry = AuditEntry(
        principal.tenant_id, f"api-{uuid.uuid4()}", principal.actor, now, action, target, before, after, outcome,
        reasons, False,
    )  # fmt: skip
    deps.audit.record(entry)


def ensure_tenant(deps: TenancyDeps, principal: Principal, now: int) -> Document:
    """The tenant's record, created the first time one of its users calls (local and Cognito sign-up alike)."""
    found = deps.documents.get(principal.tenant_id, TENANT, META)
    if found is not None:
        return found
    body = {"tenant_id": principal.tenant_id, "created_by": principal.actor}
    try:
        created = deps.documents.create(principal.tenant_id, TENANT, META, body, now)
    except ConflictError:  # two first requests at once: the other one created it
        again = deps.documents.get(principal.tenant_id, TENANT, META)
        assert again is not None
        return again
    with contextlib.suppress(ConflictError):  # a retried sign-up: already listed
        deps.documents.create(INDEX, TENANT, principal.tenant_id, {"created_at": now}, now)
    audit(deps, principal, "tenant.create", {"tenant": principal.tenant_id}, now, after=body)
    return created


def settings(deps: TenancyDeps, principal: Principal) -> Document:
    principal.require(Action.READ)
    found = deps.documents.get(principal.tenant_id, SETTINGS, CURRENT)
    return found or Document(SETTINGS, CURRENT, dict(DEFAULT_SETTINGS), 0, 0, 0)


def safe_mode(documents: Documents, tenant_id: str) -> bool:
    """Whether every workflow of the tenant runs dry (read by the pipeline and the sweeps)."""
    found = documents.get(tenant_id, SETTINGS, CURRENT)
    return bool((found.body if found else DEFAULT_SETTINGS).get("safe_mode", False))


def set_safe_mode(deps: TenancyDeps, principal: Principal, enabled: bool, if_match: int | None, now: int) -> Document:
    principal.require(Action.CONFIGURE)
    current = settings(deps, principal)
    body = {**current.body, "safe_mode": enabled}
    if current.version == 0:
        updated = deps.documents.create(principal.tenant_id, SETTINGS, CURRENT, body, now)
    else:
        updated = deps.documents.replace(
            principal.tenant_id, SETTINGS, CURRENT, body, current.version if if_match is None else if_match, now
        )
    audit(deps, principal, "settings.safe_mode", {"tenant": principal.tenant_id}, now, before=current.body, after=body)
    return updated
