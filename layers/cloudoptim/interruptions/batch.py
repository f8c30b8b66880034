"""One SQS message of the ingest Lambda: screen, parse, ingest each notice, log and count what happened.

Oversized, deeply nested, malformed or unknown messages are dropped with a log line and a metric (retrying cannot
fix them, and the DLQ is kept for messages worth a second look); any error raised while handling a valid notice
propagates, so the BatchProcessor reports the item failed and SQS redelivers it (after 3 receives: the DLQ). A
transient error or a claim held by another invocation first shortens the message's visibility, so the retry comes
within seconds rather than after the full visibility timeout: inside the two-minute Spot warning.
"""

from __future__ import annotations

import json
import random

from pydantic import ValidationError

from cloudoptim.errors import ClaimInProgressError, TransientAwsError
from cloudoptim.interruptions.ingest import IngestDeps, IngestPolicy, IngestResult, ingest_notice
from cloudoptim.interruptions.notices import NOTICE_EVENT, to_notices
from cloudoptim.interruptions.ports import Redelivery
from cloudoptim.observability import count, logger

# EventBridge events are at most 256 KB; the four notices are about 1 KB. Anything near the limit is not one.
MAX_BODY_BYTES = 64 * 1024
# The deepest real notice (a Health event's affected entities' tags) nests 4 levels.
MAX_NESTING = 16
RETRY_SOON = (TransientAwsError, ClaimInProgressError)

METRIC_OF_STATUS = {
    "started": "DrainStarted",
    "duplicate": "NoticeDuplicate",
    "ignored": "NoticeIgnored",
    "unknown-instance": "UnknownInstance",
    "rejected": "NoticeRejected",
}


def nesting(text: str) -> int:
    """How deep JSON brackets nest, read without parsing (a parser would recurse as deep as the attacker likes).

    >>> nesting('{"a": [1, {"b": "]]]"}]}')
    3
    """
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def screen(body: str) -> str | None:
    """Why a message body is refused before parsing, or None."""
    size = len(body.encode())
    if size > MAX_BODY_BYTES:
        return f"oversized: {size} bytes (a notice is about 1 KB; at most {MAX_BODY_BYTES})"
    depth = nesting(body)
    if depth > MAX_NESTING:
        return f"nested {depth} levels deep (at most {MAX_NESTING})"
    return None


def ingest_record(
    body: str,
    message_id: str,
    receipt_handle: str,
    deps: IngestDeps,
    redelivery: Redelivery,
    policy: IngestPolicy,
    now: int,
) -> list[IngestResult]:
    """`ingest_message`, and on a transient failure the message comes back after a few seconds (with jitter, so
    a throttled batch does not return all at once). A claim held elsewhere comes back once the holder's in-progress
    window has passed: by then it finished (a duplicate) or died (the retry takes over), and the message has not
    used up its receives (3, then the DLQ) meanwhile."""
    try:
        return ingest_message(body, message_id, deps, policy, now)
    except RETRY_SOON as exc:
        base = policy.claim_in_progress_seconds if isinstance(exc, ClaimInProgressError) else policy.retry_after_seconds
        seconds = base + random.randint(0, policy.retry_after_seconds)
        logger().warning("notice retried soon", extra={"message_id": message_id, "error": str(exc), "seconds": seconds})
        count("NoticeRetriedSoon")
        try:
            redelivery.retry_soon(receipt_handle, seconds)
        except Exception as failed:  # the message still comes back after the queue's visibility timeout
            logger().warning("visibility not shortened", extra={"message_id": message_id, "error": str(failed)})
        raise


def ingest_message(body: str, message_id: str, deps: IngestDeps, policy: IngestPolicy, now: int) -> list[IngestResult]:
    refused = screen(body)
    if refused is not None:
        logger().warning("notice dropped: refused unread", extra={"message_id": message_id, "error": refused})
        count("NoticeMalformed")
        return []
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
