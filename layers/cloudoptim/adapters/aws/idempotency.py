"""Ingest idempotency as a conditional put on the `Idempotency` table (powertools' item layout).

Chosen over the powertools decorator so the claim can be released when starting the workflow fails
transiently (SQS then redelivers) and so one in-memory fake serves the tests.
"""

from __future__ import annotations

from pynamodb.exceptions import PynamoDBException

from cloudoptim.adapters.aws._dynamo import dynamo_error, is_condition_failure
from cloudoptim.adapters.aws.tables import IdempotencyItem

IN_PROGRESS = "INPROGRESS"
COMPLETED = "COMPLETED"


class DynamoIdempotency:
    def __init__(self, model: type[IdempotencyItem], in_progress_seconds: int = 120) -> None:
        self._model = model
        self._in_progress_seconds = in_progress_seconds  # longer than the ingest Lambda's timeout

    def claim(self, key: str, now: int, ttl_seconds: int) -> bool:
        m = self._model
        item = m(key, expiration=now + ttl_seconds, status=IN_PROGRESS,
                 in_progress_expiration=now + self._in_progress_seconds)  # fmt: skip
        # Free, expired (TTL deletes lazily), or abandoned by a crashed invocation.
        condition = (
            m.id.does_not_exist()
            | (m.expiration <= now)
            | ((m.status == IN_PROGRESS) & (m.in_progress_expiration <= now))
        )
        try:
            item.save(condition=condition)
        except PynamoDBException as exc:
            if is_condition_failure(exc):
                return False
            raise dynamo_error(exc, f"Idempotency claim {key}") from exc
        return True

    def complete(self, key: str) -> None:
        m = self._model
        try:
            m(key).update(actions=[m.status.set(COMPLETED), m.in_progress_expiration.remove()])
        except PynamoDBException as exc:
            raise dynamo_error(exc, f"Idempotency complete {key}") from exc

    def release(self, key: str) -> None:
        try:
            self._model(key).delete()
        except PynamoDBException as exc:
            raise dynamo_error(exc, f"Idempotency release {key}") from exc
