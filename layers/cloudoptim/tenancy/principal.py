"""Who is calling: a verified identity with exactly one tenant and one role, and what each role may do.

>>> Principal("acme", "u-1", "ops@acme.example", Role.OPERATOR).may(Action.ACT)
True
>>> Principal("acme", "u-1", "ops@acme.example", Role.OPERATOR).may(Action.CONFIGURE)
False
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from cloudoptim.errors import PermissionDeniedError

TENANT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,46}$")  # fits every name derived from it (IAM roles: 64 chars)
# The Cognito group of CloudOptim's own staff: what is global (the risk models) is theirs, never a tenant's.
PLATFORM_OPERATORS = "cloudoptim-operators"


class Role(StrEnum):
    ADMIN = "admin"
    OPERATOR = "operator"
    VIEWER = "viewer"


class Action(StrEnum):
    READ = "read"  # anything of one's own tenant
    ACT = "act"  # approve, reject, run checks and workflows
    CONFIGURE = "configure"  # accounts, clusters, policies, tenant settings
    MANAGE_USERS = "manage_users"


ALLOWED: dict[Role, frozenset[Action]] = {
    Role.ADMIN: frozenset(Action),
    Role.OPERATOR: frozenset({Action.READ, Action.ACT}),
    Role.VIEWER: frozenset({Action.READ}),
}


@dataclass(frozen=True, slots=True)
class Principal:
    tenant_id: str
    subject: str  # the identity provider's stable user id (Cognito `sub`)
    email: str
    role: Role
    platform_operator: bool = False  # in the PLATFORM_OPERATORS group (decision 16.x in docs/decisions.md)

    def may(self, action: Action) -> bool:
        return action in ALLOWED[self.role]

    def require(self, action: Action) -> None:
        if not self.may(action):
            raise PermissionDeniedError(f"role {self.role.value} may not {action.value.replace('_', ' ')}")

    @property
    def actor(self) -> str:
        """How the audit log names this caller."""
        return f"user:{self.email or self.subject}"
