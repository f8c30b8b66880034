"""The SaaS template wires the platform contract (docs/platform-contract.md): events -> queue -> ingest ->
DrainAndReplace, the four tables, and the seven functions with their environment."""

from __future__ import annotations

import re
from typing import Any

import pytest

from cdk.manifest import FUNCTION_LAYERS
from cloudoptim.onboarding import EC2_EVENTS, HEALTH_EVENTS
from tests.infrastructure.conftest import SynthesizedSaas

FUNCTIONS = {
    "ingest": "IngestFunction",
    "choose_replacement": "ChooseReplacementFunction",
    "launch_replacement": "LaunchReplacementFunction",
    "node_status": "NodeStatusFunction",
    "cordon_node": "CordonNodeFunction",
    "evict_pods": "EvictPodsFunction",
    "record_outcome": "RecordOutcomeFunction",
}
TABLES = {
    # logical id: (keys, TTL attribute, env var)
    "Registry": ({"pk": "HASH", "sk": "RANGE"}, None, "REGISTRY_TABLE"),
    "HiveMind": ({"pool": "HASH", "tenant_id": "RANGE"}, "expires_at", "HIVE_MIND_TABLE"),
    "Idempotency": ({"id": "HASH"}, "expiration", "IDEMPOTENCY_TABLE"),
    "Audit": ({"pk": "HASH", "sk": "RANGE"}, None, "AUDIT_TABLE"),
}


def test_bus_rule_routes_the_four_event_types_to_the_queue(saas: SynthesizedSaas) -> None:
    assert saas.properties("EventBus")["Name"] == "cloudoptim-events"
    rule = saas.properties("InterruptionEventsRule")
    assert rule["Name"] == "interruption-events"
    assert rule["EventBusName"] == "cloudoptim-events"
    assert rule["EventPattern"] == {"$or": [EC2_EVENTS, HEALTH_EVENTS]}
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["InterruptionQueue", "Arn"]}


def test_queue_redrives_to_the_dlq_after_three_receives(saas: SynthesizedSaas) -> None:
    queue = saas.properties("InterruptionQueue")
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["InterruptionDLQ", "Arn"]},
        "maxReceiveCount": 3,
    }
    ingest_timeout = saas.properties("IngestFunction")["Timeout"]
    assert queue["VisibilityTimeout"] >= 6 * ingest_timeout
    for name in ("InterruptionQueue", "InterruptionDLQ"):
        assert saas.properties(name)["SqsManagedSseEnabled"] is True


def test_ingest_reads_the_queue_reporting_batch_item_failures(saas: SynthesizedSaas) -> None:
    (mapping,) = saas.resources("AWS::Lambda::EventSourceMapping").values()
    props = mapping["Properties"]
    assert props["FunctionName"] == {"Ref": "IngestFunction"}
    assert props["EventSourceArn"] == {"Fn::GetAtt": ["InterruptionQueue", "Arn"]}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


@pytest.mark.parametrize("logical_id", sorted(TABLES))
def test_tables_are_on_demand_encrypted_recoverable_with_ttl(saas: SynthesizedSaas, logical_id: str) -> None:
    keys, ttl, _ = TABLES[logical_id]
    table = saas.properties(logical_id)
    assert {k["AttributeName"]: k["KeyType"] for k in table["KeySchema"]} == keys
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["SSESpecification"] == {"SSEEnabled": True}
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    if ttl is None:
        assert "TimeToLiveSpecification" not in table
    else:
        assert table["TimeToLiveSpecification"] == {"AttributeName": ttl, "Enabled": True}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_functions_follow_the_contract(saas: SynthesizedSaas, name: str) -> None:
    fn = saas.properties(FUNCTIONS[name])
    assert fn["Handler"] == f"functions/{name}/handler.handler"
    assert fn["Runtime"] == "python3.12"
    assert fn["Architectures"] == ["x86_64"]
    assert fn["TracingConfig"] == {"Mode": "Active"}
    # one dependency layer per lock, only those the function's imports need (issue 10; test_layers.py)
    deps = [f"CloudOptimDeps{layer.capitalize()}" for layer in FUNCTION_LAYERS[name]]
    assert [layer["Ref"] for layer in fn["Layers"]] == [*deps, "CloudOptimRuntime"]
    env = fn["Environment"]["Variables"]
    assert env["POWERTOOLS_SERVICE_NAME"] == "cloudoptim"
    for table, (_, _, variable) in TABLES.items():
        if variable != "IDEMPOTENCY_TABLE":
            assert env[variable] == {"Ref": table}
    assert "AWS_ENDPOINT_URL" not in env  # local mode only


def test_ingest_environment(saas: SynthesizedSaas) -> None:
    env = saas.properties("IngestFunction")["Environment"]["Variables"]
    assert env["STATE_MACHINE_ARN"] == {"Ref": "DrainAndReplace"}
    assert env["IDEMPOTENCY_TABLE"] == {"Ref": "Idempotency"}
    assert (env["HIVE_MIND_TTL_SECONDS"], env["DRY_RUN"], env["WAIT_SECONDS"]) == ("1800", "false", "5")
    others = [saas.properties(f)["Environment"]["Variables"] for n, f in FUNCTIONS.items() if n != "ingest"]
    assert not any("IDEMPOTENCY_TABLE" in other or "STATE_MACHINE_ARN" in other for other in others)


def test_state_machine_substitutions_cover_every_placeholder(saas: SynthesizedSaas) -> None:
    machine = saas.properties("DrainAndReplace")
    placeholders = set(re.findall(r"\$\{(\w+)\}", saas.asl.read_text()))
    substitutions: dict[str, Any] = machine["DefinitionSubstitutions"]
    assert placeholders <= set(substitutions)
    for name, logical_id in FUNCTIONS.items():
        if name != "ingest":
            key = "".join(part.capitalize() for part in name.split("_")) + "FunctionArn"
            assert substitutions[key] == {"Fn::GetAtt": [logical_id, "Arn"]}
    assert machine["DefinitionString"] == saas.asl.read_text()


def test_state_machine_logs_everything_and_traces(saas: SynthesizedSaas) -> None:
    machine = saas.properties("DrainAndReplace")
    assert machine["LoggingConfiguration"]["Level"] == "ALL"
    assert machine["LoggingConfiguration"]["IncludeExecutionData"] is True
    assert machine["TracingConfiguration"] == {"Enabled": True}
    assert machine["StateMachineType"] == "STANDARD"


def test_outputs_name_what_local_mode_and_operators_look_up(saas: SynthesizedSaas) -> None:
    outputs = saas.template["Outputs"]
    for key in ("EventBusName", "InterruptionQueueUrl", "DrainAndReplaceArn", "RegistryTableName"):
        assert key in outputs
    assert {f"{lid}Name" for lid in FUNCTIONS.values()} <= set(outputs)
