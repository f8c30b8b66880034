"""The proactive rebalancing's adapters against moto: the registry's sparse ByPool index, the hive mind's window
reads, the "CloudOptim Pool Escalated" event on the bus, and rebalance_pool's handler running the use case on them
(a duplicate event starts nothing more; a malformed one fails its own record only)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from cloudoptim.adapters.aws import tables
from cloudoptim.adapters.aws.documents import DynamoDocuments, document_model
from cloudoptim.adapters.aws.escalations import DETAIL_TYPE, SOURCE, EventBridgeEscalations
from cloudoptim.adapters.aws.hive_mind import ChoiceHiveMind, DynamoHiveMind
from cloudoptim.adapters.aws.registry import DynamoRegistry
from cloudoptim.interruptions.ports import NodeRecord
from cloudoptim.settings import RebalanceSettings
from cloudoptim.wiring.rebalance import rebalance_deps
from engines.interruption.hive import HivePool, escalation, new_flag, new_record
from functions.rebalance_pool import handler as rebalance_fn
from tests.support.moto_pipeline import REGION, create_tables

POOL = HivePool(REGION, "use1-az4", "m5.xlarge")
ALWAYS = {"timezone": "UTC", "windows": [{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                                          "start": "00:00", "end": "00:00"}]}  # fmt: skip


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    for build in (tables.registry_model, tables.hive_mind_model, tables.idempotency_model):
        build.cache_clear()
    with mock_aws():
        create_tables()
        role = boto3.client("iam", region_name=REGION).create_role(
            RoleName="sfn", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []})
        )["Role"]["Arn"]
        definition = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
        sfn = boto3.client("stepfunctions", region_name=REGION)
        yield sfn.create_state_machine(name="DrainAndReplace", definition=definition, roleArn=role)["stateMachineArn"]


def node(
    tenant: str, instance: str, pool: HivePool = POOL, capacity: str = "spot", az_id: str | None = "x"
) -> NodeRecord:
    return NodeRecord(instance, tenant, "prod", f"n-{instance}", "workers", pool.region, "us-east-1a",
                      pool.az_id if az_id == "x" else az_id, pool.instance_type, capacity,  # type: ignore[arg-type]
                      seen_at=SEEN)  # fmt: skip


SEEN = int(time.time())  # as the last discovery wrote them


def registry() -> DynamoRegistry:
    return DynamoRegistry(tables.registry_model("Registry"))


def test_the_pool_index_holds_spot_nodes_with_an_az_id_only_and_follows_the_item(aws: str) -> None:
    elsewhere = HivePool(REGION, "use1-az1", "m5.xlarge")
    for record in (node("a", "i-1"), node("b", "i-2"), node("c", "i-3", capacity="on-demand"),
                   node("d", "i-4", az_id=None), node("e", "i-5", elsewhere)):  # fmt: skip
        registry().register_node(record)
    assert sorted(n.instance_id for n in registry().nodes_in_pool(POOL)) == ["i-1", "i-2"]
    registry().register_node(node("b", "i-2", elsewhere))  # re-registered in another pool: it moves
    assert [n.instance_id for n in registry().nodes_in_pool(POOL)] == ["i-1"]
    assert registry().node_for_instance("i-1") == node("a", "i-1")


def test_the_window_reads_live_flags_and_the_last_hours_records_only(aws: str) -> None:
    hive, now = DynamoHiveMind(tables.hive_mind_model("HiveMind")), int(time.time())
    hive.flag(new_flag(POOL, "a", now - 60), "e1", "interruption")
    hive.record(new_record(POOL, "a", now - 60), "e1")
    hive.record(new_record(POOL, "b", now - 3000), "e2")
    hive.record(new_record(POOL, "c", now - 4000), "e3")  # a record of last week's evidence, not the window's
    seen = hive.window(REGION, now)
    assert [f.tenant_id for f in seen.flags] == ["a"]
    assert sorted(r.tenant_id for r in seen.records) == ["a", "b"]


def test_the_escalation_event_carries_counts_and_no_tenant(aws: str) -> None:
    events, sqs = boto3.client("events", region_name=REGION), boto3.client("sqs", region_name=REGION)
    events.create_event_bus(Name="bus")
    queue = sqs.create_queue(QueueName="escalations")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(
        Name="r", EventBusName="bus", EventPattern=json.dumps({"source": [SOURCE], "detail-type": [DETAIL_TYPE]})
    )
    events.put_targets(Rule="r", EventBusName="bus", Targets=[{"Id": "q", "Arn": arn}])
    now = int(time.time())
    records = [new_record(POOL, t, now - 60 * n) for n, t in enumerate(("tenant-a", "tenant-b", "tenant-c"))]
    EventBridgeEscalations(events, "bus").confirmed(escalation(records, POOL, now))
    [message] = sqs.receive_message(QueueUrl=queue)["Messages"]
    event = json.loads(message["Body"])
    assert event["detail-type"] == DETAIL_TYPE and event["source"] == SOURCE
    assert event["detail"]["pool"] == POOL.key and event["detail"]["level"] == "CONFIRMED_RISKY"
    assert event["detail"]["evidence"] == {"customers": 3, "interruptions": 3, "window_minutes": 60}
    assert "tenant-" not in message["Body"]


def _event(pool: str) -> str:
    return json.dumps({"detail-type": DETAIL_TYPE, "source": SOURCE, "detail": {"pool": pool}})


def test_rebalance_pool_handler_starts_once_and_recommends_once(aws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {"REGISTRY_TABLE": "Registry", "HIVE_MIND_TABLE": "HiveMind", "IDEMPOTENCY_TABLE": "Idempotency",
                       "STATE_MACHINE_ARN": aws, "AWS_REGION": REGION}.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    rebalance_fn.root.cache_clear()
    now = int(time.time())
    hive = DynamoHiveMind(tables.hive_mind_model("HiveMind"))
    for n, tenant in enumerate(("a", "b", "c")):
        hive.record(new_record(POOL, tenant, now - 600 + n * 60), f"e-{tenant}")
        registry().register_node(node(tenant, f"i-{tenant}"))
    for instance in ("i-d1", "i-d2"):
        registry().register_node(node("d", instance))
    registry().register_node(node("e", "i-e1"))
    docs = tables.registry_model("Registry")
    policy = {"automation": {"spot": "automatic"}, "maintenance_windows": ALWAYS, "disruption_budget": {"max_nodes": 5}}
    DynamoDocuments(document_model("Registry")).create("d", "policy", "prod", policy, now)  # as PUT .../policy does
    app = rebalance_fn.Root(rebalance_deps(RebalanceSettings.from_env(dict(os.environ))), 1)
    batch = {"Records": [_record("m1", _event(POOL.key)), _record("m2", "{not json")]}
    answer = rebalance_fn.handle(batch, app, now)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m2"}]}  # the malformed message only
    sfn = boto3.client("stepfunctions", region_name=REGION)
    executions = sfn.list_executions(stateMachineArn=aws)["executions"]
    inputs = [json.loads(sfn.describe_execution(executionArn=e["executionArn"])["input"]) for e in executions]
    assert sorted((i["tenant_id"], i["instance_id"], i["kind"]) for i in inputs) == [
        ("d", "i-d1", "rebalance"), ("d", "i-d2", "rebalance")]  # fmt: skip
    recommendations = list(docs.query("TENANT#e", docs.sk.startswith("RECOMMENDATION#")))
    assert len(recommendations) == 1 and json.loads(recommendations[0].doc)["kind"] == "spot"
    assert rebalance_fn.handle({"Records": [_record("m3", _event(POOL.key))]}, app, now + 5) == {
        "batchItemFailures": []
    }
    assert len(sfn.list_executions(stateMachineArn=aws)["executions"]) == 2  # the duplicate started nothing
    assert len(list(docs.query("TENANT#e", docs.sk.startswith("RECOMMENDATION#")))) == 1


def _record(message_id: str, body: str) -> dict[str, object]:
    return {"messageId": message_id, "receiptHandle": message_id, "body": body, "attributes": {},
            "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
            "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:q", "awsRegion": REGION}  # fmt: skip


def test_pool_hours_are_counted_once_per_run_and_read_with_the_region_never_as_flags(aws: str) -> None:
    hive, now = DynamoHiveMind(tables.hive_mind_model("HiveMind")), int(time.time())
    assert hive.add_hours(POOL, 3.0, "t/prod/1", now) is True
    assert hive.add_hours(POOL, 3.0, "t/prod/1", now) is False  # the same run again: nothing added
    assert hive.add_hours(POOL, 2.0, "u/prod/1", now) is True
    hive.record(new_record(POOL, "a", now - 60), "e1")
    seen = hive.in_region(REGION, now)
    assert seen.hours == {POOL.key: 5.0}
    assert seen.flags == () and len(seen.records) == 1  # the counter is neither
    assert hive.flags_for_pool(POOL, now) == [] and len(hive.window(REGION, now).records) == 1
    recent = hive.recent_in_region(REGION, now)  # the choice's verdicts: flags and customers, no counter, no record
    assert recent.flags == () and [c.tenant_id for c in recent.records] == ["a"] and recent.hours == {}


def test_the_choice_reads_its_evidence_once_per_ttl_and_its_verdicts_every_time(aws: str) -> None:
    hive = ChoiceHiveMind(tables.hive_mind_model("HiveMind"), ttl_seconds=300, verdicts_ttl_seconds=0)
    now = int(time.time())
    hive.add_hours(POOL, 3.0, "t/prod/1", now)
    assert hive.evidence_in_region(REGION, now).hours == {POOL.key: 3.0}
    hive.add_hours(POOL, 4.0, "t/prod/2", now)
    hive.record(new_record(POOL, "a", now - 5), "e1")
    assert hive.evidence_in_region(REGION, now + 299).hours == {POOL.key: 3.0}  # within the TTL: as read
    assert [c.tenant_id for c in hive.recent_in_region(REGION, now + 299).records] == ["a"]  # fresh every time
    later = hive.evidence_in_region(REGION, now + 300)
    assert later.hours == {POOL.key: 7.0} and len(later.records) == 1


def test_the_choice_keeps_its_verdicts_for_their_ttl_then_reads_them_again(aws: str) -> None:
    hive, now = ChoiceHiveMind(tables.hive_mind_model("HiveMind"), verdicts_ttl_seconds=2), int(time.time())
    assert hive.recent_in_region(REGION, now).records == ()
    hive.record(new_record(POOL, "a", now - 5), "e1")
    assert hive.recent_in_region(REGION, now + 1).records == ()  # within the TTL: as read
    assert [c.tenant_id for c in hive.recent_in_region(REGION, now + 2).records] == ["a"]
    assert hive.recent_in_region("eu-west-3", now + 2).records == ()  # kept per region
