"""Helpers for the end-to-end tests: send a notice through the bus and wait for its workflow; write a recommendation
as the sweep writes it, approve it and await its Execute workflow."""

from __future__ import annotations

import json
import time
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from cloudoptim.adapters.aws import clients
from cloudoptim.adapters.aws.stepfunctions import SfnWorkflows
from cloudoptim.optimization import executions
from cloudoptim.optimization.ports import OptimizationDeps
from cloudoptim.optimization.records import RECOMMENDATION_TTL_SECONDS, Recommendation
from localmode.aws import ACCOUNT_ID
from localmode.cluster_seed import SeedNode
from localmode.drill_events import INTERRUPTION, notice_entry
from localmode.hibernate_drill import HibernateDrill, HibernateDrillSettings
from localmode.stack import LocalStack


def spot_node_with_budgeted_pods(stack: LocalStack) -> tuple[str, SeedNode]:
    """A seeded Spot node running pods that a PodDisruptionBudget guards (the drain must honour it)."""
    store = stack.kube.store
    budgets = {(b["metadata"]["namespace"], b["metadata"]["name"]) for b in store.list_pdbs()}
    assert budgets, "the shipped cluster has disruption budgets"
    for instance_id, node in stack.tenant.instances.items() if stack.tenant else ():
        pods = [p for p in store.list_pods() if p.get("spec", {}).get("nodeName") == node.name]
        owned = [
            p for p in pods if (p.get("metadata", {}).get("ownerReferences") or [{}])[0].get("kind") != "DaemonSet"
        ]
        if node.capacity_type == "spot" and len(owned) >= 2:
            return instance_id, node
    raise AssertionError("no seeded Spot node runs workload pods")


def _owner_kind(pod: dict[str, Any]) -> str | None:
    owners = pod.get("metadata", {}).get("ownerReferences") or [{}]
    kind = owners[0].get("kind")
    return None if kind is None else str(kind)


def send_interruption(stack: LocalStack, instance_id: str) -> str:
    assert stack.deployed is not None
    entry = notice_entry(stack.deployed.event_bus_name, INTERRUPTION, instance_id, stack.aws.region, ACCOUNT_ID)
    answer = stack.aws.client("events").put_events(Entries=[entry])
    assert answer["FailedEntryCount"] == 0
    return str(answer["Entries"][0]["EventId"])


def wait_for_execution(stack: LocalStack, name: str, timeout: float = 60) -> dict[str, Any]:
    assert stack.deployed is not None
    arn = stack.deployed.state_machine_arn.replace(":stateMachine:", ":execution:") + f":{name}"
    sfn = stack.aws.client("stepfunctions")
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            described: dict[str, Any] = sfn.describe_execution(executionArn=arn)
        except sfn.exceptions.ExecutionDoesNotExist:
            described = {"status": "NOT_STARTED"}
        if described["status"] not in ("RUNNING", "NOT_STARTED"):
            return described
        time.sleep(0.3)
    raise AssertionError(f"execution {name} did not finish within {timeout} s")


def wait_for_empty_queue(stack: LocalStack, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if stack.queue_empty():
            return
        time.sleep(0.3)
    raise AssertionError("the interruption queue did not drain")


def executions_named(stack: LocalStack, name: str) -> int:
    assert stack.deployed is not None
    sfn = stack.aws.client("stepfunctions")
    pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=stack.deployed.state_machine_arn)
    return sum(1 for page in pages for e in page["executions"] if e["name"] == name)


def output_of(described: dict[str, Any]) -> dict[str, Any]:
    output: dict[str, Any] = json.loads(described.get("output") or "{}")
    return output


def execution_deps(stack: LocalStack) -> OptimizationDeps:
    assert stack.deployed is not None
    tenancy = HibernateDrill(stack, HibernateDrillSettings()).tenancy()
    env = stack.deployed.function_env["api"]
    sfn = clients.client("stepfunctions", stack.aws.region, stack.aws.endpoint_url)
    workflows = SfnWorkflows(sfn, env["SWEEP_STATE_MACHINE_ARN"], env["EXECUTION_STATE_MACHINE_ARN"])
    return OptimizationDeps(tenancy.documents, tenancy.audit, workflows)


def run_recommendation(
    stack: LocalStack, deps: OptimizationDeps, id: str, kind: str, actions: list[Any], projected: float
) -> dict[str, Any]:
    assert stack.tenant is not None and stack.deployed is not None
    tenant, cluster, now = stack.tenant.tenant_id, stack.tenant.cluster, int(time.time())
    body = Recommendation(cluster=cluster, kind=kind, status="approved", title=id, actions=actions,
                          projected_savings_per_hour=projected, sweep_id=f"{cluster}.e2e", discovery_run="e2e",
                          expires_at=now + RECOMMENDATION_TTL_SECONDS)  # fmt: skip
    document = deps.documents.create(tenant, "recommendation", id, body.model_dump(), now)
    executions.start(deps, tenant, document, "e2e@local", now)
    arn = stack.deployed.function_env["api"]["EXECUTION_STATE_MACHINE_ARN"].replace(":stateMachine:", ":execution:")
    sfn = stack.aws.client("stepfunctions")
    for _ in range(600):  # bounded by count, not by time
        try:
            status = sfn.describe_execution(executionArn=f"{arn}:{id.replace('.', '_')}_x1")["status"]
        except sfn.exceptions.ExecutionDoesNotExist:
            status = "RUNNING"
        if status != "RUNNING":
            break
        time.sleep(0.2)
    recommendation = deps.documents.get(tenant, "recommendation", id)
    execution = deps.documents.get(tenant, "execution", f"{id}.x1")
    assert recommendation is not None and execution is not None
    return {"sfn": status, "recommendation": recommendation.body, "execution": execution.body}


def registered_as_the_api_does(stack: LocalStack) -> None:
    """Local mode writes the cluster's registry item the older way (attributes); a sweep needs its document."""
    assert stack.tenant is not None and stack.deployed is not None
    dynamodb = stack.aws.client("dynamodb")
    key = {"pk": {"S": f"TENANT#{stack.tenant.tenant_id}"}, "sk": {"S": f"CLUSTER#{stack.tenant.cluster}"}}
    item = dynamodb.get_item(TableName=stack.deployed.tables["REGISTRY_TABLE"], Key=key)["Item"]
    if "doc" in item:
        return
    plain = {k: TypeDeserializer().deserialize(v) for k, v in item.items() if k not in ("pk", "sk")}
    body = {**plain, "name": stack.tenant.cluster, "region": stack.aws.region}
    dynamodb.update_item(
        TableName=stack.deployed.tables["REGISTRY_TABLE"], Key=key,
        UpdateExpression="SET #d = :d, #v = :v, created_at = :z, updated_at = :z",
        ExpressionAttributeNames={"#d": "doc", "#v": "version"},
        ExpressionAttributeValues={":d": {"S": json.dumps(body, default=str)}, ":v": {"N": "1"}, ":z": {"N": "0"}},
    )  # fmt: skip
