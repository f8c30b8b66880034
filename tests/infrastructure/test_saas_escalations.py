"""The hive mind's hand-over in the SaaS template: ingest puts "CloudOptim Pool Escalated" on the bus, a rule queues
it for `rebalance_pool` (with a dead-letter queue), which finds the pool's nodes through the registry's sparse
`ByPool` index and holds exactly its grants (no Scan, documents and guards by key prefix, one state machine)."""

from __future__ import annotations

from tests.infrastructure.conftest import SynthesizedSaas
from tests.infrastructure.test_saas_iam import KEYED_READ, XRAY, grants

REBALANCE = "RebalancePoolFunction"


def _logical(saas: SynthesizedSaas, kind: str, prefix: str) -> str:
    (found,) = [lid for lid in saas.resources(kind) if lid.startswith(prefix)]
    return found


def test_the_registry_finds_a_pools_nodes_with_one_query_of_a_sparse_index(saas: SynthesizedSaas) -> None:
    (index,) = saas.properties("Registry")["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "ByPool"
    assert {k["AttributeName"]: k["KeyType"] for k in index["KeySchema"]} == {"pool": "HASH", "pk": "RANGE"}


def test_the_escalation_rule_queues_only_the_hive_minds_event(saas: SynthesizedSaas) -> None:
    rule = saas.properties("PoolEscalatedRule")
    assert rule["EventBusName"] == "cloudoptim-events"
    assert rule["EventPattern"] == {"source": ["cloudoptim.hive-mind"], "detail-type": ["CloudOptim Pool Escalated"]}
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["EscalationQueue", "Arn"]}
    assert target["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": ["EscalationDLQ", "Arn"]}


def test_the_queue_feeds_rebalance_pool_with_retries_then_dead_letters(saas: SynthesizedSaas) -> None:
    queue = saas.properties("EscalationQueue")
    assert queue["RedrivePolicy"] == {"deadLetterTargetArn": {"Fn::GetAtt": ["EscalationDLQ", "Arn"]},
                                      "maxReceiveCount": 3}  # fmt: skip
    assert queue["VisibilityTimeout"] >= 6 * saas.properties(REBALANCE)["Timeout"]
    (mapping,) = [
        m["Properties"]
        for m in saas.resources("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["EventSourceArn"] == {"Fn::GetAtt": ["EscalationQueue", "Arn"]}
    ]
    assert mapping["FunctionName"] == {"Ref": REBALANCE}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_rebalance_pool_gets_exactly_its_grants(saas: SynthesizedSaas) -> None:
    plumbing, found = grants(saas, REBALANCE)
    assert plumbing == XRAY | {"logs:CreateLogStream", "logs:PutLogEvents"}
    sqs = frozenset({"sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl",
                     "sqs:ReceiveMessage"})  # fmt: skip
    claims = frozenset({"dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
                        "dynamodb:DeleteItem"})  # fmt: skip
    assert found == {
        ("Registry/index/ByPool", frozenset({"dynamodb:Query"}), None),
        ("Registry", KEYED_READ | {"dynamodb:PutItem"}, "TENANT#*"),  # policies read, recommendations put
        ("HiveMind", frozenset({"dynamodb:DescribeTable", "dynamodb:Query"}), None),
        ("Idempotency", claims, "INSTANCE#*"),  # the nodes' replace guards, nothing else
        ("DrainAndReplace", frozenset({"states:StartExecution"}), None),
        ("EscalationQueue", sqs, None),
        # each tenant with nodes in the pool is told, through notifications' rule on the default bus
        (
            "DefaultBus",
            frozenset({"events:PutEvents"}),
            "events:detail-type=CloudOptim Pool Escalated,events:source=cloudoptim.interruptions",
        ),
    }


def test_ingest_knows_the_bus_and_rebalance_pool_the_workflow(saas: SynthesizedSaas) -> None:
    ingest = saas.properties("IngestFunction")["Environment"]["Variables"]
    assert ingest["ESCALATION_BUS_NAME"] == "cloudoptim-events"
    env = saas.properties(REBALANCE)["Environment"]["Variables"]
    assert env["STATE_MACHINE_ARN"] == {"Ref": "DrainAndReplace"}
    assert env["IDEMPOTENCY_TABLE"] == {"Ref": "Idempotency"}
    assert env["REGISTRY_TABLE"] == {"Ref": "Registry"} and env["HIVE_MIND_TABLE"] == {"Ref": "HiveMind"}
    assert saas.properties(REBALANCE)["Handler"] == "functions/rebalance_pool/handler.handler"
    # GET /v1/hive-mind reads the table the hive mind writes
    assert saas.properties("ApiFunction")["Environment"]["Variables"]["HIVE_MIND_TABLE"] == {"Ref": "HiveMind"}


def test_the_escalation_queues_are_alarmed(saas: SynthesizedSaas) -> None:
    watched = set()
    for alarm in saas.resources("AWS::CloudWatch::Alarm").values():
        dimension = alarm["Properties"]["Dimensions"][0]["Value"]
        watched.add((alarm["Properties"]["MetricName"], dimension.get("Ref") or dimension.get("Fn::GetAtt", ["?"])[0]))
    assert ("ApproximateNumberOfMessagesVisible", "EscalationDLQ") in watched
    assert {("Errors", REBALANCE), ("Throttles", REBALANCE)} <= watched
