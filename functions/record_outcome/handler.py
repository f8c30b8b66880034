"""Lambda `record_outcome`: one audit item per execution (success, partial or failure) and its metric.

Event: the DrainAndReplace state (with `$.error` on the failure path). Result: `Outcome` (at `$.outcome`).
"""

from __future__ import annotations

import functools
import os
import time
from typing import Any

from cloudoptim.interruptions.models import DrainState
from cloudoptim.interruptions.outcome import record_outcome
from cloudoptim.interruptions.ports import Audit
from cloudoptim.observability import count, instrumented, logger
from cloudoptim.settings import RecordSettings
from cloudoptim.wiring import stores


@functools.cache
def root() -> Audit:
    return stores.audit(RecordSettings.from_env(os.environ))


def handle(event: dict[str, Any], audit: Audit, now: int) -> dict[str, Any]:
    outcome = record_outcome(DrainState.model_validate(event), audit, now)
    logger().info("drain outcome", extra={"outcome": outcome.outcome, "audit_key": outcome.audit_key})
    count("DrainOutcome" + outcome.outcome.title().replace("-", ""))
    return outcome.model_dump(mode="json")


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, root(), int(time.time()))
