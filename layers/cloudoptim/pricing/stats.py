"""`GET /v1/prices/stats`: per region, coverage of the analysis period, gaps, the watermark and how old each kind
of price is."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cloudoptim.pricing.fill import analysis_gaps
from cloudoptim.pricing.ports import PriceTable
from engines.pricing.coverage import DAY, Interval, coverage_stats


@dataclass(frozen=True)
class RegionStats:
    region: str
    coverage: float
    period_start: int
    period_end: int
    gaps: tuple[Interval, ...]
    watermark: int | None
    last_run: int | None
    last_error: str | None
    pools: int
    newest_spot_price: int | None
    on_demand_at: int | None
    advisor_at: int | None


def region_stats(table: PriceTable, regions: Iterable[str], now: int, days: int = 14) -> list[RegionStats]:
    found = []
    for region in sorted(set(regions)):
        state = table.state(region)
        start = now - days * DAY
        stats = coverage_stats(state.covered, start, now)
        newest = max((p.at for p in table.spot(region).values()), default=None) if state.pools else None
        found.append(
            RegionStats(
                region=region, coverage=round(stats.ratio, 4), period_start=start, period_end=now,
                gaps=analysis_gaps(state.covered, state.watermark, now, days), watermark=state.watermark,
                last_run=state.last_run, last_error=state.last_error, pools=state.pools, newest_spot_price=newest,
                on_demand_at=state.on_demand_at, advisor_at=state.advisor_at,
            )
        )  # fmt: skip
    return found
