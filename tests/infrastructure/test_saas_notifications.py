"""Notifications in the SaaS template: the weekly schedule, the two alert rules on the default bus (the Execute
machine's failures only; CloudOptim's own detail-types only), the dead-letter queue behind both the rules and the
function's retries, and each function's exact grants (SES on the sender's identity, webhook secrets by name)."""

from __future__ import annotations

from cdk.manifest import FUNCTION_LAYERS
from cloudoptim.notifications.alerts import POOL_ESCALATED, SAFE_MODE_SWITCHED
from tests.infrastructure.conftest import SynthesizedSaas
from tests.infrastructure.test_saas_iam import WEBHOOKS, XRAY, grants

AUDIT = frozenset({"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:ConditionCheckItem"})
CLAIMS = frozenset({"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"})
READS = frozenset({"dynamodb:GetItem", "dynamodb:Query"})
EXPECTED = {
    "WeeklySummaryFunction": {
        ("Registry", READS, "TENANT#*"), ("Audit", AUDIT, "TENANT#*"), ("Idempotency", CLAIMS, "weekly#*"),
        ("SesIdentity:cloudoptim.example", frozenset({"ses:SendEmail"}), None),
    },
    "NotifyEventFunction": {
        ("Registry", READS, "TENANT#*"), ("Audit", AUDIT, "TENANT#*"), ("Idempotency", CLAIMS, "alert#*"),
        (WEBHOOKS, frozenset({"secretsmanager:GetSecretValue"}), None),
        # the failure destination of its asynchronous invocations (CDK's SqsDestination grant)
        ("NotificationDLQ", frozenset({"sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"}), None),
    },
}  # fmt: skip


def test_each_notification_function_gets_exactly_what_it_calls(saas: SynthesizedSaas) -> None:
    for function, expected in EXPECTED.items():
        plumbing, found = grants(saas, function)
        assert plumbing == XRAY | {"logs:CreateLogStream", "logs:PutLogEvents"}, function
        assert found == expected, function


def test_the_weekly_summary_goes_out_on_monday_mornings(saas: SynthesizedSaas) -> None:
    rule = saas.properties("WeeklySummarySchedule")
    assert rule["ScheduleExpression"] == "cron(0 8 ? * MON *)"
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["WeeklySummaryFunction", "Arn"]}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 2
    env = saas.properties("WeeklySummaryFunction")["Environment"]["Variables"]
    assert env["NOTIFY_SENDER"] == "notifications@cloudoptim.example" and env["IDEMPOTENCY_TABLE"] == {
        "Ref": "Idempotency"
    }
    assert int(env["CLAIM_IN_PROGRESS_SECONDS"]) > saas.properties("WeeklySummaryFunction")["Timeout"]


def test_alert_rules_match_only_failed_executions_and_our_own_events(saas: SynthesizedSaas) -> None:
    failed = saas.properties("ExecutionFailedRule")
    pattern = failed["EventPattern"]
    assert pattern["source"] == ["aws.states"] and "EventBusName" not in failed  # the default bus
    assert pattern["detail"]["status"] == ["FAILED", "TIMED_OUT", "ABORTED"]
    assert pattern["detail"]["stateMachineArn"] == [{"Ref": "Execute"}]
    ours = saas.properties("AlertEventsRule")["EventPattern"]
    assert ours == {"source": ["cloudoptim.api", "cloudoptim.interruptions"],
                    "detail-type": [POOL_ESCALATED, SAFE_MODE_SWITCHED]}  # fmt: skip
    for rule in ("ExecutionFailedRule", "AlertEventsRule"):
        (target,) = saas.properties(rule)["Targets"]
        assert target["Arn"] == {"Fn::GetAtt": ["NotifyEventFunction", "Arn"]}
        assert target["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": ["NotificationDLQ", "Arn"]}
    env = saas.properties("NotifyEventFunction")["Environment"]["Variables"]
    assert "NOTIFY_ALLOW_LOOPBACK" not in env  # only local mode posts to 127.0.0.1
    assert int(env["CLAIM_IN_PROGRESS_SECONDS"]) > saas.properties("NotifyEventFunction")["Timeout"]


def test_failed_invocations_are_retried_twice_then_dead_lettered(saas: SynthesizedSaas) -> None:
    [config] = saas.resources("AWS::Lambda::EventInvokeConfig").values()
    props = config["Properties"]
    assert props["FunctionName"] == {"Ref": "NotifyEventFunction"} and props["MaximumRetryAttempts"] == 2
    assert props["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": ["NotificationDLQ", "Arn"]}
    dlq = saas.properties("NotificationDLQ")
    assert dlq["SqsManagedSseEnabled"] is True and dlq["MessageRetentionPeriod"] == 14 * 86400
    alarms = [a["Properties"] for a in saas.resources("AWS::CloudWatch::Alarm").values()]
    assert any("NotificationDLQ" in str(a.get("Dimensions")) for a in alarms)


def test_the_notification_functions_carry_the_core_layer_only(saas: SynthesizedSaas) -> None:
    for name, logical_id in (("weekly_summary", "WeeklySummaryFunction"), ("notify_event", "NotifyEventFunction")):
        assert FUNCTION_LAYERS[name] == ("core",)
        assert [layer["Ref"] for layer in saas.properties(logical_id)["Layers"]] == [
            "CloudOptimDepsCore",
            "CloudOptimRuntime",
        ]
