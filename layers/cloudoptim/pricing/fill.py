"""The fill job: per region, the gaps of the analysis period older than the watermark (stretches no scrape window
covered: the job was down or skipped them for freshness), fetched newest first within AWS's 90 days."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from cloudoptim.errors import CloudOptimError
from cloudoptim.pricing.scrape import PricingDeps, ScrapeSettings
from engines.pricing.coverage import DAY, Interval, gaps, plan_fill


@dataclass
class RegionFill:
    region: str
    gaps: list[Interval] = field(default_factory=list)
    filled: list[Interval] = field(default_factory=list)
    unfillable: list[Interval] = field(default_factory=list)
    points: int = 0
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"region": self.region, "gaps": len(self.gaps), "filled": len(self.filled),
                "unfillable_seconds": sum(i.seconds for i in self.unfillable), "points": self.points,
                "error": self.error}  # fmt: skip


def analysis_gaps(covered: tuple[Interval, ...], watermark: int | None, now: int, days: int) -> tuple[Interval, ...]:
    """Gaps of the last `days` up to the watermark (what lies after it is the next scrape's work)."""
    end = watermark if watermark is not None else now
    return gaps(covered, now - days * DAY, end)


def fill_gaps(
    deps: PricingDeps, settings: ScrapeSettings, now: int, analysis_days: int = 14, max_windows: int = 40
) -> list[RegionFill]:
    started = deps.clock()
    fills = []
    for state in deps.table.states():
        fill = RegionFill(state.region, gaps=list(analysis_gaps(state.covered, state.watermark, now, analysis_days)))
        plan = plan_fill(fill.gaps, now, settings.policy, max_windows=max_windows)
        fill.unfillable = list(plan.unfillable)
        try:
            for window in plan.windows:
                if deps.clock() - started > settings.budget_seconds:
                    break
                fetched = deps.spot.history(state.region, window.start, window.end)
                deps.archive.add_spot(state.region, fetched.points)
                pools = deps.table.merge_spot(state.region, fetched.points, keep_since=now - settings.history_seconds)
                state = replace(state.stored(window, forward=False, now=now), pools=pools)
                deps.table.save_state(state)
                fill.filled.append(window)
                fill.points += len(fetched.points)
        except CloudOptimError as exc:
            fill.error = str(exc)
        fills.append(fill)
    return fills
