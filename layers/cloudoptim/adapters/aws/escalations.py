"""The hive mind's hand-over: a pool reaching CONFIRMED_RISKY becomes one "CloudOptim Pool Escalated" event on the
SaaS bus (docs/events.md), consumed by `rebalance_pool` through its queue and by anything else subscribing (webhook
notifications). Ingest only puts the event: the proactive work runs elsewhere, at its own pace.

The detail names the pool, its level and counts, never a tenant: whoever reads the event learns that customers
were interrupted there, not which. Customers cannot forge it: the bus policy lets their accounts put only the
EC2/Health notices (source `aws.ec2`/`aws.health`), and this source is `cloudoptim.hive-mind`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cloudoptim.adapters.aws.errors import translate
from cloudoptim.errors import TransientAwsError
from engines.interruption.hive import Escalation

SOURCE = "cloudoptim.hive-mind"
DETAIL_TYPE = "CloudOptim Pool Escalated"
SCHEMA_VERSION = 1


def escalation_detail(escalation: Escalation) -> dict[str, Any]:
    """The event's detail (version 1 of the schema in docs/events.md).

    >>> from engines.interruption.hive import HivePool
    >>> e = Escalation(HivePool("eu-west-1", "euw1-az1", "m5.large"), "CONFIRMED_RISKY", 3, 0.2, ("r",), 4, 1800)
    >>> d = escalation_detail(e)
    >>> d["pool"], d["level"], d["evidence"], d["expires_at"]
    ('eu-west-1#euw1-az1#m5.large', 'CONFIRMED_RISKY', {'customers': 3, 'interruptions': 4, 'window_minutes': 60}, 1800)
    """
    pool = escalation.pool
    return {
        "version": SCHEMA_VERSION,
        "pool": pool.key,
        "region": pool.region,
        "az_id": pool.az_id,
        "instance_type": pool.instance_type,
        "level": escalation.level,
        "risk_bump": escalation.risk_bump,
        "evidence": {"customers": escalation.customers, "interruptions": escalation.interruptions,
                     "window_minutes": 60},
        "expires_at": escalation.expires_at,
    }  # fmt: skip


REPEAT_SECONDS = 300


class EventBridgeEscalations:
    """`Escalations` (cloudoptim.interruptions.ports) as one PutEvents on the SaaS bus.

    Every notice in a confirmed pool reports the level again; this container puts the event once per pool and
    customer count within `repeat_seconds` (a new customer's evidence goes out at once). Other containers may repeat
    it, and a repeat after the window lets rebalancing see nodes that joined the pool since: the consumers are
    idempotent, so the memo only saves the PutEvents and a rebalance run per notice, never decides anything."""

    def __init__(
        self, client: Any, bus_name: str, repeat_seconds: float = REPEAT_SECONDS, clock: Callable[[], float] = time.time
    ) -> None:
        self._events = client
        self._bus = bus_name
        self._repeat, self._clock = repeat_seconds, clock
        self._sent: dict[tuple[str, int], float] = {}
        self._lock = threading.Lock()

    def confirmed(self, escalation: Escalation) -> None:
        key, now = (escalation.pool.key, escalation.customers), self._clock()
        with self._lock:
            if now - self._sent.get(key, float("-inf")) < self._repeat:
                return
        self._put(escalation)
        with self._lock:  # only once it went out: a failed put is retried with the notice
            self._sent = {k: t for k, t in self._sent.items() if now - t < self._repeat}
            self._sent[key] = now

    def _put(self, escalation: Escalation) -> None:
        entry = {
            "EventBusName": self._bus,
            "Source": SOURCE,
            "DetailType": DETAIL_TYPE,
            "Detail": json.dumps(escalation_detail(escalation), sort_keys=True),
            "Resources": [],
        }
        try:
            answer = self._events.put_events(Entries=[entry])
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, f"PutEvents {DETAIL_TYPE} {escalation.pool.key}") from exc
        if answer.get("FailedEntryCount"):
            # PutEvents answers 200 with per-entry failures (throttled, internal): the notice is retried whole
            failed = (answer.get("Entries") or [{}])[0]
            raise TransientAwsError(
                f"PutEvents {DETAIL_TYPE} {escalation.pool.key}: {failed.get('ErrorCode')} {failed.get('ErrorMessage')}"
            )
