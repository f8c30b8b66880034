"""EventBridge rule delivery for the targets moto lacks, and a tap on what the bus delivered to SQS.

moto raises NotImplementedError (HTTP 500 on PutEvents) for Lambda and Step Functions targets, and it lets
scheduled rules (no pattern) match every event, which real EventBridge never does. Its default target input also
drops the event's `account` (real EventBridge delivers the whole event): ingest refuses an event without one, so
the account is put back. The tap keeps the exact message body each event became on its SQS target, so the drill
can replay an at-least-once duplicate (the same event id delivered twice), which PutEvents itself cannot produce:
it always assigns a new id.
"""

from __future__ import annotations

import copy
import json
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from moto.awslambda.utils import get_backend as lambda_backend
from moto.events.models import Rule
from moto.stepfunctions.parser.models import stepfunctions_parser_backends
from moto.utilities.arns import parse_arn

_ASYNC_SERVICES = ("lambda", "states")
_SENDING = threading.local()  # the event being delivered by this thread, for its account


@dataclass
class DeliveryTap:
    """The last SQS body per event id (bounded), as EventBridge delivered it."""

    limit: int = 20_000
    _bodies: OrderedDict[str, tuple[str, str]] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, event_id: str, queue_name: str, body: str) -> None:
        with self._lock:
            self._bodies[event_id] = (queue_name, body)
            while len(self._bodies) > self.limit:
                self._bodies.popitem(last=False)

    def delivered(self, event_id: str) -> tuple[str, str] | None:
        """(queue name, message body) of the event's SQS delivery, if it had one."""
        with self._lock:
            return self._bodies.get(event_id)


def _deliver_async(rule: Rule, target: dict[str, Any], event: dict[str, Any]) -> None:
    arn = parse_arn(target["Arn"])
    body = json.dumps(event, default=str)
    if arn.service == "lambda":
        function = lambda_backend(arn.account, arn.region).get_function(target["Arn"])
        # EventBridge invokes Lambda asynchronously: do not hold PutEvents for the handler.
        threading.Thread(target=function.invoke, args=(body, {}, {}), daemon=True).start()
    else:
        backend = stepfunctions_parser_backends[arn.account][arn.region]
        backend.start_execution(target["Arn"], f"{rule.name}-{uuid.uuid4().hex}"[:80], body)


def install(tap: DeliveryTap) -> Callable[[], None]:
    """Patch moto's `Rule`; returns the function that restores it."""
    original_send = Rule.send_to_targets
    original_sqs = Rule._send_to_sqs_queue

    def send_to_targets(rule: Rule, original_event: Any, transform_input: bool = True) -> None:
        if rule.scheduled_expression or not rule.event_pattern.matches_event(original_event):
            return
        _SENDING.account = original_event.get("account") if isinstance(original_event, dict) else None
        extra = [t for t in rule.targets if parse_arn(t["Arn"]).service in _ASYNC_SERVICES]
        for target in extra:
            _deliver_async(rule, target, copy.deepcopy(original_event))
        if len(extra) < len(rule.targets):
            native = copy.copy(rule)
            native.targets = [t for t in rule.targets if t not in extra]
            original_send(native, original_event, transform_input)

    def send_to_sqs_queue(rule: Rule, resource_id: str, event: dict[str, Any], group_id: str | None = None) -> None:
        account = getattr(_SENDING, "account", None)
        if "id" in event and "account" not in event and account:
            event = {**event, "account": account}
        original_sqs(rule, resource_id, event, group_id)
        # moto rewrote `time` in place before serialising: this body is byte-identical to the delivered one.
        if "id" in event:
            tap.record(str(event["id"]), resource_id, json.dumps(event))

    Rule.send_to_targets = send_to_targets  # type: ignore[method-assign,assignment]
    Rule._send_to_sqs_queue = send_to_sqs_queue  # type: ignore[method-assign,assignment]

    def restore() -> None:
        Rule.send_to_targets = original_send  # type: ignore[method-assign]
        Rule._send_to_sqs_queue = original_sqs  # type: ignore[method-assign]

    return restore
