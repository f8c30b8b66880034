"""The API's DynamoDB stores on moto: versioned documents with cursors and owner claims, stored responses, and the
append-only audit log (consecutive seq under concurrent writers, one entry per action, checkpoints)."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from cloudoptim.adapters.aws.audit import DynamoAuditLog
from cloudoptim.adapters.aws.documents import DynamoDocuments, DynamoRequestLog, document_model
from cloudoptim.audit.chain import export_lines
from cloudoptim.audit.log import AuditEntry
from cloudoptim.audit.verify import verify_export
from cloudoptim.errors import ConflictError, FieldError, NotFoundError, PreconditionFailedError
from cloudoptim.tenancy.ports import StoredResponse

REGION = "eu-west-1"


@pytest.fixture(autouse=True)
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        for table in ("Registry", "Audit"):
            dynamodb.create_table(
                TableName=table,
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in ("pk", "sk")],
                BillingMode="PAY_PER_REQUEST",
            )
        yield


def test_documents_version_every_write() -> None:
    docs = DynamoDocuments(document_model("Registry", region=REGION))
    created = docs.create("acme", "cluster", "prod", {"name": "prod"}, 100)
    with pytest.raises(ConflictError):
        docs.create("acme", "cluster", "prod", {"name": "again"}, 101)
    replaced = docs.replace("acme", "cluster", "prod", {"name": "prod", "status": "connected"}, created.version, 102)
    assert (replaced.version, replaced.created_at, replaced.updated_at) == (2, 100, 102)
    with pytest.raises(PreconditionFailedError):
        docs.replace("acme", "cluster", "prod", {"name": "stale"}, 1, 103)
    with pytest.raises(PreconditionFailedError):
        docs.delete("acme", "cluster", "prod", 1)
    assert docs.get("other", "cluster", "prod") is None
    assert docs.delete("acme", "cluster", "prod", 2)
    with pytest.raises(NotFoundError):
        docs.delete("acme", "cluster", "prod", 2)
    assert docs.delete("acme", "cluster", "prod") is False


def test_lists_page_within_one_tenant_and_kind_and_refuse_foreign_cursors() -> None:
    docs = DynamoDocuments(document_model("Registry", region=REGION))
    for name in ("a", "b", "c"):
        docs.create("acme", "cluster", name, {"name": name}, 1)
    docs.create("acme", "account", "111122223333", {}, 1)
    docs.create("other", "cluster", "y", {}, 1)
    docs.create("other", "cluster", "z", {}, 1)
    first = docs.list("acme", "cluster", 2)
    second = docs.list("acme", "cluster", 2, first.cursor)
    assert [d.id for d in [*first.items, *second.items]] == ["a", "b", "c"]
    other = docs.list("other", "cluster", 1)
    assert other.cursor is not None
    with pytest.raises(FieldError):
        docs.list("acme", "cluster", 2, other.cursor)  # another tenant's cursor
    with pytest.raises(FieldError):
        docs.list("acme", "cluster", 2, "not-base64!")


def test_stored_responses_expire() -> None:
    log = DynamoRequestLog(document_model("Registry", region=REGION), ttl_seconds=60)
    log.put("acme", "k", StoredResponse("h", 201, {"id": "x"}, {"ETag": '"1"'}), 1000)
    assert log.get("acme", "k", 1059) == StoredResponse("h", 201, {"id": "x"}, {"ETag": '"1"'})
    assert log.get("acme", "k", 1060) is None and log.get("other", "k", 1000) is None


def entry(n: int, tenant: str = "acme") -> AuditEntry:
    return AuditEntry(tenant, f"api-{n}", "user:a@acme.example", 1000 + n, "cluster.create", {"cluster": f"c{n}"},
                      None, {"n": n}, "ok", (), False)  # fmt: skip


def test_readers_see_the_chain_writers_made_oldest_or_newest_first() -> None:
    log = DynamoAuditLog(boto3.client("dynamodb", region_name=REGION), "Audit")
    for n in range(1, 8):
        log.record(entry(n))
    log.record(entry(1, tenant="other"))
    entries = log.entries("acme", 0, 100)
    assert [e["seq"] for e in entries] == list(range(1, 8)) and entries[0]["after"] == {"n": 1}
    intact, found = verify_export(export_lines("acme", entries, [], {}))
    assert intact, found
    assert [e["seq"] for e in log.newest("acme", 5, 2)] == [4, 3]
    assert [e["seq"] for e in log.entries("acme", 5, 100)] == [6, 7]
    assert [e["tenant_id"] for e in log.entries("other")] == ["other"]


def test_checkpoints_are_stored_once_per_seq() -> None:
    log = DynamoAuditLog(boto3.client("dynamodb", region_name=REGION), "Audit")
    log.record(entry(1))
    checkpoint = {"tenant_id": "acme", "seq": 1, "hash": "h", "at": 5, "key_id": "k", "prev_signature": "",
                  "signature": "s"}  # fmt: skip
    assert log.add_checkpoint("acme", checkpoint) and not log.add_checkpoint("acme", checkpoint)
    assert log.checkpoints("acme") == [checkpoint] and log.checkpoints("other") == []


def test_the_pipeline_reads_the_tenants_safe_mode_from_the_apis_settings_document() -> None:
    from cloudoptim.adapters.aws.registry import DynamoRegistry
    from cloudoptim.adapters.aws.tables import registry_model
    from cloudoptim.interruptions.ports import TenantRecord

    registry = DynamoRegistry(registry_model("Registry", region=REGION))
    registry.register_tenant(TenantRecord("acme", "111122223333", "arn:aws:iam::111122223333:role/x", (REGION,)))
    assert registry.tenant("acme").safe_mode is False
    DynamoDocuments(document_model("Registry", region=REGION)).create(
        "acme", "settings", "current", {"safe_mode": True}, 1
    )
    assert registry.tenant("acme").safe_mode is True
