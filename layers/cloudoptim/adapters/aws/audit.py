"""The audit log in DynamoDB: per tenant, append-only, sequence-numbered, each entry chained to the one before.

Items (docs/platform-contract.md): `TENANT#<t>` / `SEQ#<seq>` holds the entry (its canonical JSON, the hash of that
text and the previous entry's hash); `TENANT#<t>` / `ACTION#<action id>` is the action's guard, naming its seq.
Both go in one TransactWriteItems, each with `attribute_not_exists`, so:
- a retried RecordOutcome finds its guard and writes nothing (the first entry's key is returned);
- two actions in the same second take two sequence numbers (the key is the number, not the time);
- two writers racing for the next number: one wins, the other re-reads the newest entry and tries the next one.
Nothing is ever updated or deleted, and no role is allowed to (cdk/constructs/interruptions.py). Hourly
checkpoints (`CHECKPOINT#<seq>`, signed by KMS) are put the same way; readers get entries as stored bodies plus
their hash (cloudoptim.audit.log.stored).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cloudoptim.adapters.aws.errors import translate
from cloudoptim.audit.log import GENESIS, AuditEntry, SealedEntry, seal, seq_key, stored
from cloudoptim.errors import TransientAwsError

MAX_ATTEMPTS = 10


class DynamoAuditLog:
    def __init__(self, client: Any, table: str) -> None:
        self._dynamodb = client
        self._table = table

    def record(self, entry: AuditEntry) -> str:
        pk = f"TENANT#{entry.tenant_id}"
        for _ in range(MAX_ATTEMPTS):
            seq, prev_hash = self._newest(pk)
            sealed = seal(entry, seq + 1, prev_hash)
            conflict = self._append(pk, entry, sealed)
            if conflict is None:
                return f"{pk}/{sealed.key}"
            if conflict == "action":
                return f"{pk}/{self._recorded(pk, entry.action_id)}"
        raise TransientAwsError(f"Audit {pk}: {MAX_ATTEMPTS} writers in a row took the next sequence number")

    def _newest(self, pk: str) -> tuple[int, str]:
        """The newest entry's seq and hash (0 and the genesis hash for a tenant's first entry)."""
        try:
            answer = self._dynamodb.query(
                TableName=self._table,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :seq)",
                ExpressionAttributeValues={":pk": {"S": pk}, ":seq": {"S": "SEQ#"}},
                ScanIndexForward=False,
                Limit=1,
                ConsistentRead=True,
                ProjectionExpression="seq, #h",
                ExpressionAttributeNames={"#h": "hash"},
            )
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, f"Audit query {pk}") from exc
        items = answer.get("Items") or []
        if not items:
            return 0, GENESIS
        return int(items[0]["seq"]["N"]), str(items[0]["hash"]["S"])

    def _append(self, pk: str, entry: AuditEntry, sealed: SealedEntry) -> str | None:
        """None when written; "action" when the action is already recorded; "seq" when the number was taken."""
        guard = {"pk": {"S": pk}, "sk": {"S": f"ACTION#{entry.action_id}"}, "seq": {"N": str(sealed.seq)},
                 "entry_key": {"S": sealed.key}}  # fmt: skip
        item = {
            "pk": {"S": pk}, "sk": {"S": sealed.key}, "seq": {"N": str(sealed.seq)},
            "prev_hash": {"S": sealed.prev_hash}, "hash": {"S": sealed.hash}, "entry": {"S": sealed.body},
            "action_id": {"S": entry.action_id}, "actor": {"S": entry.actor}, "action": {"S": entry.action},
            "outcome": {"S": entry.outcome}, "time": {"S": str(entry.document()["time"])},
        }  # fmt: skip
        new = "attribute_not_exists(pk)"
        try:
            self._dynamodb.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": self._table, "Item": guard, "ConditionExpression": new}},
                    {"Put": {"TableName": self._table, "Item": item, "ConditionExpression": new}},
                ]
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise translate(exc, f"Audit append {pk}") from exc
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons") or []]
            if reasons and reasons[0] == "ConditionalCheckFailed":
                return "action"
            if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
                return "seq"
            raise TransientAwsError(f"Audit append {pk}: transaction cancelled ({reasons})") from exc
        except BotoCoreError as exc:
            raise translate(exc, f"Audit append {pk}") from exc
        return None

    def _recorded(self, pk: str, action_id: str) -> str:
        try:
            answer = self._dynamodb.get_item(
                TableName=self._table, Key={"pk": {"S": pk}, "sk": {"S": f"ACTION#{action_id}"}}, ConsistentRead=True
            )
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, f"Audit get {pk}") from exc
        guard = answer.get("Item") or {}
        return str(guard["entry_key"]["S"]) if "entry_key" in guard else seq_key(int(guard.get("seq", {}).get("N", 0)))

    def entries(self, tenant: str, after_seq: int = 0, limit: int = 100) -> Sequence[Mapping[str, Any]]:
        return self._entries(tenant, seq_key(after_seq + 1), seq_key(10**12 - 1), limit, forward=True)

    def newest(self, tenant: str, before_seq: int | None = None, limit: int = 100) -> Sequence[Mapping[str, Any]]:
        upper = seq_key((before_seq or 10**12) - 1)
        return self._entries(tenant, seq_key(1), upper, limit, forward=False)

    def checkpoints(self, tenant: str) -> Sequence[Mapping[str, Any]]:
        found: list[Mapping[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :c)",
            "ExpressionAttributeValues": {":pk": {"S": f"TENANT#{tenant}"}, ":c": {"S": "CHECKPOINT#"}},
            "ConsistentRead": True,
        }
        while True:
            answer = self._query(kwargs, f"Audit checkpoints {tenant}")
            found += [json.loads(item["checkpoint"]["S"]) for item in answer.get("Items") or []]
            if "LastEvaluatedKey" not in answer:
                return found
            kwargs["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def add_checkpoint(self, tenant: str, checkpoint: Mapping[str, Any]) -> bool:
        item = {
            "pk": {"S": f"TENANT#{tenant}"}, "sk": {"S": f"CHECKPOINT#{int(checkpoint['seq']):012d}"},
            "checkpoint": {"S": json.dumps(dict(checkpoint), sort_keys=True, separators=(",", ":"))},
        }  # fmt: skip
        try:
            self._dynamodb.put_item(TableName=self._table, Item=item, ConditionExpression="attribute_not_exists(pk)")
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise translate(exc, f"Audit checkpoint {tenant}") from exc
        except BotoCoreError as exc:
            raise translate(exc, f"Audit checkpoint {tenant}") from exc
        return True

    def _entries(self, tenant: str, low: str, high: str, limit: int, forward: bool) -> list[Mapping[str, Any]]:
        answer = self._query(
            {
                "TableName": self._table,
                "KeyConditionExpression": "pk = :pk AND sk BETWEEN :low AND :high",
                "ExpressionAttributeValues": {
                    ":pk": {"S": f"TENANT#{tenant}"},
                    ":low": {"S": low},
                    ":high": {"S": high},
                },
                "ScanIndexForward": forward,
                "Limit": limit,
                "ConsistentRead": True,
                "ProjectionExpression": "#e, #h",
                "ExpressionAttributeNames": {"#e": "entry", "#h": "hash"},
            },
            f"Audit read {tenant}",
        )
        return [stored(item["entry"]["S"], item["hash"]["S"]) for item in answer.get("Items") or []]

    def _query(self, kwargs: Mapping[str, Any], what: str) -> Any:
        try:
            return self._dynamodb.query(**kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, what) from exc
