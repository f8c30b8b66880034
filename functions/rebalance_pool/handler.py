"""Lambda `rebalance_pool`: a pool the hive mind confirmed risky -> proactive replace-then-drain executions for the
other customers' nodes there (policy `automatic`, within budget and window) or a recommendation (`recommend`).

Event: SQS batch, each body a "CloudOptim Pool Escalated" EventBridge event (docs/events.md). Result:
`{"batchItemFailures": [...]}`. A duplicate event starts nothing more: each node's replace guard is held once.
"""

from __future__ import annotations

import functools
import os
import time
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from cloudoptim.interruptions.rebalance import RebalanceDeps, escalated_pool, rebalance_pool
from cloudoptim.observability import count, instrumented, logger
from cloudoptim.settings import RebalanceSettings
from cloudoptim.wiring.rebalance import rebalance_deps


@dataclass(frozen=True)
class Root:
    deps: RebalanceDeps
    wait_seconds: int


@functools.cache
def root() -> Root:
    settings = RebalanceSettings.from_env(os.environ)
    return Root(rebalance_deps(settings), settings.wait_seconds)


def handle(event: dict[str, Any], app: Root, now: int) -> dict[str, Any]:
    def record_handler(record: SQSRecord) -> None:
        pool = escalated_pool(record.body)
        result = rebalance_pool(pool, app.deps, now, wait_seconds=app.wait_seconds)
        logger().info(
            "pool rebalanced",
            extra={"pool": pool.key, "level": result.escalation.level, "started": len(result.started),
                   "recommended": len(result.recommended),
                   "decisions": {d.node.instance_id: d.code.value for d in result.decisions}},
        )  # fmt: skip
        count("ProactiveExecutionsStarted", len(result.started))
        count("ProactiveRecommendations", len(result.recommended))

    return dict(process_partial_response(event, record_handler, BatchProcessor(event_type=EventType.SQS)))


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, root(), int(time.time()))
