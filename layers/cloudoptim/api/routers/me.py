"""`GET /v1/me`: who the token says the caller is, and what the role allows."""

from __future__ import annotations

from fastapi import APIRouter

from cloudoptim.api.context import Caller
from cloudoptim.api.problems import responses
from cloudoptim.api.schemas import Me
from cloudoptim.tenancy.principal import Action

router = APIRouter(tags=["tenant"])


@router.get("/v1/me", response_model=Me, responses=responses(401, 422), summary="The caller, its tenant and role")
def me(principal: Caller) -> Me:
    allowed = [action.value for action in Action if principal.may(action)]
    return Me(
        tenant_id=principal.tenant_id,
        subject=principal.subject,
        email=principal.email,
        role=principal.role,
        permissions=allowed,
    )
