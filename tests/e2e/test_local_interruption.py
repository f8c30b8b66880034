"""End to end on the local stack: a Spot interruption warning through the SaaS bus, observed in every store.

The stack is the CDK template deployed into moto with the repository's handlers run in-process, and the
shipped cluster served by the Kubernetes emulator (tests/e2e/conftest.py).
"""

from __future__ import annotations

import json
import time

from localmode.drill import DrillSettings, run_drill
from localmode.stack import REPLACES_TAG, LocalStack
from tests.e2e.support import (
    executions_named,
    output_of,
    send_interruption,
    spot_node_with_budgeted_pods,
    wait_for_empty_queue,
    wait_for_execution,
)


def _hive_mind_item(stack: LocalStack, pool: str) -> dict[str, dict[str, str]] | None:
    assert stack.deployed is not None
    answer = stack.aws.client("dynamodb").get_item(
        TableName=stack.deployed.tables["HIVE_MIND_TABLE"], Key={"pool": {"S": pool}, "tenant_id": {"S": "local"}}
    )
    item: dict[str, dict[str, str]] | None = answer.get("Item")
    return item


def _replacements_of(stack: LocalStack, instance_id: str) -> list[dict[str, object]]:
    reservations = stack.aws.client("ec2").describe_instances(
        Filters=[{"Name": f"tag:{REPLACES_TAG}", "Values": [instance_id]}]
    )["Reservations"]
    return [i for r in reservations for i in r["Instances"]]


def _audit_events(stack: LocalStack) -> set[str]:
    """The event ids of the tenant's interruption audit entries (its append-only, sequence-numbered log)."""
    assert stack.deployed is not None
    items = stack.aws.client("dynamodb").query(
        TableName=stack.deployed.tables["AUDIT_TABLE"],
        KeyConditionExpression="pk = :pk AND begins_with(sk, :seq)",
        ExpressionAttributeValues={":pk": {"S": "TENANT#local"}, ":seq": {"S": "SEQ#"}},
    )["Items"]
    targets = [json.loads(item["entry"]["S"])["target"] for item in items]
    return {t["event_id"] for t in targets if "event_id" in t}  # sweeps and executions share the log


def test_interruption_warning_flags_replaces_drains_and_audits_once(local_stack: LocalStack) -> None:
    stack = local_stack
    assert stack.deployed is not None and stack.tenant is not None
    instance_id, node = spot_node_with_budgeted_pods(stack)
    violations_before = stack.kube.stats().pdb_violations

    event_id = send_interruption(stack, instance_id)
    described = wait_for_execution(stack, event_id)

    assert described["status"] == "SUCCEEDED", described
    pool = f"{stack.aws.region}#{stack.tenant.az_ids[node.zone]}#{node.instance_type}"
    flag = _hive_mind_item(stack, pool)
    assert flag is not None and flag["event_id"]["S"] == event_id
    assert int(flag["expires_at"]["N"]) > time.time()
    replacements = _replacements_of(stack, instance_id)
    assert len(replacements) == 1
    group = stack.tenant.node_groups[node.node_group]
    launched_from = {t["Key"]: t["Value"] for t in replacements[0].get("Tags", [])}  # type: ignore[attr-defined]
    assert launched_from.get("aws:ec2launchtemplate:id") == group.launch_template_id
    old = stack.kube.store.get_node(node.name)
    assert old["spec"].get("unschedulable") is True
    left = [p for p in stack.kube.store.list_pods() if p.get("spec", {}).get("nodeName") == node.name]
    assert all(p["metadata"]["ownerReferences"][0]["kind"] == "DaemonSet" for p in left), left
    assert stack.kube.stats().pdb_violations == violations_before
    assert output_of(described)  # the workflow's final state is recorded
    assert event_id in _audit_events(stack)

    # The same event delivered again (EventBridge is at-least-once) starts nothing.
    delivered = stack.aws.tap.delivered(event_id)
    assert delivered is not None
    outcomes = stack.aws.journal.count("record_outcome")
    stack.aws.client("sqs").send_message(QueueUrl=stack.deployed.queue_url, MessageBody=delivered[1])
    wait_for_empty_queue(stack)
    time.sleep(1.0)
    assert executions_named(stack, event_id) == 1
    assert len(_replacements_of(stack, instance_id)) == 1
    assert stack.aws.journal.count("record_outcome") == outcomes


def test_small_drill_starts_one_workflow_per_unique_event(local_stack: LocalStack) -> None:
    report = run_drill(local_stack, DrillSettings(events=20, duplicates=0.1, seed=3, rate_per_second=10))

    assert report["events_sent"] == 20 and report["duplicates_sent"] == 2
    assert report["executions_started"] == report["unique_events"] == 18
    assert report["executions_succeeded"] == report["executions_started"]
    assert report["drains_incomplete"] == report["deadline_misses"] == 0
    assert report["pdb_violations"] == 0
    assert report["dlq_messages"] == 0
    assert report["replacements_launched"] == 18
    latency = report["latency_ms"]
    assert latency["ingest_to_start_p50"] is not None and latency["event_to_drained_p50"] is not None
    assert 0 <= latency["ingest_to_start_p50"] <= latency["ingest_to_start_p99"]
