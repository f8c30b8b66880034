"""DrainAndReplace run for real: moto executes the ASL, the Lambdas run in-process against moto's
DynamoDB, STS and EC2, and a fake Kubernetes API stands in for the customer cluster."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from cloudoptim.adapters.aws import tables
from cloudoptim.adapters.aws.registry import DynamoRegistry
from cloudoptim.errors import KubeAuthError
from cloudoptim.interruptions.drain import KubeDeps
from functions.choose_replacement import handler as choose_fn
from functions.cordon_node import handler as cordon_fn
from functions.evict_pods import handler as evict_fn
from functions.ingest import handler as ingest_fn
from functions.launch_replacement import handler as launch_fn
from functions.node_status import handler as status_fn
from functions.record_outcome import handler as record_fn
from tests.fakes.aws import FakeKubeConnector
from tests.support.moto_lambda import Invocations, in_process_lambdas
from tests.support.moto_pipeline import ENV, MOTO_CONFIG, REGION, Deployed, deploy, wait_for
from tests.support.pipeline import (
    ACCOUNT,
    CLUSTER,
    INSTANCE,
    NODE,
    TENANT,
    cluster_with_pods,
    rebalance,
    spot_warning,
    sqs_batch,
    state_change,
)

ROOTS = (ingest_fn, choose_fn, launch_fn, status_fn, cordon_fn, evict_fn, record_fn)
KUBE_HANDLERS = (status_fn, cordon_fn, evict_fn)


@pytest.fixture
def kube() -> FakeKubeConnector:
    connector = FakeKubeConnector()
    connector.clusters[CLUSTER] = cluster_with_pods()
    return connector


@pytest.fixture
def pipeline(monkeypatch: pytest.MonkeyPatch, kube: FakeKubeConnector) -> Iterator[tuple[Deployed, Invocations]]:
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    for module in ROOTS:
        module.root.cache_clear()
    for build in (tables.registry_model, tables.hive_mind_model, tables.audit_model, tables.idempotency_model):
        build.cache_clear()
    with mock_aws(config=MOTO_CONFIG), in_process_lambdas() as calls:
        deployed = deploy()
        monkeypatch.setenv("STATE_MACHINE_ARN", deployed.state_machine_arn)
        registry = DynamoRegistry(tables.registry_model("Registry"))
        for module in KUBE_HANDLERS:  # the customer cluster is a fake; everything else is moto
            monkeypatch.setattr(module, "root", lambda: KubeDeps(registry, kube))
        yield deployed, calls
    for module in ROOTS:
        clear = getattr(module.root, "cache_clear", None)
        if clear is not None:
            clear()


def ingest(*events: dict[str, Any]) -> dict[str, Any]:
    return ingest_fn.handler(sqs_batch(*events), None)  # type: ignore[no-any-return]


def executions() -> list[dict[str, Any]]:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    arn = boto3.client("stepfunctions", region_name=REGION).list_state_machines()["stateMachines"][0]["stateMachineArn"]
    return [wait_for(e["executionArn"]) for e in sfn.list_executions(stateMachineArn=arn)["executions"]]


def customer(service: str) -> Any:
    creds = boto3.client("sts", region_name=REGION).assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/CloudOptimAccess-{TENANT}", RoleSessionName="check", ExternalId="ext-1"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"], region_name=REGION,
    ).client(service)  # fmt: skip


def audit_items() -> list[Any]:
    return list(tables.audit_model("Audit").scan())


def test_interruption_drains_and_launches_in_parallel_and_audits(
    pipeline: tuple[Deployed, Invocations], kube: FakeKubeConnector
) -> None:
    deployed, calls = pipeline
    assert ingest(spot_warning(at=int(time.time()))) == {"batchItemFailures": []}
    [execution] = executions()
    assert execution["status"] == "SUCCEEDED", execution
    output = json.loads(execution["output"])
    assert output["outcome"]["outcome"] == "replaced-and-drained"
    fake = kube.clusters[CLUSTER]
    assert fake.cordoned == [NODE] and [e.name for e in fake.evictions] == ["web-1"]
    ec2 = customer("ec2")
    [reservation] = ec2.describe_instances()["Reservations"]
    instance = reservation["Instances"][0]
    tags = {t["Key"]: t["Value"] for t in instance.get("Tags", [])}
    assert {k: v for k, v in tags.items() if k.startswith("cloudoptim:")} == {
        "cloudoptim:tenant": TENANT,
        "cloudoptim:replaces": INSTANCE,
    }
    assert tags["aws:ec2launchtemplate:id"] == deployed.launch_template_id
    assert instance["InstanceLifecycle"] == "spot"
    assert next(r for _, r, _ in calls.of("launch_replacement"))["instance_id"] == instance["InstanceId"]
    assert instance["SubnetId"] in deployed.subnets.values()
    [item] = audit_items()
    assert (item.outcome, item.kind, item.pods_evicted, item.dry_run) == (
        "replaced-and-drained",
        "interruption",
        1,
        False,
    )
    assert item.replacement == instance["InstanceId"]
    [flag] = list(tables.hive_mind_model("HiveMind").scan())
    assert (flag.pool, flag.tenant_id) == ("us-east-1#use1-az4#m5.xlarge", TENANT)
    assert flag.expires_at == flag.flagged_at + 1800


def test_duplicate_event_starts_one_execution(pipeline: tuple[Deployed, Invocations]) -> None:
    event = spot_warning(at=int(time.time()))
    ingest(event)
    ingest(event)
    assert len(executions()) == 1


def test_dry_run_changes_nothing_and_says_so(
    pipeline: tuple[Deployed, Invocations], kube: FakeKubeConnector, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRY_RUN", "true")
    ingest_fn.root.cache_clear()
    ingest(rebalance(at=int(time.time())))
    [execution] = executions()
    assert execution["status"] == "SUCCEEDED", execution
    fake = kube.clusters[CLUSTER]
    assert fake.cordoned == [] and fake.evictions == []
    assert customer("ec2").describe_instances()["Reservations"] == []
    [item] = audit_items()
    assert item.dry_run is True and item.outcome == "replaced-and-drained"
    assert any("dry run: would launch" in r for r in item.reasons)


def test_state_change_is_recorded_only(pipeline: tuple[Deployed, Invocations]) -> None:
    ingest(state_change("shutting-down", at=int(time.time())))
    [execution] = executions()
    assert execution["status"] == "SUCCEEDED"
    [item] = audit_items()
    assert (item.kind, item.outcome) == ("state-change", "recorded")


def test_failing_task_ends_in_record_failure_with_an_audit_item(
    pipeline: tuple[Deployed, Invocations], kube: FakeKubeConnector
) -> None:
    _, calls = pipeline
    kube.clusters[CLUSTER].fail("node_for_instance", KubeAuthError("get node: HTTP 403 forbidden"))
    ingest(rebalance(at=int(time.time())))
    [execution] = executions()
    assert execution["status"] == "FAILED"
    [item] = audit_items()
    assert item.outcome == "failed" and item.reasons[0].startswith("KubeAuthError")
    assert len(calls.of("node_status")) == 1  # a permanent error is not retried


def test_pdb_refusal_is_retried_until_the_deadline_then_reported(
    pipeline: tuple[Deployed, Invocations], kube: FakeKubeConnector
) -> None:
    fake = kube.clusters[CLUSTER]
    fake.budgets.clear()
    fake.add_pdb("web", "web", {"app": "web"}, min_available=2)
    ingest(spot_warning(at=int(time.time()) - 119))  # one second of the two minutes left
    [execution] = executions()
    assert execution["status"] == "SUCCEEDED", execution
    [item] = audit_items()
    assert item.outcome == "drained-partially"
    assert ("web", "web-1") in fake.pods


def test_interruption_after_a_rebalance_drains_at_once_and_launches_nothing_more(
    pipeline: tuple[Deployed, Invocations], kube: FakeKubeConnector
) -> None:
    now = int(time.time())
    ingest(rebalance(at=now))
    ingest(spot_warning(at=now + 30))
    done = {json.loads(e["input"])["kind"]: e for e in executions()}
    assert set(done) == {"rebalance", "interruption"} and all(e["status"] == "SUCCEEDED" for e in done.values())
    assert json.loads(done["interruption"]["output"])["outcome"]["outcome"] == "drained-replaced-earlier"
    reservations = customer("ec2").describe_instances()["Reservations"]
    assert sum(len(r["Instances"]) for r in reservations) == 1  # one machine, one replacement
