"""Lambda `record_outcome`: one audit entry per execution (success, partial or failure) and its metric; the
failure paths give back the instance's guard claims.

Event: the DrainAndReplace state (with `$.error` on the failure path). Result: `Outcome` (at `$.outcome`).
"""

from __future__ import annotations

import functools
import os
import time
from typing import Any

from cloudoptim.interruptions.models import DrainState
from cloudoptim.interruptions.outcome import RecordDeps, record_outcome
from cloudoptim.observability import count, instrumented, logger
from cloudoptim.settings import RecordSettings
from cloudoptim.wiring import stores


@functools.cache
def root() -> RecordDeps:
    settings = RecordSettings.from_env(os.environ)
    return RecordDeps(audit=stores.audit(settings), claims=stores.idempotency(settings))


def handle(event: dict[str, Any], deps: RecordDeps, now: int) -> dict[str, Any]:
    outcome = record_outcome(DrainState.model_validate(event), deps, now)
    logger().info(
        "drain outcome",
        extra={"outcome": outcome.outcome, "audit_key": outcome.audit_key, "released": outcome.released},
    )
    count("DrainOutcome" + outcome.outcome.title().replace("-", ""))
    return outcome.model_dump(mode="json")


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, root(), int(time.time()))
