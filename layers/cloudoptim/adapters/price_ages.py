"""How old the shipped (or given) prices are, for the reasons of decisions made with them."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from engines.pricing.freshness import PriceAge, PriceSource, price_age
from engines.spot.model import OnDemandPrices, PriceHistory

_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")


def spot_age(
    history: PriceHistory | None, at: int, now: int, source: PriceSource, last_time: int | None = None
) -> PriceAge:
    """The newest Spot price at or before `at` (the decision moment), aged at `now`. `last_time`, the history's
    newest price time when the caller keeps it, spares scanning every pool in the usual case: all prices before `at`."""
    newest = None
    if history is not None:
        last = history.last_time() if last_time is None else last_time
        if last is not None and last <= at:
            newest = last
        else:
            known = [int(s.times[s.times <= at][-1]) for s in history.series.values() if len(s) and s.times[0] <= at]
            newest = max(known) if known else None
    return price_age("Spot", newest, now, source)


def on_demand_age(prices: OnDemandPrices, region: str, now: int, source: PriceSource) -> PriceAge:
    """The On-Demand list's date from its recorded source ("... 2026-09-04"); the newest when several."""
    dates = _DATE.findall(prices.sources.get(region, ""))
    as_of = max((int(datetime.fromisoformat(d).replace(tzinfo=UTC).timestamp()) for d in dates), default=None)
    return price_age("On-Demand", as_of, now, source)
