"""Lambda `weekly_summary` (weekly): each tenant's summary (projected vs realised savings, top recommendations,
the week's executions, waste) to its recipients by SES, once per tenant and ISO week.

Event: the EventBridge schedule. Result: per tenant sent, duplicate, skipped (no recipients) or failed; a failure
raises after every tenant was tried, so the schedule's retry sends what is missing and nothing twice.
"""

from __future__ import annotations

import functools
import os
import time
from typing import Any

from cloudoptim.errors import DeliveryError
from cloudoptim.notifications.ports import WeeklyDeps
from cloudoptim.notifications.weekly import send_all
from cloudoptim.observability import count, instrumented
from cloudoptim.settings import WeeklySummarySettings
from cloudoptim.wiring.notifications import weekly_deps


@functools.cache
def root() -> WeeklyDeps:
    return weekly_deps(WeeklySummarySettings.from_env(os.environ))


def handle(event: dict[str, Any], deps: WeeklyDeps, now: int) -> dict[str, Any]:
    results = send_all(deps, now)
    count("WeeklySummariesSent", sum(r.outcome == "sent" for r in results))
    failed = [r for r in results if r.outcome == "failed"]
    if failed:
        raise DeliveryError("; ".join(f"{r.tenant}: {r.detail}" for r in failed))
    return {"tenants": [r.as_json() for r in results]}


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, root(), int(time.time()))
