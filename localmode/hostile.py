"""Hostile messages for the drill: what an attacker, a misconfigured account or a broken forwarder could put in
front of ingest. None may start a workflow.

They are sent straight to the interruption queue, the last hop before ingest, so that every one reaches ingest's
own checks: the bus policy (source and account conditions) and PutEvents' size limit would stop some earlier in
AWS, and moto enforces neither.

>>> [kind for kind, _, _ in hostile_messages(3, ["i-0123456789abcdef0"], "eu-west-1", "123456789012", now=0)]
['forged-account', 'foreign-region', 'foreign-source']
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from localmode.drill_events import INTERRUPTION

HOSTILE_KINDS = (
    "forged-account",  # a registered instance, an account that is not its tenant's
    "foreign-region",  # a registered instance, a region that is not its tenant's
    "foreign-source",  # a custom source claiming to be an EC2 notice
    "stale",  # a replayed warning from an hour ago
    "malformed",  # not JSON
    "oversized",  # 200 KB
    "deeply-nested",  # 5,000 levels of brackets
    "unknown-instance",  # the tenant's own account, an instance it does not have
)
FORGED_ACCOUNT = "999999999999"
FOREIGN_REGION = "ap-south-1"


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _warning(instance_id: str, region: str, account: str, at: float) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": INTERRUPTION,
        "source": "aws.ec2",
        "account": account,
        "time": _iso(at),
        "region": region,
        "resources": [f"arn:aws:ec2:{region}:{account}:instance/{instance_id}"],
        "detail": {"instance-id": instance_id, "instance-action": "terminate"},
    }


def hostile_body(kind: str, instance_id: str, region: str, account: str, now: float) -> tuple[str, str | None]:
    """The message body of one hostile kind, and the event id it carries (None when it has none)."""
    event = _warning(instance_id, region, account, now)
    if kind == "forged-account":
        event["account"] = FORGED_ACCOUNT
    elif kind == "foreign-region":
        event["region"] = FOREIGN_REGION
    elif kind == "foreign-source":
        event["source"] = "custom.spoofed"
    elif kind == "stale":
        event["time"] = _iso(now - 3600)
    elif kind == "malformed":
        return '{"detail-type": "EC2 Spot Instance Interruption Warning", "detail": {"instance-id": ', None
    elif kind == "oversized":
        event["detail"]["padding"] = "x" * 200_000
    elif kind == "deeply-nested":
        text = json.dumps(event)
        return text[:-1] + ', "extra": ' + "[" * 5000 + "]" * 5000 + "}", str(event["id"])
    elif kind == "unknown-instance":
        event["detail"]["instance-id"] = "i-0deadbeefdeadbeef"
    return json.dumps(event), str(event["id"])


def hostile_messages(
    count: int, instances: Sequence[str], region: str, account: str, now: float
) -> list[tuple[str, str, str | None]]:
    """`count` hostile messages cycling through the kinds, aimed at live instances: (kind, body, event id)."""
    messages = []
    for index in range(count):
        kind = HOSTILE_KINDS[index % len(HOSTILE_KINDS)]
        body, event_id = hostile_body(kind, instances[index % len(instances)], region, account, now)
        messages.append((kind, body, event_id))
    return messages
