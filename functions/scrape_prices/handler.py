"""Lambda `scrape_prices` (hourly): Spot price history of every region tenants use (from each region's watermark),
On-Demand lists and the Spot Advisor when older than a day.

Event: the EventBridge schedule. Result: per region the windows, points and pages fetched, or its error.
"""

from __future__ import annotations

import functools
import os
import time
from dataclasses import dataclass
from typing import Any

from cloudoptim.observability import count, instrumented
from cloudoptim.pricing.scrape import PricingDeps, ScrapeSettings, scrape_all
from cloudoptim.settings import ScrapeSettings as ScrapeEnv
from cloudoptim.wiring.pricing_jobs import pricing_deps


@dataclass(frozen=True)
class Root:
    deps: PricingDeps
    settings: ScrapeSettings


@functools.cache
def root() -> Root:
    env = ScrapeEnv.from_env(os.environ)
    return Root(pricing_deps(env), ScrapeSettings(default_regions=env.regions))


def handle(event: dict[str, Any], app: Root, now: int) -> dict[str, Any]:
    report = scrape_all(app.deps, app.settings, now)
    count("SpotPricePointsStored", sum(r.points for r in report.runs))
    count("PriceRegionsFailed", sum(1 for r in report.runs if r.error))
    return report.as_json()


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, root(), int(time.time()))
