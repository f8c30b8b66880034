"""The SaaS template wires the platform contract (docs/platform-contract.md): events -> queue -> ingest ->
DrainAndReplace, the four tables, the eight functions with their environment, and the deadline-safe delivery,
timeouts, deletion protection and alarms of issue 12."""

from __future__ import annotations

import json
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
    "terminate_replacement": "TerminateReplacementFunction",
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


def test_the_rule_target_has_a_dead_letter_queue_and_a_short_maximum_event_age(saas: SynthesizedSaas) -> None:
    (target,) = saas.properties("InterruptionEventsRule")["Targets"]
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["EventDeliveryDLQ", "Arn"]}}
    assert target["RetryPolicy"]["MaximumEventAgeInSeconds"] <= 120  # a Spot warning is worthless after that
    assert saas.properties("EventDeliveryDLQ")["SqsManagedSseEnabled"] is True


def test_a_retry_still_starts_the_workflow_inside_the_two_minute_warning(saas: SynthesizedSaas) -> None:
    queue = saas.properties("InterruptionQueue")
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["InterruptionDLQ", "Arn"]},
        "maxReceiveCount": 3,
    }
    ingest_timeout = saas.properties("IngestFunction")["Timeout"]
    claim = int(saas.properties("IngestFunction")["Environment"]["Variables"]["CLAIM_IN_PROGRESS_SECONDS"])
    visibility = queue["VisibilityTimeout"]
    # A live invocation keeps its claim; a crashed one's redelivery finds the claim free (not a "duplicate").
    assert ingest_timeout < claim < visibility
    # Every receive the queue allows starts (and finishes) inside the warning, even after two crashes.
    assert (queue["RedrivePolicy"]["maxReceiveCount"] - 1) * visibility + ingest_timeout <= 120 - 30
    for name in ("InterruptionQueue", "InterruptionDLQ"):
        assert saas.properties(name)["SqsManagedSseEnabled"] is True


def _ingest_mapping(saas: SynthesizedSaas) -> dict[str, Any]:
    """The interruption queue's mapping (the escalation queue has its own, test_saas_escalations.py)."""
    (mapping,) = [
        m
        for m in saas.resources("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": "IngestFunction"}
    ]
    return mapping


def test_ingest_has_reserved_concurrency_and_the_poller_stays_under_it(saas: SynthesizedSaas) -> None:
    reserved = saas.properties("IngestFunction")["ReservedConcurrentExecutions"]
    mapping = _ingest_mapping(saas)
    assert reserved >= 10
    assert mapping["Properties"]["ScalingConfig"] == {"MaximumConcurrency": reserved}


def test_ingest_reads_the_queue_reporting_batch_item_failures(saas: SynthesizedSaas) -> None:
    mapping = _ingest_mapping(saas)
    props = mapping["Properties"]
    assert props["FunctionName"] == {"Ref": "IngestFunction"}
    assert props["EventSourceArn"] == {"Fn::GetAtt": ["InterruptionQueue", "Arn"]}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["BatchSize"] == 1  # a crashed invocation fails only its own notice, not nine neighbours' receives


@pytest.mark.parametrize("logical_id", sorted(TABLES))
def test_tables_are_on_demand_encrypted_recoverable_with_ttl(saas: SynthesizedSaas, logical_id: str) -> None:
    keys, ttl, _ = TABLES[logical_id]
    table = saas.properties(logical_id)
    assert {k["AttributeName"]: k["KeyType"] for k in table["KeySchema"]} == keys
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["SSESpecification"] == {"SSEEnabled": True}
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["DeletionProtectionEnabled"] is True
    assert saas.template["Resources"][logical_id]["DeletionPolicy"] == "Retain"
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


def test_hive_mind_flags_of_a_region_are_one_query_away(saas: SynthesizedSaas) -> None:
    (index,) = saas.properties("HiveMind")["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "ByRegion"
    assert {k["AttributeName"]: k["KeyType"] for k in index["KeySchema"]} == {"region": "HASH", "expires_at": "RANGE"}


def test_ingest_environment(saas: SynthesizedSaas) -> None:
    env = saas.properties("IngestFunction")["Environment"]["Variables"]
    assert env["STATE_MACHINE_ARN"] == {"Ref": "DrainAndReplace"}
    assert env["IDEMPOTENCY_TABLE"] == {"Ref": "Idempotency"}
    assert env["QUEUE_URL"] == {"Ref": "InterruptionQueue"}
    assert (env["HIVE_MIND_TTL_SECONDS"], env["DRY_RUN"], env["WAIT_SECONDS"]) == ("1800", "false", "5")
    others = {n: saas.properties(f)["Environment"]["Variables"] for n, f in FUNCTIONS.items() if n != "ingest"}
    assert not any("STATE_MACHINE_ARN" in other for other in others.values())
    # RecordOutcome's failure paths give back the instance's guard claims; nothing else touches the claims
    assert [n for n, other in others.items() if "IDEMPOTENCY_TABLE" in other] == ["record_outcome"]


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


def test_state_machine_timeout_is_in_the_synthesized_definition(saas: SynthesizedSaas) -> None:
    definition = json.loads(saas.properties("DrainAndReplace")["DefinitionString"])
    assert definition["TimeoutSeconds"] == 1800


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


def test_alarms_on_dead_letters_errors_throttles_and_failed_executions(saas: SynthesizedSaas) -> None:
    alarms = [a["Properties"] for a in saas.resources("AWS::CloudWatch::Alarm").values()]
    watched = set()
    for alarm in alarms:
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
        assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")
        dimension = alarm["Dimensions"][0]["Value"]
        watched.add((alarm["MetricName"], dimension.get("Ref") or dimension.get("Fn::GetAtt", ["?"])[0]))
    for queue in ("InterruptionDLQ", "EventDeliveryDLQ"):
        assert ("ApproximateNumberOfMessagesVisible", queue) in watched
    for function in FUNCTIONS.values():
        assert {("Errors", function), ("Throttles", function)} <= watched
    assert {("ExecutionsFailed", "DrainAndReplace"), ("ExecutionsTimedOut", "DrainAndReplace")} <= watched
    topic = saas.properties("AlarmTopic")
    key = saas.template["Resources"][topic["KmsMasterKeyId"]["Fn::GetAtt"][0]]["Properties"]
    assert key["EnableKeyRotation"] is True
