"""Lambda `hibernation_tick` (every 5 minutes): start a sleep or a wake where a cluster's schedule (or a manual
wake-up) says it should change.

Event: the EventBridge schedule. Result: `{"decisions": [{"tenant","cluster","action","outcome",...}]}`.
"""

from __future__ import annotations

import functools
import os
import time
from dataclasses import dataclass
from typing import Any

from cloudoptim.hibernation.ports import TickDeps
from cloudoptim.hibernation.tick import tick
from cloudoptim.observability import count, instrumented
from cloudoptim.settings import HibernationTickSettings
from cloudoptim.wiring.hibernation_tick import tick_deps


@dataclass(frozen=True)
class Root:
    deps: TickDeps
    wait_seconds: int


@functools.cache
def root() -> Root:
    settings = HibernationTickSettings.from_env(os.environ)
    return Root(tick_deps(settings), settings.wait_seconds)


def handle(event: dict[str, Any], app: Root, now: int) -> dict[str, Any]:
    decisions = tick(app.deps, now, app.wait_seconds)
    for decision in decisions:
        if decision.outcome == "started":
            count("HibernationSleepStarted" if decision.action == "sleep" else "HibernationWakeStarted")
        elif decision.outcome == "error":
            count("HibernationStartFailed")
    return {"decisions": [d.as_json() for d in decisions[:200]], "clusters": len(decisions)}


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, root(), int(time.time()))
