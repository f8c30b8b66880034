"""The pricing jobs' rules on in-memory fakes: a failing region never stops the others and keeps its error, a
failing Spot Advisor does not stop the prices, the run's budget stops starting work (the watermark resumes it),
lists refresh daily, and the regions come from the tenants' accounts."""

from __future__ import annotations

import json

from cloudoptim.errors import TransientAwsError
from cloudoptim.pricing.ports import ADVISOR, ON_DEMAND, SpotPoint
from cloudoptim.pricing.regions import TenantRegions
from cloudoptim.pricing.scrape import PricingDeps, ScrapeSettings, scrape_all
from cloudoptim.pricing.stats import region_stats
from cloudoptim.tenancy.tenants import INDEX, TENANT
from engines.pricing.coverage import DAY, HOUR, Interval
from tests.fakes.pricing import (
    FakeAdvisor,
    FakeOnDemand,
    FakeSpotMarket,
    FixedRegions,
    MemoryArchive,
    MemoryPriceTable,
)
from tests.fakes.tenancy import MemoryDocuments

NOW = 1_781_085_600  # 2026-06-10T10:00:00Z
ADVICE = json.dumps({"spot_advisor": {"eu-west-1": {"Linux": {"m5.large": {"r": 1, "s": 60}}}}}).encode()


def market() -> FakeSpotMarket:
    points = {
        region: [SpotPoint(f"{code}-az1", "m5.large", 0.03 + h / 1000, NOW - h * HOUR) for h in range(1, 40)]
        for region, code in (("eu-west-1", "euw1"), ("us-east-1", "use1"))
    }
    return FakeSpotMarket(points)


def wired(clock: list[float] | None = None) -> PricingDeps:
    ticks = iter(clock or [0.0] * 100)
    return PricingDeps(
        spot=market(), on_demand=FakeOnDemand({"eu-west-1": {"m5.large": 0.107}, "us-east-1": {"m5.large": 0.096}}),
        advisor=FakeAdvisor(ADVICE), archive=MemoryArchive(), table=MemoryPriceTable(),
        regions=FixedRegions({"eu-west-1", "us-east-1"}), clock=lambda: next(ticks),
    )  # fmt: skip


def test_a_failing_region_keeps_its_error_and_the_others_go_on() -> None:
    deps = wired()
    assert isinstance(deps.spot, FakeSpotMarket)
    deps.spot.fail("history", TransientAwsError("throttled"), times=1)  # eu-west-1's first window (sorted first)
    report = scrape_all(deps, ScrapeSettings(), NOW)
    errors = {r.region: r.error for r in report.runs}
    assert errors == {"eu-west-1": "throttled", "us-east-1": None}
    assert deps.table.state("eu-west-1").last_error == "throttled" and deps.table.state("eu-west-1").watermark is None
    assert deps.table.state("us-east-1").watermark == NOW
    again = scrape_all(deps, ScrapeSettings(), NOW + HOUR)
    assert [r.error for r in again.runs] == [None, None]
    assert deps.table.state("eu-west-1").last_error is None


def test_a_failing_advisor_does_not_stop_the_prices_and_lists_refresh_daily() -> None:
    deps = wired()
    assert isinstance(deps.advisor, FakeAdvisor) and isinstance(deps.on_demand, FakeOnDemand)
    deps.advisor.fail("document", TransientAwsError("S3 503"))
    first = scrape_all(deps, ScrapeSettings(), NOW)
    assert first.advisor_error == "S3 503" and not first.advisor_refreshed
    assert all(r.error is None for r in first.runs) and deps.table.list(ON_DEMAND, "eu-west-1") is not None
    second = scrape_all(deps, ScrapeSettings(), NOW + HOUR)
    assert second.advisor_refreshed and deps.table.list(ADVISOR, "eu-west-1").entries == {"m5.large": [1, 60]}  # type: ignore[union-attr]
    deps.on_demand.prices_by_region["eu-west-1"]["m5.large"] = 0.2
    scrape_all(deps, ScrapeSettings(), NOW + 2 * HOUR)
    assert deps.table.list(ON_DEMAND, "eu-west-1").entries == {"m5.large": 0.107}  # type: ignore[union-attr]
    scrape_all(deps, ScrapeSettings(), NOW + DAY + 2 * HOUR)
    assert deps.table.list(ON_DEMAND, "eu-west-1").entries == {"m5.large": 0.2}  # type: ignore[union-attr]


def test_the_budget_stops_starting_regions_and_the_next_run_resumes() -> None:
    deps = wired(clock=[0.0, 0.0, 700.0, 700.0, 700.0])  # the second region starts after the budget
    report = scrape_all(deps, ScrapeSettings(budget_seconds=600), NOW)
    assert report.runs[0].error is None and "budget" in str(report.runs[1].error)
    assert deps.table.state("us-east-1").watermark is None


def test_stats_report_coverage_gaps_and_freshness() -> None:
    deps = wired()
    scrape_all(deps, ScrapeSettings(), NOW)
    [stats] = region_stats(deps.table, ["eu-west-1"], NOW, days=2)
    # Collected the last day; the day before the first run is a gap too: the fill job backfills it (90 days max).
    assert stats.coverage == 0.5 and stats.gaps == (Interval(NOW - 2 * DAY, NOW - DAY),)
    assert stats.pools == 1 and stats.newest_spot_price == NOW - HOUR and stats.watermark == NOW


def test_regions_in_use_are_the_accounts_regions_of_every_tenant() -> None:
    documents = MemoryDocuments()
    for tenant, regions in (("acme", ["eu-west-1", "us-east-1"]), ("beta", ["ap-south-1"])):
        documents.create(INDEX, TENANT, tenant, {}, 0)
        documents.create(tenant, "account", "111122223333", {"regions": regions}, 0)
    assert TenantRegions(documents).regions() == {"eu-west-1", "us-east-1", "ap-south-1"}
