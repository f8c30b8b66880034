"""The tenant's audit log: `GET /v1/audit` (filters, pages, CSV) and `GET /v1/audit/export` (verifiable)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse, Response

from cloudoptim.api.context import Caller, Deps
from cloudoptim.api.problems import content, responses
from cloudoptim.api.schemas import AuditEntry, Page
from cloudoptim.tenancy import audit

router = APIRouter(tags=["audit"])
Text = Annotated[str | None, Query(max_length=256)]


@router.get(
    "/v1/audit",
    response_model=Page[AuditEntry],
    responses={**content("text/csv", "entries, newest first"), **responses(401, 403, 422)},
    summary="Audit entries, newest first; ?format=csv for a spreadsheet",
)
def list_audit(
    principal: Caller,
    wired: Deps,
    action: Text = None,
    actor: Text = None,
    target: Text = None,
    since: Annotated[datetime | None, Query(description="ISO 8601, inclusive")] = None,
    until: Annotated[datetime | None, Query(description="ISO 8601, exclusive")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=32)] = None,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Response | Page[AuditEntry]:
    chosen = audit.AuditFilter(
        action, actor, target, int(since.timestamp()) if since else None, int(until.timestamp()) if until else None
    )
    entries, next_cursor = audit.page(wired.tenancy, principal, chosen, limit, cursor)
    if format == "csv":
        headers = {"Content-Disposition": 'attachment; filename="cloudoptim-audit.csv"'}
        if next_cursor:
            headers["X-Next-Cursor"] = next_cursor
        return PlainTextResponse(audit.as_csv(entries), media_type="text/csv", headers=headers)
    items = [AuditEntry.model_validate({k: v for k, v in e.items() if k != "tenant_id"}) for e in entries]
    return Page[AuditEntry](items=items, next_cursor=next_cursor)


@router.get(
    "/v1/audit/export",
    response_class=PlainTextResponse,
    responses={**content("application/x-ndjson", "cloudoptim audit verify FILE"), **responses(401, 403, 422)},
    summary="Every entry and signed checkpoint with the public keys, for `cloudoptim audit verify`",
)
def export_audit(principal: Caller, wired: Deps) -> Response:
    text = audit.export(wired.tenancy, principal)
    disposition = f'attachment; filename="cloudoptim-audit-{principal.tenant_id}.ndjson"'
    return Response(text, media_type="application/x-ndjson", headers={"Content-Disposition": disposition})
