"""Which stretches of time a region's Spot price history was collected for, and what to fetch next.

DescribeSpotPriceHistory returns price *changes*: a pool whose price held still has no record in a window, so
the data alone cannot show where collection did not run. The scraper therefore records every window it fetched
completely (`covered`); gaps are the parts of a period no such window covers. Times are epoch seconds, intervals
half-open [start, end).

>>> covered = merge([Interval(0, 100), Interval(100, 200), Interval(300, 400)])
>>> covered
(Interval(start=0, end=200), Interval(start=300, end=400))
>>> gaps(covered, 0, 500)
(Interval(start=200, end=300), Interval(start=400, end=500))
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

HOUR = 3600
DAY = 24 * HOUR
# AWS keeps 90 days of Spot price history: older gaps can never be filled.
SPOT_HISTORY_RETENTION = 90 * DAY


@dataclass(frozen=True, slots=True)
class Interval:
    start: int
    end: int

    @property
    def seconds(self) -> int:
        return max(self.end - self.start, 0)


def merge(intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    """Sorted, non-overlapping intervals; touching ones are joined."""
    merged: list[Interval] = []
    for item in sorted((i for i in intervals if i.end > i.start), key=lambda i: i.start):
        if merged and item.start <= merged[-1].end:
            merged[-1] = Interval(merged[-1].start, max(merged[-1].end, item.end))
        else:
            merged.append(item)
    return tuple(merged)


def gaps(covered: Sequence[Interval], start: int, end: int, min_seconds: int = 0) -> tuple[Interval, ...]:
    """The parts of [start, end) no covered interval holds, longer than `min_seconds`."""
    found: list[Interval] = []
    cursor = start
    for item in merge(covered):
        if item.end <= cursor:
            continue
        if item.start >= end:
            break
        if item.start > cursor:
            found.append(Interval(cursor, min(item.start, end)))
        cursor = max(cursor, item.end)
    if cursor < end:
        found.append(Interval(cursor, end))
    return tuple(g for g in found if g.seconds > min_seconds)


def windows(span: Interval, chunk_seconds: int) -> tuple[Interval, ...]:
    """`span` cut into chunks of at most `chunk_seconds`, also cut at UTC midnights (one day file per chunk).

    >>> windows(Interval(DAY - HOUR, DAY + 2 * HOUR), 6 * HOUR)
    (Interval(start=82800, end=86400), Interval(start=86400, end=93600))
    """
    found: list[Interval] = []
    cursor = span.start
    while cursor < span.end:
        midnight = (cursor // DAY + 1) * DAY
        stop = min(cursor + chunk_seconds, midnight, span.end)
        found.append(Interval(cursor, stop))
        cursor = stop
    return tuple(found)


@dataclass(frozen=True, slots=True)
class ScrapePolicy:
    """How the hourly scrape reads a region. Freshness first: when it fell behind by more than
    `max_catch_up_seconds` (the job was down), it fetches the newest stretch and leaves the rest to the fill job."""

    chunk_seconds: int = 6 * HOUR
    max_catch_up_seconds: int = 2 * DAY
    initial_lookback_seconds: int = DAY
    retention_seconds: int = SPOT_HISTORY_RETENTION


@dataclass(frozen=True, slots=True)
class ScrapePlan:
    """Windows to fetch in order (the watermark moves to each one's end once it is stored) and the stretch
    skipped for freshness, which becomes a gap."""

    windows: tuple[Interval, ...]
    skipped: Interval | None
    reasons: tuple[str, ...]


def plan_scrape(watermark: int | None, now: int, policy: ScrapePolicy = ScrapePolicy()) -> ScrapePlan:
    """What the scrape fetches this run, resuming from the region's watermark (the end of the last stored window).

    >>> plan = plan_scrape(watermark=0, now=3 * DAY, policy=ScrapePolicy(chunk_seconds=DAY, max_catch_up_seconds=DAY))
    >>> plan.windows, plan.skipped
    ((Interval(start=172800, end=259200),), Interval(start=0, end=172800))
    """
    if watermark is None:
        start = now - policy.initial_lookback_seconds
        reasons = [f"first collection: from {policy.initial_lookback_seconds // HOUR} h back"]
        return ScrapePlan(windows(Interval(start, now), policy.chunk_seconds), None, tuple(reasons))
    if watermark >= now:
        return ScrapePlan((), None, ("up to date",))
    if now - watermark <= policy.max_catch_up_seconds:
        return ScrapePlan(windows(Interval(watermark, now), policy.chunk_seconds), None, ("resumed from watermark",))
    start = now - policy.max_catch_up_seconds
    skipped = Interval(watermark, start)
    reason = (
        f"{(now - watermark) / HOUR:.0f} h behind: the newest {policy.max_catch_up_seconds // HOUR} h first, "
        f"{skipped.seconds / HOUR:.0f} h left as a gap for the fill job"
    )
    return ScrapePlan(windows(Interval(start, now), policy.chunk_seconds), skipped, (reason,))


@dataclass(frozen=True, slots=True)
class FillPlan:
    windows: tuple[Interval, ...]
    unfillable: tuple[Interval, ...]  # older than AWS keeps


def plan_fill(
    found: Sequence[Interval], now: int, policy: ScrapePolicy = ScrapePolicy(), max_windows: int | None = None
) -> FillPlan:
    """Windows that fill `found` gaps, newest first (the model's features look back from now); the parts older
    than AWS's retention can never be filled and are reported as such.

    >>> plan_fill([Interval(0, 10 * DAY)], now=95 * DAY, policy=ScrapePolicy(chunk_seconds=DAY)).unfillable
    (Interval(start=0, end=432000),)
    """
    oldest = now - policy.retention_seconds
    fillable: list[Interval] = []
    unfillable: list[Interval] = []
    for gap in merge(found):
        if gap.end <= oldest:
            unfillable.append(gap)
        elif gap.start < oldest:
            unfillable.append(Interval(gap.start, oldest))
            fillable.append(Interval(oldest, gap.end))
        else:
            fillable.append(gap)
    chunks = [w for gap in reversed(fillable) for w in reversed(windows(gap, policy.chunk_seconds))]
    return FillPlan(tuple(chunks[:max_windows] if max_windows is not None else chunks), tuple(unfillable))


@dataclass(frozen=True, slots=True)
class CoverageStats:
    start: int
    end: int
    covered_seconds: int
    gaps: tuple[Interval, ...]

    @property
    def ratio(self) -> float:
        span = self.end - self.start
        return self.covered_seconds / span if span > 0 else 0.0


def coverage_stats(covered: Sequence[Interval], start: int, end: int, min_gap_seconds: int = 0) -> CoverageStats:
    """How much of [start, end) was collected, and the gaps (the ones longer than `min_gap_seconds`)."""
    holes = gaps(covered, start, end)
    missing = sum(g.seconds for g in holes)
    return CoverageStats(start, end, (end - start) - missing, tuple(g for g in holes if g.seconds > min_gap_seconds))
