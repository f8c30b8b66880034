"""Waste findings (spec W1-W4): `GET /v1/waste/findings`, the newest scan of each account region. Findings are
proposals: nothing is stopped, deleted or released until the policy and approval flow executes it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from cloudoptim.api.context import Caller, Deps
from cloudoptim.api.problems import responses
from cloudoptim.api.schemas import Page, iso
from cloudoptim.api.schemas_jobs import WasteScanOut
from cloudoptim.tenancy.principal import Action
from cloudoptim.waste.scan import FINDINGS

router = APIRouter(tags=["waste"])


@router.get("/v1/waste/findings", response_model=Page[WasteScanOut], responses=responses(401, 403, 422))
def list_findings(
    principal: Caller,
    wired: Deps,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> Page[WasteScanOut]:
    principal.require(Action.READ)
    page = wired.tenancy.documents.list(principal.tenant_id, FINDINGS, limit, cursor)
    items = [WasteScanOut.model_validate({**d.body, "scanned_at": iso(d.body.get("scanned_at"))}) for d in page.items]
    return Page[WasteScanOut](items=items, next_cursor=page.cursor)
