"""Collection coverage: gaps, the scrape plan from a watermark (freshness first when far behind), the fill plan
within AWS's 90-day retention, and the age of prices in reasons."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from engines.pricing.coverage import (
    DAY,
    HOUR,
    Interval,
    ScrapePolicy,
    coverage_stats,
    gaps,
    merge,
    plan_fill,
    plan_scrape,
    windows,
)
from engines.pricing.freshness import FreshnessCode, PriceSource, price_age

NOW = 1_780_000_000 - 1_780_000_000 % DAY + 10 * HOUR  # a day at 10:00 UTC


def test_first_run_looks_back_a_day_in_chunks_cut_at_midnight() -> None:
    plan = plan_scrape(None, NOW)
    assert plan.skipped is None
    assert plan.windows[0].start == NOW - DAY and plan.windows[-1].end == NOW
    assert all(w.seconds <= 6 * HOUR and w.start // DAY == (w.end - 1) // DAY for w in plan.windows)
    assert merge(plan.windows) == (Interval(NOW - DAY, NOW),)


def test_a_run_resumes_from_the_watermark_and_an_up_to_date_region_fetches_nothing() -> None:
    plan = plan_scrape(NOW - 3 * HOUR, NOW)
    assert plan.windows == (Interval(NOW - 3 * HOUR, NOW),) and plan.skipped is None
    assert plan_scrape(NOW, NOW).windows == ()


def test_far_behind_fetches_the_newest_first_and_leaves_a_gap_for_the_fill_job() -> None:
    plan = plan_scrape(NOW - 5 * DAY, NOW, ScrapePolicy(max_catch_up_seconds=2 * DAY))
    assert plan.skipped == Interval(NOW - 5 * DAY, NOW - 2 * DAY)
    assert merge(plan.windows) == (Interval(NOW - 2 * DAY, NOW),)
    assert "left as a gap" in plan.reasons[0]


def test_gaps_and_coverage_of_a_region() -> None:
    covered = [Interval(0, 10 * HOUR), Interval(12 * HOUR, DAY)]
    stats = coverage_stats(covered, 0, 2 * DAY, min_gap_seconds=HOUR)
    assert stats.gaps == (Interval(10 * HOUR, 12 * HOUR), Interval(DAY, 2 * DAY))
    assert round(stats.ratio, 4) == round(22 / 48, 4)
    assert coverage_stats(covered, 0, 2 * DAY, min_gap_seconds=3 * HOUR).gaps == (Interval(DAY, 2 * DAY),)


def test_fill_plan_is_newest_first_and_older_than_90_days_is_unfillable() -> None:
    found = [Interval(NOW - 100 * DAY, NOW - 85 * DAY), Interval(NOW - 2 * DAY, NOW - DAY)]
    plan = plan_fill(found, NOW, ScrapePolicy(chunk_seconds=DAY))
    assert plan.unfillable == (Interval(NOW - 100 * DAY, NOW - 90 * DAY),)
    assert plan.windows[0].end == NOW - DAY
    assert merge(plan.windows) == (Interval(NOW - 90 * DAY, NOW - 85 * DAY), Interval(NOW - 2 * DAY, NOW - DAY))
    assert len(plan_fill(found, NOW, ScrapePolicy(chunk_seconds=DAY), max_windows=2).windows) == 2


intervals = st.lists(
    st.tuples(st.integers(0, 1000), st.integers(1, 200)).map(lambda p: Interval(p[0], p[0] + p[1])), max_size=12
)


@given(intervals, st.integers(0, 500), st.integers(1, 800))
def test_gaps_and_coverage_partition_the_period(covered: list[Interval], start: int, length: int) -> None:
    end = start + length
    holes = gaps(covered, start, end)
    inside = merge(Interval(max(i.start, start), min(i.end, end)) for i in covered)
    assert sum(h.seconds for h in holes) + sum(i.seconds for i in inside) == length
    assert all(not (h.start < i.end and i.start < h.end) for h in holes for i in merge(covered))


@given(st.integers(0, 10 * DAY), st.integers(1, 3 * DAY), st.integers(HOUR, DAY))
def test_windows_cover_exactly_their_span(start: int, length: int, chunk: int) -> None:
    cut = windows(Interval(start, start + length), chunk)
    assert merge(cut) == (Interval(start, start + length),)
    assert all(w.seconds <= chunk for w in cut)


def test_price_age_says_how_old_and_flags_stale_prices() -> None:
    fresh = price_age("Spot", NOW - 2 * HOUR, NOW, PriceSource.SCRAPED)
    assert fresh.code is FreshnessCode.FRESH and "(2 h old, scraped)" in fresh.reason
    stale = price_age("Spot", NOW - 400 * DAY, NOW, PriceSource.SHIPPED)
    assert stale.code is FreshnessCode.STALE and "1.1 years old, shipped, stale" in stale.reason
    assert price_age("On-Demand", NOW - 20 * DAY, NOW, PriceSource.SCRAPED).code is FreshnessCode.FRESH
