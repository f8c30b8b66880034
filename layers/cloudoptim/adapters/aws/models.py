"""The model registry's storage: artifacts in S3 (`models/<id>/model.txt|metadata.json`), the registry document as
one DynamoDB item written under a version condition, shadow comparisons as items keyed by candidate; ValidateModel
executions, and the hive mind's interruption records as the outcomes shadow reports judge."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from cloudoptim.adapters.aws.errors import translate
from cloudoptim.adapters.aws.stepfunctions import SfnExecutions
from cloudoptim.errors import NotFoundError, RegistryConflictError
from cloudoptim.interruptions.ports import HiveMind
from cloudoptim.models.ports import Interruption, RegistryState, ShadowEntry
from cloudoptim.models.registry import ACCEPTED_FILES

REGISTRY_PK = "MODELS"  # the Registry table's partition for the model registry (grants name this prefix)
REGISTRY_SK = "REGISTRY"
SHADOW_PREFIX = "MODELSHADOW#"


class S3Artifacts:
    def __init__(self, client: Any, bucket: str) -> None:
        self._s3, self._bucket = client, bucket

    def put(self, model_id: str, files: Mapping[str, bytes]) -> None:
        for name, body in files.items():
            try:
                self._s3.put_object(Bucket=self._bucket, Key=f"models/{model_id}/{name}", Body=body)
            except Exception as exc:
                raise translate(exc, f"S3 PutObject models/{model_id}/{name}") from exc

    def get(self, model_id: str) -> dict[str, bytes]:
        files = {}
        for name in ACCEPTED_FILES:
            try:
                answer = self._s3.get_object(Bucket=self._bucket, Key=f"models/{model_id}/{name}")
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                    raise NotFoundError(f"model {model_id} has no {name} in the artifact bucket") from None
                raise translate(exc, f"S3 GetObject models/{model_id}/{name}") from exc
            files[name] = answer["Body"].read()
        return files


class DynamoRegistryState:
    def __init__(self, client: Any, table: str) -> None:
        self._db, self._table = client, table

    def load(self) -> RegistryState:
        key = {"pk": {"S": REGISTRY_PK}, "sk": {"S": REGISTRY_SK}}
        try:
            item = self._db.get_item(TableName=self._table, Key=key, ConsistentRead=True).get("Item")
        except Exception as exc:
            raise translate(exc, "model registry GetItem") from exc
        if item is None:
            return RegistryState()
        return RegistryState.model_validate_json(item["document"]["S"])

    def save(self, state: RegistryState, expected_version: int) -> None:
        item = {
            "pk": {"S": REGISTRY_PK},
            "sk": {"S": REGISTRY_SK},
            "version": {"N": str(state.version)},
            "document": {"S": state.model_dump_json()},
        }
        try:
            self._db.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression="attribute_not_exists(pk) OR version = :expected",
                ExpressionAttributeValues={":expected": {"N": str(expected_version)}},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise RegistryConflictError(f"model registry is past version {expected_version}") from None
            raise translate(exc, "model registry PutItem") from exc
        except Exception as exc:
            raise translate(exc, "model registry PutItem") from exc


class DynamoShadowLog:
    """One item per shadowed choice; the key is the choice itself, so a retried choice overwrites its own entry."""

    def __init__(self, client: Any, table: str) -> None:
        self._db, self._table = client, table

    def record(self, entry: ShadowEntry) -> None:
        sk = f"{entry.at:011d}#{entry.region}#{entry.active_pool}#{entry.candidate_pool}"
        item = {"pk": {"S": SHADOW_PREFIX + entry.candidate}, "sk": {"S": sk}, "entry": {"S": entry.model_dump_json()}}
        try:
            self._db.put_item(TableName=self._table, Item=item)
        except Exception as exc:
            raise translate(exc, "shadow entry PutItem") from exc

    def entries(self, candidate: str) -> list[ShadowEntry]:
        items: list[dict[str, Any]] = []
        query: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": SHADOW_PREFIX + candidate}},
        }
        try:
            while True:
                page = self._db.query(**query)
                items += page.get("Items", [])
                if "LastEvaluatedKey" not in page:
                    break
                query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        except Exception as exc:
            raise translate(exc, "shadow entries Query") from exc
        return [ShadowEntry.model_validate(json.loads(i["entry"]["S"])) for i in items]


class SfnValidations:
    """`Validations`: the ValidateModel state machine, one execution name per model (Step Functions keeps names
    unique, so a repeated start is a duplicate, not a second run)."""

    def __init__(self, executions: SfnExecutions) -> None:
        self._executions = executions

    def start(self, model_id: str) -> str:
        name = "validate-" + "".join(c if c.isalnum() or c in "-_" else "_" for c in model_id)
        return self._executions.start(name[:80], {"model_id": model_id})


class HiveInterruptions:
    """`InterruptionHistory` from the hive mind's interruption records (kept RECORD_TTL_SECONDS)."""

    def __init__(self, hive: HiveMind) -> None:
        self._hive = hive

    def interruptions(self, region: str, now: int) -> list[Interruption]:
        records = self._hive.in_region(region, now).records
        return [Interruption(pool=f"{r.pool.instance_type}@{r.pool.az_id}", at=r.flagged_at) for r in records]
