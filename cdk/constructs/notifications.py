"""Notifications (issue 14 part 7): `weekly_summary` on Mondays at 08:00 UTC (SES), and `notify_event` for the
high-priority events on the account's default bus (Step Functions' status changes of the Execute state machine
and CloudOptim's own "Pool Escalated" and "Safe Mode Switched"), posting to each tenant's webhook.

Nothing is lost: an event EventBridge cannot hand to the function goes to the rule's dead-letter queue, and an
invocation that fails (webhook down, malformed event) is retried twice by Lambda, then sent to the same queue.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from aws_cdk import Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from cdk.constructs import grants
from cdk.constructs._cfn import acknowledge, name_logical_id
from cdk.constructs.functions import ContractFunction
from cdk.constructs.hibernation import AUDIT_ACTIONS
from cdk.constructs.layers import Layers
from cdk.constructs.schedules import at
from cdk.constructs.storage import Storage
from cdk.manifest import FUNCTION_LAYERS
from cloudoptim.notifications.alerts import (
    API_SOURCE,
    EXECUTION_STATUS,
    FAILED_STATUSES,
    INTERRUPTIONS_SOURCE,
    POOL_ESCALATED,
    SAFE_MODE_SWITCHED,
)

WEBHOOK_SECRETS = "cloudoptim/*/webhook-??????"  # Secrets Manager appends 6 random characters
CLAIM_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")
# Longer than each function's timeout: a live invocation keeps its claim, a crashed one's retry takes it over.
WEEKLY_TIMEOUT, ALERT_TIMEOUT = Duration.minutes(10), Duration.seconds(30)
WEEKLY_CLAIM_SECONDS, ALERT_CLAIM_SECONDS = 660, 45


class Notifications(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        storage: Storage,
        layers: Layers,
        code: Mapping[str, Path],
        environment: Mapping[str, str],
        log_retention: logs.RetentionDays,
        execute_state_machine_arn: str,
        sender: str,
        allow_loopback: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        shared = {**environment, "IDEMPOTENCY_TABLE": storage.idempotency.table_name}

        def function(name: str, timeout: Duration, env: Mapping[str, str]) -> ContractFunction:
            return ContractFunction(
                self, name, name=name, code=code[name], layers=layers.for_function(FUNCTION_LAYERS[name]),
                environment={**shared, **env}, timeout=timeout, memory_mb=512, log_retention=log_retention,
            )  # fmt: skip

        weekly_env = {"NOTIFY_SENDER": sender, "CLAIM_IN_PROGRESS_SECONDS": str(WEEKLY_CLAIM_SECONDS)}
        self.weekly = function("weekly_summary", WEEKLY_TIMEOUT, weekly_env)
        self.alerts = function(
            "notify_event", ALERT_TIMEOUT,
            {"CLAIM_IN_PROGRESS_SECONDS": str(ALERT_CLAIM_SECONDS),
             **({"NOTIFY_ALLOW_LOOPBACK": "true"} if allow_loopback else {})},
        )  # fmt: skip
        self.dead_letters = sqs.Queue(
            self, "NotificationDLQ", encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True,
            retention_period=Duration.days(14),
        )  # fmt: skip
        name_logical_id(self.dead_letters, "NotificationDLQ")
        acknowledge(self.dead_letters, "AwsSolutions-SQS3", "This queue is itself the alerts' dead-letter queue.")
        self.alerts.function.configure_async_invoke(
            retry_attempts=2, max_event_age=Duration.hours(6), on_failure=destinations.SqsDestination(self.dead_letters)
        )
        self._rules(execute_state_machine_arn)
        self._grants(storage, sender)
        at(self, "WeeklySummarySchedule", self.weekly, events.Schedule.cron(week_day="MON", hour="8", minute="0"))

    def _rules(self, execute_state_machine_arn: str) -> None:
        target = targets.LambdaFunction(
            self.alerts.function, dead_letter_queue=self.dead_letters, retry_attempts=8, max_event_age=Duration.hours(2)
        )
        failed = events.Rule(
            self, "ExecutionFailedRule", description="CloudOptim: an Execute workflow failed",
            event_pattern=events.EventPattern(
                source=["aws.states"], detail_type=[EXECUTION_STATUS],
                detail={"stateMachineArn": [execute_state_machine_arn], "status": list(FAILED_STATUSES)},
            ),
            targets=[target],
        )  # fmt: skip
        name_logical_id(failed, "ExecutionFailedRule")
        ours = events.Rule(
            self, "AlertEventsRule", description="CloudOptim: a pool escalated, safe mode switched",
            event_pattern=events.EventPattern(
                source=[API_SOURCE, INTERRUPTIONS_SOURCE], detail_type=[POOL_ESCALATED, SAFE_MODE_SWITCHED]
            ),
            targets=[target],
        )  # fmt: skip
        name_logical_id(ours, "AlertEventsRule")

    def _grants(self, storage: Storage, sender: str) -> None:
        for fn, claims in ((self.weekly, "weekly#"), (self.alerts, "alert#")):
            # Settings, tenants (the index) and what the summary reads: keyed reads only, no Scan.
            grants.table_actions(fn, storage.registry, ("dynamodb:GetItem", "dynamodb:Query"), ["TENANT#"])
            grants.table_actions(fn, storage.audit, AUDIT_ACTIONS, ["TENANT#"])
            grants.table_actions(fn, storage.idempotency, CLAIM_ACTIONS, [claims])
        identity = Stack.of(self).format_arn(service="ses", resource="identity", resource_name=sender.split("@")[-1])
        self.weekly.role.add_to_policy(iam.PolicyStatement(actions=["ses:SendEmail"], resources=[identity]))
        grants.read_secrets(
            self.alerts, WEBHOOK_SECRETS, "Webhook URLs are stored per tenant (cloudoptim/<tenant>/webhook); the "
            "pattern limits reads to those secrets.",
        )  # fmt: skip


def grant_api(api: ContractFunction) -> None:
    """The API stores webhook URLs and announces safe-mode switches on the default bus, as cloudoptim.api only."""
    grants.write_secrets(
        api, WEBHOOK_SECRETS,
        ["secretsmanager:CreateSecret", "secretsmanager:PutSecretValue", "secretsmanager:DeleteSecret",
         "secretsmanager:TagResource"],
    )  # fmt: skip
    acknowledge(
        api.role,
        f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:{WEBHOOK_SECRETS}]",
        "Webhook URLs are stored per tenant at PUT /v1/notifications (cloudoptim/<tenant>/webhook); the pattern "
        "limits writes to those secrets.",
    )
    bus = Stack.of(api).format_arn(service="events", resource="event-bus", resource_name="default")
    api.role.add_to_policy(
        iam.PolicyStatement(
            actions=["events:PutEvents"], resources=[bus], conditions={"StringEquals": {"events:source": API_SOURCE}}
        )
    )
