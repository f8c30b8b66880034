"""`Redelivery` over SQS: a message that failed transiently comes back after seconds (ChangeMessageVisibility)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cloudoptim.adapters.aws.errors import translate


class SqsRedelivery:
    def __init__(self, client: Any, queue_url: str) -> None:
        self._sqs = client
        self._queue_url = queue_url

    def retry_soon(self, receipt_handle: str, seconds: int) -> None:
        try:
            self._sqs.change_message_visibility(
                QueueUrl=self._queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=seconds
            )
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, "ChangeMessageVisibility") from exc
