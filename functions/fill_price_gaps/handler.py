"""Lambda `fill_price_gaps` (daily): fetch the stretches of the last 14 days no scrape covered (newest first, within
AWS's 90 days of Spot price history).

Event: the EventBridge schedule. Result: per region the gaps found and the windows filled.
"""

from __future__ import annotations

import functools
import os
import time
from typing import Any

from cloudoptim.observability import count, instrumented
from cloudoptim.pricing.fill import fill_gaps
from cloudoptim.pricing.scrape import PricingDeps, ScrapeSettings
from cloudoptim.settings import ScrapeSettings as ScrapeEnv
from cloudoptim.wiring.pricing_jobs import pricing_deps


@functools.cache
def root() -> PricingDeps:
    return pricing_deps(ScrapeEnv.from_env(os.environ))


def handle(event: dict[str, Any], deps: PricingDeps, now: int) -> dict[str, Any]:
    fills = fill_gaps(deps, ScrapeSettings(), now, analysis_days=int(event.get("days", 14)))
    count("PriceGapWindowsFilled", sum(len(f.filled) for f in fills))
    return {"regions": [f.as_json() for f in fills]}


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, root(), int(time.time()))
