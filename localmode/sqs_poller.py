"""The Lambda SQS poller, played locally: batches, partial-batch failures and redrive, as in AWS.

moto's own event source mapping invokes the function inside SendMessage, one record at a time, ignores
`batchItemFailures` and never retries, so a failure would neither reach the DLQ nor be measured.
Here a few threads long-poll the queue, invoke the function through the Lambda API (so the in-process
runner and its journal see it), delete what succeeded and leave the rest to come back; moto's SQS moves
a message to the DLQ once its receive count passes `maxReceiveCount`. Time is not compressed: a failed message
comes back after the queue's visibility timeout (30 s), or sooner when the function shortened it itself
(ChangeMessageVisibility on a transient error), exactly as in AWS, so the drill's deadline figures are honest.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from localmode.aws import LocalAws
from localmode.deploy import EventSourceMapping


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    """The event Lambda's SQS poller passes to the function."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": m.get("MessageAttributes", {}),
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for m in messages
        ]
    }


def failed_ids(response: dict[str, Any], report_batch_item_failures: bool, batch: list[str]) -> set[str]:
    """Which message ids of `batch` failed, per the Lambda response.

    >>> failed_ids({"FunctionError": "Unhandled"}, True, ["a", "b"]) == {"a", "b"}
    True
    >>> failed_ids({"Payload": {"batchItemFailures": [{"itemIdentifier": "b"}]}}, True, ["a", "b"])
    {'b'}
    """
    if response.get("FunctionError"):
        return set(batch)
    if not report_batch_item_failures:
        return set()
    payload = response.get("Payload") or {}
    failures = payload.get("batchItemFailures") or [] if isinstance(payload, dict) else []
    return {str(f.get("itemIdentifier")) for f in failures} & set(batch)


@dataclass
class SqsPoller:
    """Start with `start()`, stop with `stop()`; `invocations` and `failures` count what happened."""

    aws: LocalAws
    mapping: EventSourceMapping
    threads: int = 4
    wait_seconds: int = 1
    invocations: int = 0
    failures: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _workers: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        self._stop.clear()
        queue_url = self.aws.client("sqs").get_queue_url(QueueName=self.mapping.queue_arn.rsplit(":", 1)[-1])
        for index in range(self.threads):
            worker = threading.Thread(
                target=self._run, args=(queue_url["QueueUrl"],), name=f"sqs-poller-{index}", daemon=True
            )
            worker.start()
            self._workers.append(worker)

    def stop(self) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=self.wait_seconds + 30)
        self._workers.clear()

    def _run(self, queue_url: str) -> None:
        sqs, lam = self.aws.client("sqs"), self.aws.client("lambda")
        while not self._stop.is_set():
            try:
                self._poll_once(sqs, lam, queue_url)
            except Exception:
                self._stop.wait(0.5)

    def _poll_once(self, sqs: Any, lam: Any, queue_url: str) -> None:
        messages = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=min(10, self.mapping.batch_size),
            WaitTimeSeconds=self.wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return
        raw = lam.invoke(
            FunctionName=self.mapping.function_arn,
            Payload=json.dumps(sqs_event(messages, self.mapping.queue_arn, self.aws.region)),
        )
        response = {"FunctionError": raw.get("FunctionError"), "Payload": json.loads(raw["Payload"].read() or b"null")}
        failed = failed_ids(response, self.mapping.report_batch_item_failures, [m["MessageId"] for m in messages])
        with self._lock:
            self.invocations += 1
            self.failures += len(failed)
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            entries = [
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done[start : start + 10])
            ]
            sqs.delete_message_batch(QueueUrl=queue_url, Entries=entries)
