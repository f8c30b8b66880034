"""Ingest idempotency as a conditional put on the `Idempotency` table (powertools' item layout, plus `owner`).

Chosen over the powertools decorator so the claim can be released when starting the workflow fails
transiently (SQS then redelivers), so a claim still in progress elsewhere is told apart from a completed one
(a retry, not a duplicate), and so one in-memory fake serves the tests.
"""

from __future__ import annotations

from collections.abc import Sequence

from pynamodb.exceptions import DoesNotExist, PynamoDBException
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from cloudoptim.adapters.aws._dynamo import dynamo_error, is_condition_failure
from cloudoptim.adapters.aws.tables import IdempotencyItem
from cloudoptim.errors import TransientAwsError
from cloudoptim.interruptions.ports import Claim

IN_PROGRESS = "INPROGRESS"
COMPLETED = "COMPLETED"
# Longer than ingest's timeout (a live invocation keeps its claim), shorter than the queue's visibility timeout
# (the redelivery of a crashed invocation's message finds the claim free): cdk/constructs/interruptions.py.
DEFAULT_IN_PROGRESS_SECONDS = 20


class DynamoIdempotency:
    def __init__(self, model: type[IdempotencyItem], in_progress_seconds: int = DEFAULT_IN_PROGRESS_SECONDS) -> None:
        self._model = model
        self._in_progress_seconds = in_progress_seconds

    def _item(self, key: str, now: int, ttl_seconds: int, owner: str | None) -> IdempotencyItem:
        return self._model(key, expiration=now + ttl_seconds, status=IN_PROGRESS, owner=owner or key,
                           in_progress_expiration=now + self._in_progress_seconds)  # fmt: skip

    def _free(self, now: int) -> Condition:
        """Free, expired (TTL deletes lazily), or abandoned by a crashed invocation."""
        m = self._model
        free: Condition = (
            m.id.does_not_exist()
            | (m.expiration <= now)
            | ((m.status == IN_PROGRESS) & (m.in_progress_expiration <= now))
        )
        return free

    def claim(self, key: str, now: int, ttl_seconds: int, owner: str | None = None) -> Claim:
        try:
            self._item(key, now, ttl_seconds, owner).save(condition=self._free(now))
        except PynamoDBException as exc:
            if is_condition_failure(exc):
                return self._held(key, now)
            raise dynamo_error(exc, f"Idempotency claim {key}") from exc
        return Claim.TAKEN

    def claim_all(self, keys: Sequence[str], now: int, ttl_seconds: int, owner: str | None = None) -> bool:
        """Claim every key in one TransactWriteItems: True all taken; False none was (one is held, done, or the
        write conflicted), for the caller to claim them one by one and learn which."""
        m = self._model
        try:
            with TransactWrite(connection=m._get_connection().connection) as tx:
                for key in keys:
                    tx.save(self._item(key, now, ttl_seconds, owner), condition=self._free(now))
        except PynamoDBException as exc:
            if getattr(exc, "cause_response_code", None) == "TransactionCanceledException":
                return False
            raise dynamo_error(exc, f"Idempotency claim {', '.join(keys)}") from exc
        return True

    def _held(self, key: str, now: int) -> Claim:
        """Why the claim failed: completed earlier (a duplicate), or still in someone's hands (retry)."""
        try:
            item = self._model.get(key, consistent_read=True)
        except DoesNotExist:
            return Claim.IN_PROGRESS  # released between our put and this read: the retry will take it
        except PynamoDBException as exc:
            raise dynamo_error(exc, f"Idempotency read {key}") from exc
        return Claim.DONE if item.status == COMPLETED else Claim.IN_PROGRESS

    def complete(self, key: str) -> None:
        m = self._model
        try:
            m(key).update(actions=[m.status.set(COMPLETED), m.in_progress_expiration.remove()])
        except PynamoDBException as exc:
            raise dynamo_error(exc, f"Idempotency complete {key}") from exc

    def complete_all(self, keys: Sequence[str]) -> None:
        """One TransactWriteItems for up to 100 claims (ingest: its event and guards, one write instead of three).
        A cancelled or conflicting transaction changed nothing: transient, the notice is retried whole."""
        if len(keys) == 1:
            self.complete(keys[0])
            return
        m = self._model
        try:
            with TransactWrite(connection=m._get_connection().connection) as tx:
                for key in keys:
                    tx.update(m(key), actions=[m.status.set(COMPLETED), m.in_progress_expiration.remove()])
        except PynamoDBException as exc:
            code = getattr(exc, "cause_response_code", None)
            if code in ("TransactionCanceledException", "TransactionConflictException"):
                raise TransientAwsError(f"Idempotency complete {', '.join(keys)}: {code} {exc}") from exc
            raise dynamo_error(exc, f"Idempotency complete {', '.join(keys)}") from exc

    def release(self, key: str, owner: str | None = None) -> None:
        """Delete the claim if `owner` (default: the key itself) still holds it; someone else's claim stays."""
        m = self._model
        who = owner or key
        try:
            m(key).delete(condition=(m.owner == who) | m.owner.does_not_exist())
        except PynamoDBException as exc:
            if is_condition_failure(exc):
                return
            raise dynamo_error(exc, f"Idempotency release {key}") from exc
