"""The hive mind (S6): `GET /v1/hive-mind`, the Spot pools other customers' interruptions flagged, as counts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from cloudoptim.api.context import Caller, Deps
from cloudoptim.api.problems import responses
from cloudoptim.api.schemas import REGION_PATTERN, Page, iso
from cloudoptim.api.schemas_jobs import HiveEvidence, HivePoolOut
from cloudoptim.errors import TransientAwsError
from cloudoptim.interruptions.hive_view import PoolView, pools_in
from cloudoptim.pricing.regions import tenant_regions
from cloudoptim.tenancy.ports import cursor_after, id_of_cursor
from cloudoptim.tenancy.principal import Action

router = APIRouter(tags=["hive-mind"])
Regions = Annotated[list[Annotated[str, Query(pattern=REGION_PATTERN)]] | None, Query(max_length=30)]
SCOPE = "hive-mind"


def out(view: PoolView) -> HivePoolOut:
    pool = view.pool
    return HivePoolOut(
        pool=pool.key, region=pool.region, az_id=pool.az_id, instance_type=pool.instance_type, level=view.level,
        expires_at=iso(view.expires_at),
        evidence=HiveEvidence(customers=view.customers, interruptions=view.interruptions, flags=view.flags),
        risk_bump=view.risk_bump, excluded_for_you=view.excluded_for_you, your_risk_bump=view.your_risk_bump,
        yours=view.yours, reason=view.reason,
    )  # fmt: skip


@router.get(
    "/v1/hive-mind",
    response_model=Page[HivePoolOut],
    responses=responses(401, 403, 422, 503),
    summary="Spot pools with interruptions in the last hour: level, expiry, evidence (counts), the risk it adds",
)
def list_pools(
    principal: Caller,
    wired: Deps,
    region: Regions = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
) -> Page[HivePoolOut]:
    """The regions asked for, else those of the tenant's accounts; pools in key order, a page at a time."""
    principal.require(Action.READ)
    if wired.hive is None:
        raise TransientAwsError("the hive mind is not configured in this deployment")
    scope = f"{principal.tenant_id}/{SCOPE}"
    after = id_of_cursor(cursor, scope) if cursor else ""
    chosen = region or sorted(tenant_regions(wired.tenancy.documents, principal.tenant_id))
    views = [v for v in pools_in(wired.hive, chosen, principal.tenant_id, wired.now()) if v.pool.key > after]
    page = views[:limit]
    more = len(views) > limit
    return Page[HivePoolOut](
        items=[out(v) for v in page], next_cursor=cursor_after(page[-1].pool.key, scope) if more else None
    )
