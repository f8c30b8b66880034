"""The hourly scrape: per region, Spot price history from the watermark on (window by window, each stored before
the watermark moves, so an interrupted run resumes where it stopped), the On-Demand list and the Spot Advisor when
older than a day. One failing region never stops the others; its error is kept in its state."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from cloudoptim.errors import CloudOptimError, InputFileError
from cloudoptim.pricing.ports import (
    ADVISOR,
    ON_DEMAND,
    AdvisorSource,
    OnDemandSource,
    PriceArchive,
    PriceList,
    PriceTable,
    RegionsInUse,
    RegionState,
    SpotHistorySource,
)
from engines.pricing.coverage import DAY, Interval, ScrapePolicy, plan_scrape


@dataclass(frozen=True)
class ScrapeSettings:
    policy: ScrapePolicy = field(default_factory=ScrapePolicy)
    default_regions: tuple[str, ...] = ()  # scraped even before a tenant uses them (Day Zero)
    history_seconds: int = 7 * DAY  # recent changes kept beside the newest price: the risk model's window
    list_refresh_seconds: int = DAY  # On-Demand list and Spot Advisor
    budget_seconds: float = 600.0  # stop starting windows after this (Lambda's timeout is longer)


@dataclass(frozen=True)
class PricingDeps:
    spot: SpotHistorySource
    on_demand: OnDemandSource
    advisor: AdvisorSource
    archive: PriceArchive
    table: PriceTable
    regions: RegionsInUse
    clock: Callable[[], float]  # wall time, for the run's budget only


@dataclass
class RegionRun:
    region: str
    windows: list[Interval] = field(default_factory=list)
    points: int = 0
    pages: int = 0
    skipped: Interval | None = None
    on_demand_types: int | None = None
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"region": self.region, "windows": len(self.windows), "points": self.points, "pages": self.pages,
                "skipped_seconds": self.skipped.seconds if self.skipped else 0,
                "on_demand_types": self.on_demand_types, "error": self.error}  # fmt: skip


def day_of(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d")


@dataclass
class ScrapeReport:
    runs: list[RegionRun]
    advisor_refreshed: bool
    advisor_error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"regions": [r.as_json() for r in self.runs], "advisor_refreshed": self.advisor_refreshed,
                "advisor_error": self.advisor_error}  # fmt: skip


def scrape_all(deps: PricingDeps, settings: ScrapeSettings, now: int) -> ScrapeReport:
    started = deps.clock()
    regions = sorted(deps.regions.regions() | set(settings.default_regions))
    advisor_error = None
    try:
        advisor = _advisor_due(deps, settings, regions, now)
    except CloudOptimError as exc:  # the Spot prices matter more: go on without a fresh advisor
        advisor, advisor_error = None, str(exc)
    runs = []
    for region in regions:
        over = deps.clock() - started > settings.budget_seconds
        runs.append(scrape_region(deps, settings, region, now, advisor, stop=over))
    return ScrapeReport(runs, advisor is not None, advisor_error)


def scrape_region(
    deps: PricingDeps,
    settings: ScrapeSettings,
    region: str,
    now: int,
    advisor: Mapping[str, Mapping[str, Any]] | None = None,
    stop: bool = False,
) -> RegionRun:
    run = RegionRun(region)
    state = deps.table.state(region)
    if stop:
        run.error = "not started: the run's time budget was spent (next run resumes from the watermark)"
        return run
    try:
        state = _spot(deps, settings, state, now, run)
        state = _lists(deps, settings, state, now, run, advisor)
    except CloudOptimError as exc:
        run.error = str(exc)
        stored = deps.table.state(region)  # what the windows before the failure saved, watermark included
        deps.table.save_state(replace(stored, last_run=now, last_error=run.error))
    return run


def _spot(deps: PricingDeps, settings: ScrapeSettings, state: RegionState, now: int, run: RegionRun) -> RegionState:
    plan = plan_scrape(state.watermark, now, settings.policy)
    run.skipped = plan.skipped
    for window in plan.windows:
        fetched = deps.spot.history(state.region, window.start, window.end)
        deps.archive.add_spot(state.region, fetched.points)
        pools = deps.table.merge_spot(state.region, fetched.points, keep_since=now - settings.history_seconds)
        state = replace(state.stored(window, forward=True, now=now), pools=pools)
        deps.table.save_state(state)  # the watermark moves only once the window is stored
        run.windows.append(window)
        run.points += len(fetched.points)
        run.pages += fetched.pages
    return state


def _lists(
    deps: PricingDeps,
    settings: ScrapeSettings,
    state: RegionState,
    now: int,
    run: RegionRun,
    advisor: Mapping[str, Mapping[str, Any]] | None,
) -> RegionState:
    if state.on_demand_at is None or now - state.on_demand_at >= settings.list_refresh_seconds:
        fetched = deps.on_demand.prices(state.region)
        if fetched.prices:  # an empty answer (a region the Pricing API does not know) keeps the last list
            body = json.dumps(dict(fetched.prices), sort_keys=True).encode()
            deps.archive.put_document(ON_DEMAND, state.region, day_of(now), body)
            deps.table.put_list(ON_DEMAND, state.region, PriceList(now, dict(fetched.prices)))
            state = replace(state, on_demand_at=now)
        run.on_demand_types = len(fetched.prices)
    if advisor is not None and state.region in advisor:
        deps.table.put_list(ADVISOR, state.region, PriceList(now, dict(advisor[state.region])))
        state = replace(state, advisor_at=now)
    state = replace(state, last_run=now, last_error=None)
    deps.table.save_state(state)
    return state


def _advisor_due(
    deps: PricingDeps, settings: ScrapeSettings, regions: Sequence[str], now: int
) -> dict[str, dict[str, Any]] | None:
    """The Spot Advisor entries per region when any region's are older than a day (one document for all)."""
    states = [deps.table.state(region) for region in regions]
    if all(s.advisor_at is not None and now - s.advisor_at < settings.list_refresh_seconds for s in states):
        return None
    raw = deps.advisor.document()
    deps.archive.put_document(ADVISOR, "all", day_of(now), raw)
    return advisor_entries(raw)


def advisor_entries(raw: bytes) -> dict[str, dict[str, Any]]:
    """region -> instance type -> [interruption bucket 0..4, savings %] of the Linux entries."""
    try:
        document = json.loads(raw)
        advisor = document["spot_advisor"]
        found: dict[str, dict[str, Any]] = {}
        for region, by_os in advisor.items():
            linux = by_os.get("Linux") or {}
            found[region] = {t: [int(v["r"]), int(v["s"])] for t, v in linux.items() if 0 <= int(v["r"]) <= 4}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputFileError(f"the Spot Advisor document is not in the expected shape ({exc})") from None
    return found
