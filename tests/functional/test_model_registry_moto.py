"""The registry's storage on moto: artifacts in S3, the registry document's conditional writes (a stale writer
loses and re-applies; nothing is lost), shadow entries keyed by the choice."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from cloudoptim.adapters.aws.models import DynamoRegistryState, DynamoShadowLog, S3Artifacts
from cloudoptim.errors import NotFoundError, RegistryConflictError
from cloudoptim.models import registry
from cloudoptim.models.ports import RegistryState, ShadowEntry
from cloudoptim.models.registry import RegistryDeps
from tests.functional.test_model_registry import OPERATOR, shipped_files

REGION = "eu-west-1"


@pytest.fixture(autouse=True)
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        boto3.client("dynamodb", region_name=REGION).create_table(
            TableName="Registry",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        boto3.client("s3", region_name=REGION).create_bucket(
            Bucket="artifacts", CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        yield


def deps() -> RegistryDeps:
    return RegistryDeps(
        artifacts=S3Artifacts(boto3.client("s3", region_name=REGION), "artifacts"),
        store=DynamoRegistryState(boto3.client("dynamodb", region_name=REGION), "Registry"),
    )


def test_an_upload_stores_the_artifact_and_one_record() -> None:
    d = deps()
    record = registry.upload(d, "shipped", shipped_files(), OPERATOR, 1_700_000_000)
    assert d.artifacts.get(record.id) == {k: shipped_files()[k] for k in ("model.txt", "metadata.json")}
    state = d.store.load()
    assert state.version == 1 and list(state.models) == [record.id]
    with pytest.raises(NotFoundError, match=r"has no model\.txt"):
        d.artifacts.get("missing-000000000000")


def test_a_stale_writer_loses_and_the_use_case_reapplies_its_change() -> None:
    d = deps()
    store = d.store
    registry.upload(d, "shipped", shipped_files(), OPERATOR, 1)
    stale = store.load()
    store.save(stale.model_copy(update={"version": 2, "shadow": None}), 1)  # another writer moves to version 2
    with pytest.raises(RegistryConflictError):
        store.save(stale.model_copy(update={"version": 2}), 1)
    with pytest.raises(RegistryConflictError):  # a first write cannot overwrite an existing document either
        store.save(RegistryState(version=1), 0)
    assert store.load().version == 2 and len(store.load().models) == 1


def test_shadow_entries_are_keyed_by_the_choice() -> None:
    log = DynamoShadowLog(boto3.client("dynamodb", region_name=REGION), "Registry")
    entry = ShadowEntry(
        at=100, region=REGION, active="heuristic", candidate="c-1", active_pool="m5.large@eu-west-1a",
        candidate_pool="m5a.large@eu-west-1b", active_risk=0.1, candidate_risk=0.05,
    )  # fmt: skip
    log.record(entry)
    log.record(entry)  # a retried choice
    assert log.entries("c-1") == [entry] and log.entries("other") == []
