"""Tenant registration and the audit log against moto: ExternalIds in Secrets Manager, the keyed ACCOUNT# item,
the bus policy statement per account, and the append-only, sequence-numbered, hash-chained audit log."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from cloudoptim.adapters.aws import tables
from cloudoptim.adapters.aws.audit import DynamoAuditLog
from cloudoptim.adapters.aws.bus_policy import EventBusPolicy
from cloudoptim.adapters.aws.registry import DynamoRegistry
from cloudoptim.adapters.aws.secrets import SecretsExternalIds
from cloudoptim.audit.log import GENESIS, AuditEntry
from cloudoptim.errors import AccountTakenError, RecordNotFoundError
from cloudoptim.interruptions.ports import TenantRecord
from cloudoptim.tenancy.registration import AccountRegistration, RegistrationDeps, issue_external_id, register_account
from localmode import moto_threads
from tests.fakes.aws import FakeRoleCheck

REGION = "eu-west-1"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    tables.registry_model.cache_clear()
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        for name in ("Registry", "Audit"):
            dynamodb.create_table(
                TableName=name,
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in ("pk", "sk")],
                BillingMode="PAY_PER_REQUEST",
            )
        boto3.client("events", region_name=REGION).create_event_bus(Name="cloudoptim-events")
        yield


def _deps() -> tuple[RegistrationDeps, DynamoRegistry, EventBusPolicy]:
    registry = DynamoRegistry(tables.registry_model("Registry", None, REGION))
    bus = EventBusPolicy(boto3.client("events", region_name=REGION), "cloudoptim-events")
    ids = SecretsExternalIds(boto3.client("secretsmanager", region_name=REGION))
    return RegistrationDeps(ids, registry, bus, FakeRoleCheck()), registry, bus


def test_external_ids_are_generated_once_per_tenant_and_differ_between_tenants(aws: None) -> None:
    ids = SecretsExternalIds(boto3.client("secretsmanager", region_name=REGION))
    first = issue_external_id("acme", ids)
    assert issue_external_id("acme", ids) == first == ids.get("acme")  # created once, never overwritten
    assert issue_external_id("globex", ids) != first and len(first) >= 43
    secret = boto3.client("secretsmanager", region_name=REGION).describe_secret(SecretId="cloudoptim/acme/external-id")
    assert {"Key": "cloudoptim:tenant", "Value": "acme"} in secret["Tags"]
    with pytest.raises(RecordNotFoundError, match="no ExternalId"):
        ids.get("initech")


def test_registration_writes_keyed_items_and_opens_the_bus_to_the_account_for_the_four_notices(aws: None) -> None:
    deps, registry, bus = _deps()
    issue_external_id("acme", deps.external_ids)
    tenant = register_account(AccountRegistration("acme", "111122223333", (REGION,)), deps)
    assert tenant.role_arn == "arn:aws:iam::111122223333:role/CloudOptimAccess-acme"
    assert registry.tenant_for_account("111122223333") == "acme"  # one GetItem, where a Scan read every tenant
    assert registry.tenant("acme") == tenant
    stored = tables.registry_model("Registry", None, REGION).get("TENANT#acme", "META")
    assert "external_id" not in stored.attribute_values  # only the assume-role path reads it, from its secret
    [statement] = bus.statements()
    assert statement["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    assert statement["Condition"]["StringEquals"]["events:source"] == ["aws.ec2", "aws.health"]
    assert deps.role_check.verified == ["acme"]  # type: ignore[attr-defined]


def test_an_account_belongs_to_one_tenant_and_registering_again_keeps_one_statement(aws: None) -> None:
    deps, _, bus = _deps()
    for tenant in ("acme", "evil"):
        issue_external_id(tenant, deps.external_ids)
    register_account(AccountRegistration("acme", "111122223333", (REGION,)), deps)
    register_account(AccountRegistration("acme", "111122223333", (REGION,)), deps)  # idempotent
    with pytest.raises(AccountTakenError):
        register_account(AccountRegistration("evil", "111122223333", (REGION,)), deps)
    register_account(AccountRegistration("evil", "444455556666", (REGION,)), deps)
    assert sorted(s["Sid"] for s in bus.statements()) == ["account-111122223333", "account-444455556666"]


def test_registration_without_an_issued_external_id_is_refused(aws: None) -> None:
    deps, registry, _ = _deps()
    with pytest.raises(RecordNotFoundError):
        register_account(AccountRegistration("acme", "111122223333", (REGION,)), deps)
    assert registry.tenant_for_account("111122223333") is None


def _entry(action_id: str, at: int = 1_764_470_000) -> AuditEntry:
    return AuditEntry("acme", action_id, "exec-1", at, "drain-and-replace/interruption", {"node": "n1"},
                      {"node": "n1"}, {"pods_evicted": 2}, "replaced-and-drained", ("why",), False)  # fmt: skip


def _log() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = boto3.client("dynamodb", region_name=REGION).query(
        TableName="Audit",
        KeyConditionExpression="pk = :pk AND begins_with(sk, :seq)",
        ExpressionAttributeValues={":pk": {"S": "TENANT#acme"}, ":seq": {"S": "SEQ#"}},
    )["Items"]
    return items


def test_audit_entries_in_the_same_second_get_their_own_sequence_numbers_chained_by_hash(aws: None) -> None:
    audit = DynamoAuditLog(boto3.client("dynamodb", region_name=REGION), "Audit")
    keys = [audit.record(_entry(f"exec-1#i-{n}")) for n in range(3)]  # one Health event, three instances, 1 s
    assert keys == [f"TENANT#acme/SEQ#{n:012d}" for n in (1, 2, 3)]
    previous = GENESIS
    for item in _log():
        body = item["entry"]["S"]
        assert item["hash"]["S"] == hashlib.sha256(body.encode()).hexdigest()
        assert item["prev_hash"]["S"] == json.loads(body)["prev_hash"] == previous
        previous = item["hash"]["S"]


def test_a_retried_record_writes_nothing_and_returns_the_first_key(aws: None) -> None:
    audit = DynamoAuditLog(boto3.client("dynamodb", region_name=REGION), "Audit")
    first = audit.record(_entry("exec-1#i-1"))
    assert audit.record(_entry("exec-1#i-1", at=1_764_470_099)) == first
    assert len(_log()) == 1


def test_writers_racing_for_the_next_number_each_get_one(aws: None) -> None:
    client = boto3.client("dynamodb", region_name=REGION)
    stale = DynamoAuditLog(client, "Audit")
    DynamoAuditLog(client, "Audit").record(_entry("exec-0#i-0"))
    reads = iter([(0, GENESIS)])  # the first read is from before the other writer's entry: a lost race
    original = stale._newest
    stale._newest = lambda pk: next(reads, None) or original(pk)  # type: ignore[method-assign]
    assert stale.record(_entry("exec-1#i-1")) == "TENANT#acme/SEQ#000000000002"
    assert [int(i["seq"]["N"]) for i in _log()] == [1, 2]


def test_concurrent_writers_lose_no_entry(aws: None) -> None:
    client = boto3.client("dynamodb", region_name=REGION)
    errors: list[Exception] = []
    restore = moto_threads.install()  # moto's own tables are not thread-safe under transactions (local mode too)

    def write(n: int) -> None:
        try:
            DynamoAuditLog(client, "Audit").record(_entry(f"exec-{n}#i-{n}"))
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    restore()
    assert errors == []
    assert sorted(int(i["seq"]["N"]) for i in _log()) == [1, 2, 3, 4, 5, 6]


def test_the_registry_refuses_an_account_already_registered_to_another_tenant(aws: None) -> None:
    registry = DynamoRegistry(tables.registry_model("Registry", None, REGION))
    registry.register_tenant(TenantRecord("acme", "111122223333", "arn:aws:iam::111122223333:role/x", (REGION,)))
    with pytest.raises(AccountTakenError):
        registry.register_tenant(TenantRecord("evil", "111122223333", "arn:aws:iam::111122223333:role/y", (REGION,)))
