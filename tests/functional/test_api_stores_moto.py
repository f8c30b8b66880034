"""The API's DynamoDB stores on moto: versioned documents with cursors and owner claims, stored responses, and the
append-only audit log (consecutive seq under concurrent writers, one entry per action, checkpoints)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from cloudoptim.adapters.aws.audit_log import DynamoAuditLog, audit_log_model
from cloudoptim.adapters.aws.documents import DynamoDocuments, DynamoRequestLog, document_model
from cloudoptim.adapters.aws.external_ids import SecretsExternalIds
from cloudoptim.audit.chain import export_lines
from cloudoptim.audit.verify import verify_export
from cloudoptim.errors import ConflictError, FieldError, NotFoundError, PreconditionFailedError
from cloudoptim.tenancy.ports import AuditRecord, StoredResponse

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


def test_an_account_is_owned_by_one_tenant() -> None:
    docs = DynamoDocuments(document_model("Registry", region=REGION))
    assert docs.claim_owner("ACCOUNT#111122223333", "acme")
    assert docs.claim_owner("ACCOUNT#111122223333", "acme")  # idempotent
    assert not docs.claim_owner("ACCOUNT#111122223333", "other")
    docs.release_owner("ACCOUNT#111122223333", "other")  # not its owner: nothing happens
    assert not docs.claim_owner("ACCOUNT#111122223333", "other")


def test_stored_responses_expire() -> None:
    log = DynamoRequestLog(document_model("Registry", region=REGION), ttl_seconds=60)
    log.put("acme", "k", StoredResponse("h", 201, {"id": "x"}, {"ETag": '"1"'}), 1000)
    assert log.get("acme", "k", 1059) == StoredResponse("h", 201, {"id": "x"}, {"ETag": '"1"'})
    assert log.get("acme", "k", 1060) is None and log.get("other", "k", 1000) is None


def record(n: int, tenant: str = "acme") -> AuditRecord:
    return AuditRecord(tenant, 1000 + n, "user:a@acme.example", "cluster.create", f"cluster/c{n}", None, {"n": n})


def test_concurrent_appends_get_consecutive_seqs_and_one_chain() -> None:
    log = DynamoAuditLog(audit_log_model("Audit", region=REGION))
    threads = [threading.Thread(target=lambda n=n: log.append(record(n))) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    entries = log.entries("acme", 0, 100)
    assert [e["seq"] for e in entries] == list(range(1, 13))
    assert sorted(e["after"]["n"] for e in entries) == list(range(12))
    intact, found = verify_export(export_lines("acme", entries, [], {}))
    assert intact, found
    assert [e["seq"] for e in log.newest("acme", 5, 2)] == [4, 3]


def test_an_action_is_recorded_once_however_often_it_is_retried() -> None:
    log = DynamoAuditLog(audit_log_model("Audit", region=REGION))
    first = log.append(record(1), action_id="exec-1#i-0abc")
    again = log.append(record(1), action_id="exec-1#i-0abc")
    other = log.append(record(2), action_id="exec-1#i-0def")  # two instances in one event: two entries
    assert first == again and other["seq"] == 2 and len(log.entries("acme")) == 2


def test_checkpoints_are_stored_once_per_seq() -> None:
    log = DynamoAuditLog(audit_log_model("Audit", region=REGION))
    log.append(record(1))
    checkpoint = {
        "tenant_id": "acme",
        "seq": 1,
        "hash": "h",
        "at": 5,
        "key_id": "k",
        "prev_signature": "",
        "signature": "s",
    }
    assert log.add_checkpoint("acme", checkpoint) and not log.add_checkpoint("acme", checkpoint)
    assert log.checkpoints("acme") == [checkpoint]


def test_external_ids_are_generated_long_and_kept() -> None:
    ids = SecretsExternalIds(boto3.client("secretsmanager"))
    made = ids.create("acme", "111122223333")
    assert len(made) >= 32 and ids.create("acme", "111122223333") == made == ids.read("acme", "111122223333")
    assert ids.create("beta", "111122223333") != made
    ids.delete("acme", "111122223333")
    with pytest.raises(NotFoundError):
        ids.read("acme", "111122223333")
