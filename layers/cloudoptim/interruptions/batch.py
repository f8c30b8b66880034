"""One SQS message of the ingest Lambda: parse, ingest each notice, log and count what happened.

Malformed or unknown messages are dropped with a log line and a metric (retrying cannot fix them, and the
DLQ is kept for messages worth a second look); any error raised while handling a valid notice propagates,
so the BatchProcessor reports the item failed and SQS redelivers it (after 3 receives: the DLQ).
"""

from __future__ import annotations

import json

from pydantic import ValidationError

from cloudoptim.interruptions.ingest import IngestDeps, IngestPolicy, IngestResult, ingest_notice
from cloudoptim.interruptions.notices import NOTICE_EVENT, to_notices
from cloudoptim.observability import count, logger

METRIC_OF_STATUS = {
    "started": "DrainStarted",
    "duplicate": "NoticeDuplicate",
    "ignored": "NoticeIgnored",
    "unknown-instance": "UnknownInstance",
}


def ingest_message(body: str, message_id: str, deps: IngestDeps, policy: IngestPolicy, now: int) -> list[IngestResult]:
    try:
        event = NOTICE_EVENT.validate_python(json.loads(body))
    except (ValueError, ValidationError) as exc:  # JSONDecodeError is a ValueError
        logger().warning(
            "notice dropped: malformed or unknown", extra={"message_id": message_id, "error": str(exc)[:500]}
        )
        count("NoticeMalformed")
        return []
    notices = to_notices(event)
    if not notices:
        logger().warning("notice dropped: names no instance", extra={"message_id": message_id, "event_id": event.id})
        count("NoticeMalformed")
        return []
    results = []
    for received in notices:
        key = received.event_id if len(notices) == 1 else f"{received.event_id}-{received.notice.instance_id}"
        result = ingest_notice(received, key, deps, policy, now)
        _report(result)
        results.append(result)
    return results


def _report(result: IngestResult) -> None:
    logger().info(
        "notice ingested",
        extra={
            "status": result.status,
            "key": result.key,
            "instance_id": result.instance_id,
            "kind": result.kind,
            "execution": result.execution,
            "pool": result.pool,
            "escalation": result.escalation.level if result.escalation else None,
            "reasons": list(result.reasons),
        },
    )
    count(METRIC_OF_STATUS[result.status])
    if result.escalation is not None:
        count("PoolFlagged")
        if result.escalation.level != "NORMAL":
            count(f"Pool{result.escalation.level.title().replace('_', '')}")
