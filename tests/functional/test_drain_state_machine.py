"""DrainAndReplace run for real: moto executes the ASL, the Lambdas run in-process against moto's
DynamoDB, STS and EC2, and a fake Kubernetes API stands in for the customer cluster."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from moto import mock_aws

from cloudoptim.adapters.aws import tables
from cloudoptim.adapters.aws.ec2 import Ec2Launcher
from cloudoptim.adapters.aws.registry import DynamoRegistry
from cloudoptim.errors import KubeAuthError
from cloudoptim.interruptions.drain import KubeDeps
from cloudoptim.interruptions.ports import Launched, LaunchSpec
from functions.choose_replacement import handler as choose_fn
from functions.cordon_node import handler as cordon_fn
from functions.evict_pods import handler as evict_fn
from functions.ingest import handler as ingest_fn
from functions.launch_replacement import handler as launch_fn
from functions.node_status import handler as status_fn
from functions.record_outcome import handler as record_fn
from functions.terminate_replacement import handler as terminate_fn
from tests.fakes.aws import FakeKubeConnector
from tests.support.moto_lambda import Invocations, in_process_lambdas
from tests.support.moto_pipeline import ENV, MOTO_CONFIG, REGION, Deployed, audit_entries, deploy, wait_for
from tests.support.pipeline import (
    ACCOUNT,
    CLUSTER,
    EXTERNAL_ID,
    INSTANCE,
    NODE,
    TENANT,
    cluster_with_pods,
    health,
    rebalance,
    spot_warning,
    sqs_batch,
    state_change,
)

ROOTS = (ingest_fn, choose_fn, launch_fn, status_fn, terminate_fn, cordon_fn, evict_fn, record_fn)
KUBE_HANDLERS = (status_fn, cordon_fn, evict_fn)


@pytest.fixture
def kube() -> FakeKubeConnector:
    connector = FakeKubeConnector()
    connector.clusters[CLUSTER] = cluster_with_pods()
    return connector


@dataclass
class Kubelet:
    """Launched instances join the fake cluster as Ready nodes (EKS names them by private DNS), unless switched
    off to play a replacement that never becomes Ready."""

    kube: FakeKubeConnector
    joining: bool = True
    joined: list[str] = field(default_factory=list)

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        original = Ec2Launcher.launch

        def launch(launcher: Ec2Launcher, spec: LaunchSpec) -> Launched:
            launched = original(launcher, spec)
            if self.joining:
                node = self.kube.clusters[CLUSTER].add_node(launched.private_dns_name, instance_id=launched.instance_id)
                self.joined.append(node.name)
            return launched

        monkeypatch.setattr(Ec2Launcher, "launch", launch)


@pytest.fixture
def kubelet(kube: FakeKubeConnector) -> Kubelet:
    return Kubelet(kube)


@pytest.fixture
def pipeline(
    monkeypatch: pytest.MonkeyPatch, kube: FakeKubeConnector, kubelet: Kubelet
) -> Iterator[tuple[Deployed, Invocations]]:
    kubelet.install(monkeypatch)
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    for module in ROOTS:
        module.root.cache_clear()
    for build in (tables.registry_model, tables.hive_mind_model, tables.idempotency_model):
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
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/CloudOptimAccess-{TENANT}", RoleSessionName="check",
        ExternalId=EXTERNAL_ID,
    )["Credentials"]  # fmt: skip
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"], region_name=REGION,
    ).client(service)  # fmt: skip


def audit_items() -> list[Any]:
    return audit_entries()


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
    assert (item["outcome"], item["action"], item["after"]["pods_evicted"], item["dry_run"]) == (
        "replaced-and-drained",
        "drain-and-replace/interruption",
        1,
        False,
    )
    assert item["after"]["replacement"] == instance["InstanceId"]
    assert item["seq"] == 1 and output["outcome"]["audit_key"] == f"TENANT#{TENANT}/SEQ#000000000001"
    [flag] = [i for i in tables.hive_mind_model("HiveMind").scan() if "#" not in i.tenant_id]  # not RECORD#, CUSTOMER#
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
    assert item["dry_run"] is True and item["outcome"] == "replaced-and-drained"
    assert any("dry run: would launch" in r for r in item["reasons"])


def test_state_change_is_recorded_only(pipeline: tuple[Deployed, Invocations]) -> None:
    ingest(state_change("shutting-down", at=int(time.time())))
    [execution] = executions()
    assert execution["status"] == "SUCCEEDED"
    [item] = audit_items()
    assert (item["action"], item["outcome"]) == ("drain-and-replace/state-change", "recorded")


def test_failing_task_ends_in_record_failure_with_an_audit_item(
    pipeline: tuple[Deployed, Invocations], kube: FakeKubeConnector
) -> None:
    _, calls = pipeline
    kube.clusters[CLUSTER].fail("get_node", KubeAuthError("get node: HTTP 403 forbidden"))
    ingest(rebalance(at=int(time.time())))
    [execution] = executions()
    assert execution["status"] == "FAILED"
    [item] = audit_items()
    assert item["outcome"] == "failed" and item["reasons"][0].startswith("KubeAuthError")
    assert len(calls.of("node_status")) == 1  # a permanent error is not retried
    assert guards() == {}  # the failure path gave the instance's claim back: a later notice can replace it


def guards() -> dict[str, str]:
    items = tables.idempotency_model("Idempotency").scan()
    return {i.id: i.status for i in items if i.id.startswith("INSTANCE#")}


def test_a_replacement_never_ready_is_terminated_and_recorded(
    pipeline: tuple[Deployed, Invocations], kubelet: Kubelet
) -> None:
    kubelet.joining = False
    ingest(rebalance(at=int(time.time())))
    [execution] = executions()
    assert execution["status"] == "SUCCEEDED", execution
    [replacement] = [i for r in customer("ec2").describe_instances()["Reservations"] for i in r["Instances"]]
    assert replacement["State"]["Name"] in ("shutting-down", "terminated")
    [item] = audit_items()
    assert item["outcome"] == "replacement-not-ready" and item["after"]["replacement_terminated"] is True
    assert any(f"terminated replacement {replacement['InstanceId']}" in r for r in item["reasons"])
    assert guards() == {}  # nothing replaces the instance now: a later interruption must be able to


def test_two_instances_of_one_health_event_in_the_same_second_are_two_audit_entries(
    pipeline: tuple[Deployed, Invocations],
) -> None:
    second = "i-0c0c0c0c0c0c0c0c0"
    tables.registry_model("Registry")(
        f"INSTANCE#{second}", "NODE", tenant_id=TENANT, cluster=CLUSTER, node_name="ip-10-0-9-9.ec2.internal",
        node_group="workers", region=REGION, availability_zone="us-east-1d", az_id="use1-az4",
        instance_type="m5.xlarge", capacity_type="spot",
    ).save()  # fmt: skip
    event = health(at=int(time.time()))
    event["detail"]["affectedEntities"].append({"entityValue": second, "tags": {}})
    ingest(event)
    assert [e["status"] for e in executions()] == ["SUCCEEDED", "SUCCEEDED"]
    first, then = audit_items()
    assert (first["seq"], then["seq"]) == (1, 2)
    assert {first["target"]["instance_id"], then["target"]["instance_id"]} == {INSTANCE, second}
    assert then["prev_hash"] == hashlib.sha256(json.dumps(first, sort_keys=True, separators=(",", ":"),
                                                          ensure_ascii=False).encode()).hexdigest()  # fmt: skip


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
    assert item["outcome"] == "drained-partially"
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
