"""`AuditLog` on the Audit table: append-only, per tenant, hash-chained (cloudoptim.audit.chain).

Keys: entries `TENANT#<tenant>` / `SEQ#<12-digit seq>`; an action's guard `TENANT#<tenant>` / `ACTION#<id>` (so a
retried workflow step records its action once); checkpoints `TENANT#<tenant>` / `CHECKPOINT#<12-digit seq>`.
Every write is a Put with attribute_not_exists: nothing is ever updated or deleted, and the table's roles grant no
UpdateItem or DeleteItem. Two writers racing for the next seq: one transaction is cancelled, re-reads the newest
entry and tries again.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, PynamoDBException, TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from cloudoptim.adapters.aws._dynamo import dynamo_error, is_condition_failure
from cloudoptim.adapters.aws.tables import bind
from cloudoptim.audit.chain import GENESIS, next_entry
from cloudoptim.errors import TransientAwsError
from cloudoptim.tenancy.ports import AuditRecord, Json

MAX_RACES = 20


class AuditLogItem(Model):
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    record = UnicodeAttribute()  # canonical JSON of the entry (or checkpoint, or the guard's seq)
    seq = NumberAttribute(null=True)


def audit_log_model(table: str, host: str | None = None, region: str | None = None) -> type[AuditLogItem]:
    return bind(AuditLogItem, table, host, region)  # type: ignore[return-value]


def _pk(tenant: str) -> str:
    return f"TENANT#{tenant}"


def _seq(seq: int) -> str:
    return f"SEQ#{seq:012d}"


class DynamoAuditLog:
    def __init__(self, model: type[AuditLogItem], connection: Connection | None = None) -> None:
        self._model = model
        meta = model.Meta
        self._connection = connection or Connection(
            region=getattr(meta, "region", None), host=getattr(meta, "host", None)
        )

    def append(self, record: AuditRecord, action_id: str | None = None) -> Json:
        """The stored entry; with `action_id`, a second append of the same action returns the first one's entry."""
        fields = {k: v for k, v in dataclasses.asdict(record).items()}
        for _ in range(MAX_RACES):
            if action_id is not None:
                earlier = self._recorded(record.tenant_id, action_id)
                if earlier is not None:
                    return earlier
            newest = self.newest(record.tenant_id, None, 1)
            seq = int(newest[0]["seq"]) + 1 if newest else 1
            entry = next_entry(fields, seq, str(newest[0]["hash"]) if newest else GENESIS)
            if self._write(record.tenant_id, entry, action_id):
                return entry
        raise TransientAwsError(f"audit append for {record.tenant_id}: {MAX_RACES} races for the next seq")

    def _write(self, tenant: str, entry: dict[str, Any], action_id: str | None) -> bool:
        item = self._model(_pk(tenant), _seq(int(entry["seq"])), record=_json(entry), seq=entry["seq"])
        try:
            with TransactWrite(connection=self._connection) as transaction:
                transaction.save(item, condition=self._model.sk.does_not_exist())
                if action_id is not None:
                    guard = self._model(_pk(tenant), f"ACTION#{action_id}", record=_json({"seq": entry["seq"]}))
                    transaction.save(guard, condition=self._model.sk.does_not_exist())
        except TransactWriteError as exc:
            reasons = [r.code for r in exc.cancellation_reasons if r is not None]
            if "ConditionalCheckFailed" in reasons:
                return False  # another writer took this seq, or recorded this action: look again
            raise dynamo_error(exc, f"audit append {tenant}") from exc
        return True

    def _recorded(self, tenant: str, action_id: str) -> Json | None:
        try:
            guard = self._model.get(_pk(tenant), f"ACTION#{action_id}", consistent_read=True)
        except DoesNotExist:
            return None
        except PynamoDBException as exc:
            raise dynamo_error(exc, f"audit guard {action_id}") from exc
        seq = int(json.loads(guard.record)["seq"])
        item = self._model.get(_pk(tenant), _seq(seq), consistent_read=True)
        found: Json = json.loads(item.record)
        return found

    def entries(self, tenant: str, after_seq: int = 0, limit: int = 100) -> Sequence[Json]:
        condition = self._model.sk.between(_seq(after_seq + 1), _seq(10**12 - 1))
        return self._query(tenant, condition, limit, forward=True)

    def newest(self, tenant: str, before_seq: int | None = None, limit: int = 100) -> Sequence[Json]:
        upper = _seq((before_seq or 10**12) - 1)
        return self._query(tenant, self._model.sk.between(_seq(1), upper), limit, forward=False)

    def checkpoints(self, tenant: str) -> Sequence[Json]:
        found: list[Json] = []
        try:
            for item in self._model.query(_pk(tenant), self._model.sk.startswith("CHECKPOINT#"), consistent_read=True):
                found.append(json.loads(item.record))
        except PynamoDBException as exc:
            raise dynamo_error(exc, f"audit checkpoints {tenant}") from exc
        return found

    def add_checkpoint(self, tenant: str, checkpoint: Json) -> bool:
        item = self._model(_pk(tenant), f"CHECKPOINT#{int(checkpoint['seq']):012d}", record=_json(checkpoint))
        try:
            item.save(condition=self._model.sk.does_not_exist())
        except PynamoDBException as exc:
            if is_condition_failure(exc):
                return False
            raise dynamo_error(exc, f"audit checkpoint {tenant}") from exc
        return True

    def _query(self, tenant: str, condition: Any, limit: int, forward: bool) -> list[Json]:
        try:
            items = self._model.query(
                _pk(tenant), condition, scan_index_forward=forward, limit=limit, consistent_read=True
            )
            return [json.loads(item.record) for item in items]
        except PynamoDBException as exc:
            raise dynamo_error(exc, f"audit read {tenant}") from exc


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
