"""Pricing data management (spec P9): `GET /v1/prices/stats`, coverage, freshness and gaps per region."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from cloudoptim.api.context import Caller, Deps
from cloudoptim.api.problems import responses
from cloudoptim.api.schemas import REGION_PATTERN, iso
from cloudoptim.api.schemas_jobs import Gap, PriceStats, RegionPrices
from cloudoptim.errors import TransientAwsError
from cloudoptim.pricing.regions import tenant_regions
from cloudoptim.pricing.stats import region_stats
from cloudoptim.tenancy.principal import Action

router = APIRouter(tags=["prices"])
Regions = Annotated[list[Annotated[str, Query(pattern=REGION_PATTERN)]] | None, Query(max_length=30)]


@router.get(
    "/v1/prices/stats",
    response_model=PriceStats,
    responses=responses(401, 403, 422, 503),
    summary="Per region: coverage of the period, gaps, the watermark, and how old each kind of price is",
)
def get_price_stats(
    principal: Caller,
    wired: Deps,
    region: Regions = None,
    days: Annotated[int, Query(ge=1, le=90, description="the period analysed, ending now")] = 14,
) -> PriceStats:
    """The regions asked for, else those of the tenant's accounts (prices are shared, accounts are not)."""
    principal.require(Action.READ)
    if wired.prices is None:
        raise TransientAwsError("price data is not configured in this deployment")
    now = wired.now()
    chosen = region or sorted(tenant_regions(wired.tenancy.documents, principal.tenant_id))
    found = []
    for stats in region_stats(wired.prices, chosen, now, days):
        age = round((now - stats.newest_spot_price) / 3600, 2) if stats.newest_spot_price else None
        gaps = [Gap(start=iso(g.start), end=iso(g.end), hours=round(g.seconds / 3600, 2)) for g in stats.gaps]
        found.append(
            RegionPrices(
                region=stats.region, coverage=stats.coverage, period_start=iso(stats.period_start),
                period_end=iso(stats.period_end), gaps=gaps, watermark=iso(stats.watermark),
                last_run=iso(stats.last_run), last_error=stats.last_error, pools=stats.pools,
                newest_spot_price=iso(stats.newest_spot_price), spot_age_hours=age,
                on_demand_at=iso(stats.on_demand_at), advisor_at=iso(stats.advisor_at),
            )
        )  # fmt: skip
    return PriceStats(regions=found)
