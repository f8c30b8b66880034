"""Users of a tenant and their roles; the identity provider holds them, this keeps the tenant's list."""

from __future__ import annotations

import re

from cloudoptim.errors import ConflictError, FieldError, NotFoundError, PreconditionRequiredError
from cloudoptim.tenancy.deps import TenancyDeps
from cloudoptim.tenancy.ports import Document, Page
from cloudoptim.tenancy.principal import Action, Principal, Role
from cloudoptim.tenancy.tenants import audit

USER = "user"
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,253}\.[A-Za-z]{2,63}$")


def invite(deps: TenancyDeps, principal: Principal, email: str, role: Role, now: int) -> Document:
    principal.require(Action.MANAGE_USERS)
    if not _EMAIL.match(email):
        raise FieldError("email", f"{email!r} is not an email address")
    taken = [u for u in deps.documents.list(principal.tenant_id, USER, 1000).items if u.body.get("email") == email]
    if taken:
        raise ConflictError(f"{email} is already a user of this tenant")
    subject = deps.users.invite(principal.tenant_id, email, role.value)
    body = {"email": email, "role": role.value, "invited_by": principal.actor}
    created = deps.documents.create(principal.tenant_id, USER, subject, body, now)
    audit(deps, principal, "user.invite", {"user": subject}, now, after=body)
    return created


def get(deps: TenancyDeps, principal: Principal, subject: str) -> Document:
    principal.require(Action.MANAGE_USERS)
    found = deps.documents.get(principal.tenant_id, USER, subject)
    if found is None:
        raise NotFoundError(f"user {subject} not found")
    return found


def listed(deps: TenancyDeps, principal: Principal, limit: int, cursor: str | None) -> Page:
    principal.require(Action.MANAGE_USERS)
    return deps.documents.list(principal.tenant_id, USER, limit, cursor)


def set_role(
    deps: TenancyDeps, principal: Principal, subject: str, role: Role, if_match: int | None, now: int
) -> Document:
    current = get(deps, principal, subject)
    if if_match is None:
        raise PreconditionRequiredError("send If-Match with the ETag of the user you read")
    if subject == principal.subject and role != Role.ADMIN:
        raise ConflictError("an admin cannot demote themselves: ask another admin")
    body = {**current.body, "role": role.value}
    updated = deps.documents.replace(principal.tenant_id, USER, subject, body, if_match, now)
    deps.users.set_role(principal.tenant_id, subject, role.value)
    audit(deps, principal, "user.set_role", {"user": subject}, now, before=current.body, after=body)
    return updated


def remove(deps: TenancyDeps, principal: Principal, subject: str, if_match: int | None, now: int) -> None:
    current = get(deps, principal, subject)
    if subject == principal.subject:
        raise ConflictError("an admin cannot remove themselves: ask another admin")
    deps.documents.delete(principal.tenant_id, USER, subject, current.version if if_match is None else if_match)
    deps.users.remove(principal.tenant_id, subject)
    audit(deps, principal, "user.remove", {"user": subject}, now, before=current.body)
