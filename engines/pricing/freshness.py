"""How old the prices behind a decision are, in a reason people read and a code programs test.

>>> age = price_age("Spot", as_of=1_000_000, now=1_000_000 + 3 * 3600, source=PriceSource.SCRAPED)
>>> age.code.value, age.reason
('prices-fresh', 'Spot prices as of 1970-01-12T13:46:40Z (3 h old, scraped)')
>>> price_age("On-Demand", None, 0, PriceSource.SHIPPED).code.value
'prices-unknown'
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

HOUR = 3600
DAY = 24 * HOUR
# Spot prices change several times a day; the hourly scrape keeps them within this. On-Demand lists change
# a few times a year, so a month-old list is still current.
STALE_AFTER = {"Spot": 6 * HOUR, "On-Demand": 45 * DAY, "Spot Advisor": 14 * DAY}


class PriceSource(StrEnum):
    SCRAPED = "scraped"  # collected by the scraping job
    SHIPPED = "shipped"  # the snapshot inside the package (Day Zero, local mode)
    FILE = "file"  # given by the user


class FreshnessCode(StrEnum):
    FRESH = "prices-fresh"
    STALE = "prices-stale"
    UNKNOWN = "prices-unknown"


@dataclass(frozen=True, slots=True)
class PriceAge:
    kind: str
    as_of: int | None
    now: int
    source: PriceSource
    code: FreshnessCode
    reason: str

    @property
    def seconds(self) -> int | None:
        return None if self.as_of is None else max(self.now - self.as_of, 0)


def describe_seconds(seconds: int) -> str:
    """A duration in the unit people use for it.

    >>> describe_seconds(90), describe_seconds(5 * 3600), describe_seconds(3 * 86400), describe_seconds(800 * 86400)
    ('1 min', '5 h', '3 days', '2.2 years')
    """
    if seconds < HOUR:
        return f"{seconds // 60} min"
    if seconds < 2 * DAY:
        return f"{seconds // HOUR} h"
    if seconds < 365 * DAY:
        return f"{seconds // DAY} days"
    return f"{seconds / (365.25 * DAY):.1f} years"


def price_age(kind: str, as_of: int | None, now: int, source: PriceSource, stale_after: int | None = None) -> PriceAge:
    """`kind` names the prices ("Spot", "On-Demand", "Spot Advisor"); stale past `stale_after` (default per kind)."""
    if as_of is None:
        reason = f"{kind} prices: none known ({source.value})"
        return PriceAge(kind, None, now, source, FreshnessCode.UNKNOWN, reason)
    limit = stale_after if stale_after is not None else STALE_AFTER.get(kind, DAY)
    age = max(now - as_of, 0)
    code = FreshnessCode.FRESH if age <= limit else FreshnessCode.STALE
    when = datetime.fromtimestamp(as_of, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if as_of > now:  # a backtest or a scan dated before the list: say so rather than "0 min old"
        words = f"{describe_seconds(as_of - now)} after the decision's time, {source.value}"
    else:
        words = f"{describe_seconds(age)} old, {source.value}" + (", stale" if code is FreshnessCode.STALE else "")
    return PriceAge(kind, as_of, now, source, code, f"{kind} prices as of {when} ({words})")
