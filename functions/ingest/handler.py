"""Lambda `ingest`: an SQS batch of EventBridge notices -> hive-mind flags and DrainAndReplace executions.

Event: SQS batch (each body an EventBridge event). Result: `{"batchItemFailures": [{"itemIdentifier": id}]}`.
"""

from __future__ import annotations

import functools
import os
import time
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from cloudoptim.interruptions.batch import ingest_record
from cloudoptim.interruptions.ingest import IngestDeps, IngestPolicy
from cloudoptim.interruptions.ports import Redelivery
from cloudoptim.observability import instrumented
from cloudoptim.settings import IngestSettings
from cloudoptim.wiring import stores


@dataclass(frozen=True)
class Root:
    deps: IngestDeps
    policy: IngestPolicy
    redelivery: Redelivery


@functools.cache
def root() -> Root:
    settings = IngestSettings.from_env(os.environ)
    deps = IngestDeps(
        registry=stores.registry(settings),
        hive=stores.hive_mind(settings),
        idempotency=stores.idempotency(settings),
        executions=stores.executions(settings),
        locator=stores.pool_locator(settings),
        escalations=stores.escalations(settings),
    )
    policy = IngestPolicy(
        hive_mind_ttl_seconds=settings.hive_mind_ttl_seconds,
        idempotency_ttl_seconds=settings.idempotency_ttl_seconds,
        dry_run=settings.dry_run,
        wait_seconds=settings.wait_seconds,
        claim_in_progress_seconds=settings.claim_in_progress_seconds,
    )
    return Root(deps, policy, stores.redelivery(settings))


def handle(event: dict[str, Any], app: Root, now: int) -> dict[str, Any]:
    def record_handler(record: SQSRecord) -> None:
        ingest_record(record.body, record.message_id, record.receipt_handle, app.deps, app.redelivery, app.policy, now)

    return dict(process_partial_response(event, record_handler, BatchProcessor(event_type=EventType.SQS)))


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, root(), int(time.time()))
