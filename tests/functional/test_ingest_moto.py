"""Ingest and the AWS adapters against moto: DynamoDB items and TTL, conditional-put idempotency,
Step Functions duplicates, unknown instances located in the customer's account, typed SDK errors."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from moto import mock_aws

from cloudoptim.adapters.aws import tables
from cloudoptim.adapters.aws.errors import translate
from cloudoptim.adapters.aws.hive_mind import DynamoHiveMind
from cloudoptim.adapters.aws.idempotency import DynamoIdempotency
from cloudoptim.adapters.aws.stepfunctions import SfnExecutions
from cloudoptim.adapters.aws.sts import StsSessions, session_policy
from cloudoptim.errors import AccessDeniedError, AwsAdapterError, TransientAwsError
from cloudoptim.interruptions.ports import Claim
from engines.interruption.hive import HivePool, new_flag, new_record
from functions.ingest import handler as ingest_fn
from tests.fakes.aws import FakeExternalIds
from tests.support.moto_lambda import in_process_lambdas
from tests.support.moto_pipeline import ENV, MOTO_CONFIG, REGION, Deployed, customer_session, deploy
from tests.support.pipeline import CLUSTER, EXTERNAL_ID, TENANT, TENANT_RECORD, spot_warning, sqs_batch

POOL = HivePool("us-east-1", "use1-az4", "m5.xlarge")


@pytest.fixture
def deployed(monkeypatch: pytest.MonkeyPatch) -> Iterator[Deployed]:
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    ingest_fn.root.cache_clear()
    for build in (tables.registry_model, tables.hive_mind_model, tables.idempotency_model):
        build.cache_clear()
    with mock_aws(config=MOTO_CONFIG), in_process_lambdas():
        result = deploy()
        monkeypatch.setenv("STATE_MACHINE_ARN", result.state_machine_arn)
        yield result
    ingest_fn.root.cache_clear()


def started() -> list[str]:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    arn = sfn.list_state_machines()["stateMachines"][0]["stateMachineArn"]
    return [e["name"] for e in sfn.list_executions(stateMachineArn=arn)["executions"]]


def hive() -> DynamoHiveMind:
    return DynamoHiveMind(tables.hive_mind_model("HiveMind"))


def test_flag_item_carries_the_ttl_and_expired_items_are_ignored(deployed: Deployed) -> None:
    now = int(time.time())
    hive().flag(new_flag(POOL, "t-old", now - 1900), "e-old", "interruption")  # expired, still stored
    hive().flag(new_flag(POOL, "t-new", now - 60), "e-new", "interruption")
    items = {i.tenant_id: i for i in tables.hive_mind_model("HiveMind").scan()}
    assert set(items) == {"t-old", "t-new"}
    assert items["t-new"].expires_at == now - 60 + 1800 and items["t-new"].event_id == "e-new"
    assert [f.tenant_id for f in hive().flags_for_pool(POOL, now)] == ["t-new"]
    assert [f.tenant_id for f in hive().active_flags("us-east-1", now)] == ["t-new"]
    assert hive().active_flags("eu-west-1", now) == []
    assert hive().escalation(POOL, now).level == "NORMAL"


def test_escalation_from_the_records_in_the_table(deployed: Deployed) -> None:
    now = int(time.time())
    for tenant in ("a", "b"):
        hive().flag(new_flag(POOL, tenant, now - 120), "e", "interruption")  # flags alone do not escalate
    assert hive().escalation(POOL, now).level == "NORMAL"
    for tenant, ago in (("a", 3000), ("b", 2400), ("c", 120), ("c", 60)):
        hive().record(new_record(POOL, tenant, now - ago), f"e-{tenant}-{ago}")
    level = hive().escalation(POOL, now)
    assert (level.level, level.customers, level.interruptions) == ("CONFIRMED_RISKY", 3, 4)
    assert {f.tenant_id for f in hive().flags_for_pool(POOL, now)} == {"a", "b"}  # records are not flags
    seen = hive().in_region("us-east-1", now)
    assert {f.tenant_id for f in seen.flags} == {"a", "b"} and len(seen.records) == 4


def test_idempotency_claims_once_releases_and_takes_over_abandoned_claims(deployed: Deployed) -> None:
    store = DynamoIdempotency(tables.idempotency_model("Idempotency"), in_progress_seconds=120)
    assert store.claim("e1", 1000, 86400) is Claim.TAKEN
    assert store.claim("e1", 1001, 86400) is Claim.IN_PROGRESS  # a retry, not a duplicate
    assert store.claim("e1", 1121, 86400) is Claim.TAKEN  # the first invocation died: its claim is taken over
    store.complete("e1")
    assert store.claim("e1", 5000, 86400) is Claim.DONE  # done: a duplicate
    assert store.claim("e1", 1121 + 86400, 86400) is Claim.TAKEN  # expired (TTL not yet swept)
    store.release("e1")
    assert store.claim("e1", 1200, 86400) is Claim.TAKEN


def test_a_guard_is_released_only_by_the_workflow_that_holds_it(deployed: Deployed) -> None:
    store = DynamoIdempotency(tables.idempotency_model("Idempotency"), in_progress_seconds=20)
    assert store.claim("INSTANCE#i-1#replace", 1000, 3600, owner="event-a") is Claim.TAKEN
    store.release("INSTANCE#i-1#replace", owner="event-b")  # not its claim: kept
    assert store.claim("INSTANCE#i-1#replace", 1001, 3600, owner="event-b") is Claim.IN_PROGRESS
    store.release("INSTANCE#i-1#replace", owner="event-a")
    assert store.claim("INSTANCE#i-1#replace", 1002, 3600, owner="event-b") is Claim.TAKEN


def test_claim_all_takes_every_key_or_none(deployed: Deployed) -> None:
    store = DynamoIdempotency(tables.idempotency_model("Idempotency"), in_progress_seconds=20)
    assert store.claim_all(["g-drain", "g-replace"], 1000, 3600, owner="e1")
    assert store.claim("g-replace", 1001, 3600, owner="e2") is Claim.IN_PROGRESS
    store.complete("g-replace")
    assert not store.claim_all(["g-other", "g-replace"], 1002, 3600, owner="e2")  # one is held: nothing taken
    assert store.claim("g-other", 1002, 3600, owner="e3") is Claim.TAKEN  # the cancelled transaction wrote nothing
    assert store.claim_all(["g-drain", "g-late"], 1021, 3600, owner="e4")  # an abandoned claim is taken over


def test_a_late_older_notice_leaves_the_newer_flag_and_customer_and_adds_its_record(
    deployed: Deployed,
) -> None:
    now = int(time.time())
    for at, event in ((now - 60, "e-new"), (now - 900, "e-late")):  # the older notice delivered after the newer
        hive().flag(new_flag(POOL, "a", at), event, "interruption")
        hive().record(new_record(POOL, "a", at), event)
    late = now - 900
    assert [(c.tenant_id, c.flagged_at) for c in hive().customers_for_pool(POOL, now)] == [("a", now - 60)]
    assert {r.flagged_at for r in hive().records_for_pool(POOL, now)} == {now - 60, late}  # both kept as evidence
    [flag] = hive().flags_for_pool(POOL, now)
    assert flag.flagged_at == now - 60  # nor does it shorten the flag


def test_ingest_starts_once_and_flags_with_ttl(deployed: Deployed) -> None:
    now = int(time.time())
    event = spot_warning(at=now)
    assert ingest_fn.handler(sqs_batch(event, event), None) == {"batchItemFailures": []}
    assert started() == [event["id"]]
    items = sorted(tables.hive_mind_model("HiveMind").scan(), key=lambda i: i.tenant_id)
    customer, record, flag = items
    assert (flag.pool, flag.expires_at, flag.kind) == (POOL.key, now + 1800, "interruption")
    # one record for the delivered twice notice, kept a week for the feedback
    assert (record.tenant_id, record.expires_at) == (f"RECORD#{TENANT}#{event['id']}", now + 7 * 86400)
    # and the customer's latest interruption in the pool, kept the escalation window: what escalation reads
    assert (customer.tenant_id, customer.expires_at, customer.flagged_at) == (f"CUSTOMER#{TENANT}", now + 3600, now)
    claims = {c.id: c.status for c in tables.idempotency_model("Idempotency").scan()}
    instance = event["detail"]["instance-id"]
    assert claims == {
        event["id"]: "COMPLETED",  # the event
        f"INSTANCE#{instance}#drain-now": "COMPLETED",  # the machine: one drain now...
        f"INSTANCE#{instance}#replace": "COMPLETED",  # ...and one replacement
    }


def test_malformed_message_starts_nothing_and_the_batch_continues(deployed: Deployed) -> None:
    event = spot_warning(at=int(time.time()))
    assert ingest_fn.handler(sqs_batch("{oops", event), None) == {"batchItemFailures": []}
    assert started() == [event["id"]]


def test_unknown_instance_is_located_in_the_customer_account_and_flagged(deployed: Deployed) -> None:
    ec2 = customer_session().client("ec2")
    subnet = deployed.subnets["use1-az2"]
    instance = ec2.run_instances(ImageId="ami-12c6146b", InstanceType="c5.large", SubnetId=subnet, MinCount=1,
                                 MaxCount=1)["Instances"][0]["InstanceId"]  # fmt: skip
    ingest_fn.handler(sqs_batch(spot_warning(instance=instance, at=int(time.time()))), None)
    assert started() == []
    [flag] = [i for i in tables.hive_mind_model("HiveMind").scan() if "#" not in i.tenant_id]  # not RECORD#, CUSTOMER#
    # the account resolves to its tenant with one keyed read; the flag counts that customer once
    assert (flag.pool, flag.tenant_id) == ("us-east-1#use1-az2#c5.large", TENANT)


def test_a_node_karpenter_launched_since_discovery_is_registered_from_its_tags_and_drained(deployed: Deployed) -> None:
    ec2 = customer_session().client("ec2")
    tags = [{"Key": f"kubernetes.io/cluster/{CLUSTER}", "Value": "owned"}, {"Key": "karpenter.sh/nodepool",
            "Value": "default"}]  # fmt: skip
    instance = ec2.run_instances(
        ImageId="ami-12c6146b", InstanceType="c5.large", SubnetId=deployed.subnets["use1-az2"], MinCount=1,
        MaxCount=1, TagSpecifications=[{"ResourceType": "instance", "Tags": tags}],
    )["Instances"][0]["InstanceId"]  # fmt: skip
    event = spot_warning(instance=instance, at=int(time.time()))
    ingest_fn.handler(sqs_batch(event), None)
    assert started() == [event["id"]]
    item = tables.registry_model("Registry").get(f"INSTANCE#{instance}", "NODE")
    assert (item.tenant_id, item.cluster, item.az_id) == (TENANT, CLUSTER, "use1-az2")
    assert item.node_name.endswith(".internal")  # its private DNS name: the Node's name in EKS


def test_step_functions_refuses_a_second_execution_with_the_same_name(deployed: Deployed) -> None:
    executions = SfnExecutions(boto3.client("stepfunctions", region_name=REGION), deployed.state_machine_arn)
    assert executions.start("same-name", {"kind": "state-change"}) == "started"
    assert executions.start("same-name", {"kind": "rebalance"}) == "duplicate"
    # Same name and input while the first still runs: Step Functions answers as for the first start (its
    # documented idempotency), so the adapter cannot tell; either way one execution exists.
    executions.start("same-name", {"kind": "state-change"})
    assert started() == ["same-name"]


def _stubbed(service: str, method: str, code: str, status: int) -> Any:
    client = boto3.client(service, region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)
    stubber.add_client_error(method, service_error_code=code, http_status_code=status)
    stubber.activate()
    return client


def test_sdk_errors_become_typed_errors() -> None:
    executions = SfnExecutions(_stubbed("stepfunctions", "start_execution", "ThrottlingException", 400), "arn")
    with pytest.raises(TransientAwsError, match="ThrottlingException"):
        executions.start("n", {})
    sessions = StsSessions(FakeExternalIds({TENANT: EXTERNAL_ID}), _stubbed("sts", "assume_role", "AccessDenied", 403))
    with pytest.raises(AccessDeniedError):
        sessions.session(TENANT_RECORD, REGION, "launch")
    error = ClientError({"Error": {"Code": "ValidationException"}, "ResponseMetadata": {"HTTPStatusCode": 400}}, "X")
    assert type(translate(error, "x")) is AwsAdapterError
    server = ClientError({"Error": {"Code": "Oops"}, "ResponseMetadata": {"HTTPStatusCode": 503}}, "X")
    assert isinstance(translate(server, "x"), TransientAwsError)


def test_sts_sessions_are_cached_per_tenant_until_near_expiry() -> None:
    client = boto3.client("sts", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)
    expiry = datetime(2030, 1, 1, tzinfo=UTC)
    creds = {"AccessKeyId": "AKIAXXXXXXXXXXXXXXXX", "SecretAccessKey": "s" * 20, "SessionToken": "t" * 20,
             "Expiration": expiry}  # fmt: skip
    expected = {
        "RoleArn": TENANT_RECORD.role_arn, "RoleSessionName": f"cloudoptim-launch-{TENANT}",
        "ExternalId": EXTERNAL_ID, "Policy": session_policy("launch"),
        "Tags": [{"Key": "cloudoptim:tenant", "Value": TENANT}],
    }  # fmt: skip
    for _ in range(2):
        stubber.add_response("assume_role", {"Credentials": creds}, expected)
    stubber.activate()
    clock = [expiry.timestamp() - 3600]
    sessions = StsSessions(FakeExternalIds({TENANT: EXTERNAL_ID}), client, clock=lambda: clock[0])
    first = sessions.session(TENANT_RECORD, REGION, "launch")
    assert sessions.session(TENANT_RECORD, REGION, "launch") is first
    clock[0] = (expiry - timedelta(seconds=60)).timestamp()
    assert sessions.session(TENANT_RECORD, REGION, "launch") is not first
    stubber.assert_no_pending_responses()


def test_a_session_policy_holds_only_its_purposes_actions() -> None:
    launch = json.loads(session_policy("launch"))["Statement"]
    assert launch == [{"Effect": "Allow", "Action": ["ec2:RunInstances", "ec2:CreateTags", "iam:PassRole"],
                       "Resource": "*"}]  # fmt: skip
    assert json.loads(session_policy("cluster"))["Statement"][0]["Action"] == ["sts:GetCallerIdentity"]


def test_escalation_reads_one_item_per_customer_however_many_interruptions(deployed: Deployed) -> None:
    hive, now = DynamoHiveMind(tables.hive_mind_model("HiveMind")), int(time.time())
    for i in range(40):  # a mass interruption of one customer's nodes in one pool
        hive.record(new_record(POOL, TENANT, now - 600 + i), f"e-{i}")
    hive.record(new_record(POOL, "globex", now - 100), "g-1")
    hive.record(new_record(POOL, "globex", now - 3000), "g-late")  # an older notice delivered late
    customers = sorted(hive.customers_for_pool(POOL, now), key=lambda f: f.tenant_id)
    assert [(c.tenant_id, c.flagged_at) for c in customers] == [(TENANT, now - 600 + 39), ("globex", now - 100)]
    assert len(hive.records_for_pool(POOL, now)) == 42  # every record is still kept as evidence
    recent = hive.recent_in_region(POOL.region, now)
    assert len(recent.records) == 2 and not recent.flags  # the week of records is not read
    assert hive.escalation(POOL, now).level == "UNCERTAIN"
    assert not hive.customers_for_pool(POOL, now + 3600)  # the window passed
