"""Fault injection for the drill: what goes wrong in AWS, on a chosen share of notices, once each.

Four kinds, keyed by the instance a notice is about (chosen before the notice is sent, so no race with ingest):
- `ingest-crash`: ingest's process dies right after it claimed the instance's guard and before StartExecution (the
  claim stays in progress; the message returns after the queue's visibility timeout and the retry takes it over);
- `task-crash`: LaunchReplacement or EvictPods dies before its side effect (the state machine retries it);
- `dynamodb-throttle`: ingest's registry read of the instance is throttled THROTTLES times, more than the SDK's own
  retries absorb (a TransientAwsError: visibility shortened to seconds, then retried);
- `lambda-timeout`: the ingest invocation carrying the notice runs past its timeout (it sleeps the function's
  timeout, then the runtime reports Sandbox.Timedout; the whole batch comes back after the visibility timeout).
Process failures are `SimulatedFailure`s (BaseException): no cleanup code of the handler runs, as when a process
dies. The throttle is a real DynamoDB error response, through botocore's and pynamodb's own retry and error paths.
The rehearsal (localmode.rehearsal) also throttles *writes*, keyed by event id (`plan_write_throttle`): every
DynamoDB write whose request names the event (its claim, its hive-mind record) is answered
ProvisionedThroughputExceeded or ThrottlingException the planned number of times, and each answer is counted.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore import handlers
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from moto.core.botocore_stubber import MockRawResponse

from cloudoptim.adapters.aws.clients import shared_session
from cloudoptim.adapters.aws.idempotency import DynamoIdempotency
from cloudoptim.interruptions.ports import Claim
from localmode.lambda_runner import LambdaCrash, LambdaTimeout

FAULT_KINDS = ("ingest-crash", "task-crash", "dynamodb-throttle", "lambda-timeout")
CRASHING_TASKS = ("launch_replacement", "evict_pods")
THROTTLES = 6  # pynamodb/botocore retry a throttle 3 times: the first invocation fails, the retry gets through
WRITE_TARGETS = frozenset(
    f"DynamoDB_20120810.{op}" for op in ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")
)
_THROTTLING = json.dumps(
    {
        "__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException",
        "message": "Rate of requests exceeds the allowed throughput.",
    }
).encode()
_THROTTLED = json.dumps(
    {
        "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
        "message": "The level of configured provisioned throughput for the table was exceeded.",
    }
).encode()


@dataclass
class FaultInjector:
    """`plan(instance, kind)` before the notice is sent; `install(aws)` once; `fired` counts what happened."""

    planned: dict[str, str] = field(default_factory=dict)  # instance id -> kind
    fired: Counter[str] = field(default_factory=Counter)
    _throttles_left: dict[str, int] = field(default_factory=dict)
    write_throttles_left: dict[str, int] = field(default_factory=dict)  # event id -> throttled writes still to give
    throttled_writes: Counter[str] = field(default_factory=Counter)  # event id -> throttled write answers given
    _done: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def plan(self, instance_id: str, kind: str) -> None:
        with self._lock:
            self.planned[instance_id] = kind
            if kind == "dynamodb-throttle":
                self._throttles_left[instance_id] = THROTTLES

    def plan_write_throttle(self, event_id: str, times: int) -> None:
        with self._lock:
            self.write_throttles_left[event_id] = times

    @property
    def injected(self) -> int:
        """Notices that had their fault: a throttle counts once, however many responses it took."""
        with self._lock:
            return len(self._done)

    def _take(self, instance_id: str, kind: str) -> bool:
        """Whether `instance_id` still has a fault of `kind` to fire; marks it fired."""
        with self._lock:
            if self.planned.get(instance_id) != kind or instance_id in self._done:
                return False
            self._done.add(instance_id)
            self.fired[kind] += 1
            return True

    # --- the hooks ----------------------------------------------------------------------------------------
    def before_invoke(self, function: str, event: Any, timeout: float) -> None:
        """Runs before every in-process invocation (localmode.lambda_runner)."""
        if function == "ingest":
            for instance_id in _instances_in_batch(event):
                if self._take(instance_id, "lambda-timeout"):
                    time.sleep(timeout)
                    raise LambdaTimeout(f"Task timed out after {timeout:.2f} seconds")
        elif function in CRASHING_TASKS and isinstance(event, dict):
            instance_id = str(event.get("instance_id", ""))
            wanted = CRASHING_TASKS[int(instance_id[-1], 16) % 2] if instance_id[-1:].isalnum() else function
            if function == wanted and self._take(instance_id, "task-crash"):
                raise LambdaCrash(f"injected: {function} died before its side effect")

    def after_claim(self, key: str, claim: Claim) -> None:
        """Runs after every idempotency claim: ingest dies once it holds the instance's guard."""
        if claim is Claim.TAKEN and key.startswith("INSTANCE#"):
            instance_id = key.split("#")[1]
            if self._take(instance_id, "ingest-crash"):
                raise LambdaCrash(f"injected: ingest died after claiming {key}, before starting the workflow")

    def before_send(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
        """A botocore `before-send` hook: DynamoDB answers ProvisionedThroughputExceeded to the planned reads."""
        target = request.headers.get("X-Amz-Target") or b""
        operation = target.decode() if isinstance(target, bytes) else str(target)
        body = request.body.decode() if isinstance(request.body, bytes) else str(request.body or "")
        if operation in WRITE_TARGETS and self.write_throttles_left:
            return self._throttle_write(str(request.url), body)
        if operation != "DynamoDB_20120810.GetItem":
            return None
        with self._lock:
            instance_id = next(
                (i for i, left in self._throttles_left.items() if left and f"INSTANCE#{i}" in body), None
            )
            if instance_id is None:
                return None
            self._throttles_left[instance_id] -= 1
            if instance_id not in self._done:
                self._done.add(instance_id)
                self.fired["dynamodb-throttle"] += 1
        headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "throttled"}
        return AWSResponse(str(request.url), 400, headers, MockRawResponse(_THROTTLED))

    def _throttle_write(self, url: str, body: str) -> AWSResponse | None:
        with self._lock:
            event_id = next((e for e, left in self.write_throttles_left.items() if left and e in body), None)
            if event_id is None:
                return None
            self.write_throttles_left[event_id] -= 1
            self.throttled_writes[event_id] += 1
            answer = _THROTTLED if self.throttled_writes[event_id] % 2 else _THROTTLING  # both codes DynamoDB uses
        headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "throttled"}
        return AWSResponse(url, 400, headers, MockRawResponse(answer))

    def install(self, aws: Any, clients: Sequence[Any] = ()) -> Callable[[], None]:
        """Hook the Lambda runner, the idempotency adapter, every botocore session from now on and the given
        clients already made (pynamodb keeps one per table for the process); returns the undo."""
        original_claim = DynamoIdempotency.claim
        injector = self

        def claim(store: DynamoIdempotency, key: str, now: int, ttl: int, owner: str | None = None) -> Claim:
            result = original_claim(store, key, now, ttl, owner)
            injector.after_claim(key, result)
            return result

        original_claim_all = DynamoIdempotency.claim_all

        def claim_all(
            store: DynamoIdempotency, keys: Sequence[str], now: int, ttl_seconds: int, owner: str | None = None
        ) -> bool:
            taken = original_claim_all(store, keys, now, ttl_seconds, owner)
            for key in keys if taken else ():
                injector.after_claim(key, Claim.TAKEN)
            return taken

        DynamoIdempotency.claim = claim  # type: ignore[method-assign,assignment]
        DynamoIdempotency.claim_all = claim_all  # type: ignore[method-assign,assignment]
        aws.before_invoke = self.before_invoke
        entry = ("before-send", self.before_send)
        handlers.BUILTIN_HANDLERS.insert(0, entry)  # ahead of the in-process transport, which would answer first
        emitters = [shared_session().get_component("event_emitter"), *(c.meta.events for c in clients)]
        for emitter in emitters:
            emitter.register_first("before-send", self.before_send)

        def restore() -> None:
            DynamoIdempotency.claim = original_claim  # type: ignore[method-assign]
            DynamoIdempotency.claim_all = original_claim_all  # type: ignore[method-assign]
            aws.before_invoke = None
            if entry in handlers.BUILTIN_HANDLERS:
                handlers.BUILTIN_HANDLERS.remove(entry)
            for emitter in emitters:
                emitter.unregister("before-send", self.before_send)

        return restore


def _instances_in_batch(event: Any) -> list[str]:
    found = []
    for record in (event or {}).get("Records", []) if isinstance(event, dict) else []:
        try:
            detail = json.loads(record.get("body", "{}")).get("detail") or {}
        except (ValueError, AttributeError, RecursionError):  # hostile bodies too: the hook must not fail on them
            continue
        if isinstance(detail, dict) and detail.get("instance-id"):
            found.append(str(detail["instance-id"]))
    return found
