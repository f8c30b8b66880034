"""Narrow ports of the tenancy use cases. Adapters: cloudoptim.adapters.aws (DynamoDB, STS, Secrets Manager,
Cognito) in AWS and local mode; tests/fakes/tenancy.py in memory."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from cloudoptim.errors import FieldError
from cloudoptim.interruptions.ports import TenantRecord

Json = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Document:
    """One versioned record of a tenant: key `TENANT#<tenant>` / `<KIND>#<id>`."""

    kind: str
    id: str
    body: Json
    version: int
    created_at: int
    updated_at: int


@dataclass(frozen=True, slots=True)
class Page:
    items: Sequence[Document]
    cursor: str | None = None  # opaque to callers; None on the last page


def cursor_after(id: str, scope: str) -> str:
    """The cursor of a page that continues after `id` in `scope` (`<tenant>/<kind>`: a cursor is only good for the
    list that made it; every store's cursor is this, ids being the sort key)."""
    return base64.urlsafe_b64encode(f"{scope}\n{id}".encode()).decode()


def id_of_cursor(cursor: str, scope: str) -> str:
    """The id a cursor continues after; FieldError('cursor') for anything no store made for this scope.

    >>> id_of_cursor(cursor_after("b", "acme/cluster"), "acme/cluster")
    'b'
    """
    try:
        decoded = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        raise FieldError("cursor", "not a cursor this API returned") from None
    made_for, _, id = decoded.partition("\n")
    if made_for != scope or not id or len(id) > 512 or any(ord(c) < 32 for c in id):
        raise FieldError("cursor", "not a cursor this API returned for this list")
    return id


class Documents(Protocol):
    """Versioned records keyed by tenant; every method takes the tenant and reads nothing of another one."""

    def get(self, tenant: str, kind: str, id: str) -> Document | None: ...

    def list(self, tenant: str, kind: str, limit: int, cursor: str | None = None, prefix: str = "") -> Page:
        """A page in id order, of the ids starting with `prefix`; a cursor not made by a store raises
        FieldError('cursor', ...)."""
        ...

    def create(self, tenant: str, kind: str, id: str, body: Json, now: int) -> Document:
        """ConflictError when the id exists."""
        ...

    def replace(self, tenant: str, kind: str, id: str, body: Json, expected_version: int, now: int) -> Document:
        """NotFoundError when absent, PreconditionFailedError when the version moved on."""
        ...

    def delete(self, tenant: str, kind: str, id: str, expected_version: int | None = None) -> bool:
        """With a version: NotFoundError when absent, PreconditionFailedError when it moved on. Without: delete
        if present. True when something was deleted."""
        ...


@dataclass(frozen=True, slots=True)
class StoredResponse:
    request_hash: str
    status: int
    body: Json | None
    headers: Mapping[str, str] = field(default_factory=dict)


class RequestLog(Protocol):
    """Responses of writes kept under (tenant, Idempotency-Key) for a day, so a retried write has no second effect."""

    def get(self, tenant: str, key: str, now: int) -> StoredResponse | None: ...
    def put(self, tenant: str, key: str, response: StoredResponse, now: int) -> None: ...


class Signer(Protocol):
    """Signs audit checkpoints (KMS in AWS, a local key in local mode); public keys by id for verifiers."""

    @property
    def key_id(self) -> str: ...
    def sign(self, message: bytes) -> str: ...
    def public_keys(self) -> Mapping[str, str]: ...


@dataclass(frozen=True, slots=True)
class Verification:
    """What verifying an account's role found: each check with whether it passed and why."""

    assumed: bool
    checks: Mapping[str, bool]
    reasons: tuple[str, ...]


class AccountProbe(Protocol):
    """Assume the account's role as the product will (ExternalId, tenant tag, session policy) and try each read."""

    def verify(self, tenant: TenantRecord) -> Verification: ...


@dataclass(frozen=True, slots=True)
class Connectivity:
    reachable: bool
    checks: Mapping[str, bool]
    reasons: tuple[str, ...]
    endpoint: str | None = None
    ca_data: str | None = None
    version: str | None = None


class ClusterProbe(Protocol):
    """Describe the EKS cluster through the account's role, then call its API with the credentials CloudOptim has."""

    def check(self, tenant: str, cluster: Json, account: Json) -> Connectivity: ...


class ClusterTokens(Protocol):
    """Service-account tokens for clusters CloudOptim cannot reach with the account's role (Secrets Manager)."""

    def put(self, tenant: str, cluster: str, token: str) -> str: ...
    def delete(self, tenant: str, cluster: str) -> None: ...


class UserDirectory(Protocol):
    """Users in the identity provider (Cognito in AWS), with the tenant and role the token will carry."""

    def invite(self, tenant: str, email: str, role: str) -> str: ...
    def set_role(self, tenant: str, subject: str, role: str) -> None: ...
    def remove(self, tenant: str, subject: str) -> None: ...


# Registration of a tenant's account (the pipeline's keyed records, the bus policy).


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

    def claim_account(self, account_id: str, tenant_id: str) -> None:
        """`ACCOUNT#<account>`/`TENANT`: an account belongs to one tenant (AccountTakenError otherwise); idempotent."""
        ...

    def release_account(self, account_id: str, tenant_id: str) -> None:
        """Forget the account, if this tenant holds it (another tenant may then onboard it)."""
        ...

    def register_tenant(self, tenant: TenantRecord) -> None:
        """AccountTakenError when the account already belongs to another tenant."""
        ...


class RoleCheck(Protocol):
    """Proves the tenant deployed the template: assume its role with its ExternalId (spec P2)."""

    def verify(self, tenant: TenantRecord) -> None: ...
