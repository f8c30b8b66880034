"""Proactive rebalancing (issue 16): ingest puts "CloudOptim Pool Escalated" on the SaaS bus when a pool reaches
CONFIRMED_RISKY; the rule `pool-escalated` queues it (`EscalationQueue`, DLQ `EscalationDLQ`) for `rebalance_pool`,
which starts replace-then-drain executions of DrainAndReplace for the other customers' nodes in the pool or stores
recommendations. Other consumers (webhook notifications) add their own rule on the same detail-type.

Grants are written out: the registry's `ByPool` index (Query, never Scan), the tenants' documents (policies read,
recommendations put), the pool's records, the instances' guards, StartExecution on DrainAndReplace only.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import cast

from aws_cdk import Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from cdk.constructs import grants
from cdk.constructs._cfn import acknowledge, name_logical_id
from cdk.constructs.events import MAX_RECEIVE_COUNT
from cdk.constructs.functions import ContractFunction
from cdk.constructs.layers import Layers
from cdk.constructs.storage import REGISTRY_POOL_INDEX, Storage
from cdk.manifest import FUNCTION_LAYERS
from cloudoptim.adapters.aws.escalations import DETAIL_TYPE, SOURCE
from cloudoptim.notifications.alerts import INTERRUPTIONS_SOURCE, POOL_ESCALATED
from cloudoptim.onboarding import EVENT_BUS_NAME

RULE_NAME = "pool-escalated"
REBALANCE_TIMEOUT_SECONDS = 60  # a pool's nodes across tenants: a Query, a policy read and a start per node
# Six times the timeout (AWS's advice for SQS sources): a message is never visible again while being handled.
ESCALATION_VISIBILITY = Duration.seconds(6 * REBALANCE_TIMEOUT_SECONDS)
# An escalation is worth acting on while the level holds (60 minutes at most): older messages are dropped.
ESCALATION_RETENTION = Duration.hours(1)
CLAIM_ACTIONS = ("dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
                 "dynamodb:DeleteItem")  # fmt: skip


class Escalations(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        storage: Storage,
        bus: events.IEventBus,
        layers: Layers,
        code: Mapping[str, Path],
        environment: Mapping[str, str],
        drain_and_replace: sfn.IStateMachine,
        ingest: ContractFunction,
        wait_seconds: int,
        log_retention: logs.RetentionDays,
    ) -> None:
        super().__init__(scope, construct_id)
        self.dead_letters = sqs.Queue(
            self, "EscalationDLQ", encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True,
            retention_period=Duration.days(14),
        )  # fmt: skip
        name_logical_id(self.dead_letters, "EscalationDLQ")
        acknowledge(self.dead_letters, "AwsSolutions-SQS3", "This queue is itself the escalations' dead-letter queue.")
        self.queue = sqs.Queue(
            self, "EscalationQueue", encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True,
            visibility_timeout=ESCALATION_VISIBILITY, retention_period=ESCALATION_RETENTION,
            dead_letter_queue=sqs.DeadLetterQueue(queue=self.dead_letters, max_receive_count=MAX_RECEIVE_COUNT),
        )  # fmt: skip
        name_logical_id(self.queue, "EscalationQueue")
        self.rule = events.Rule(
            self,
            "PoolEscalatedRule",
            event_bus=bus,
            rule_name=RULE_NAME,
            description="A Spot pool three customers were interrupted in: rebalance the others proactively",
            event_pattern=events.EventPattern(source=[SOURCE], detail_type=[DETAIL_TYPE]),
            targets=[targets.SqsQueue(self.queue, dead_letter_queue=self.dead_letters, retry_attempts=8)],
        )
        name_logical_id(self.rule, "PoolEscalatedRule")
        # The bus by name rather than `Ref` (the same value): moto's CloudFormation resolves the Ref to an object.
        cast(events.CfnRule, self.rule.node.default_child).add_property_override("EventBusName", EVENT_BUS_NAME)

        self.function = ContractFunction(
            self, "rebalance_pool", name="rebalance_pool", code=code["rebalance_pool"],
            layers=layers.for_function(FUNCTION_LAYERS["rebalance_pool"]),
            environment={**environment, "STATE_MACHINE_ARN": drain_and_replace.state_machine_arn,
                         "IDEMPOTENCY_TABLE": storage.idempotency.table_name, "WAIT_SECONDS": str(wait_seconds)},
            timeout=Duration.seconds(REBALANCE_TIMEOUT_SECONDS), memory_mb=256, log_retention=log_retention,
        )  # fmt: skip
        self.function.function.add_event_source(
            sources.SqsEventSource(self.queue, batch_size=1, report_batch_item_failures=True)
        )
        self._grant(storage, drain_and_replace)
        # ingest hands the pool over: PutEvents on the SaaS bus, for this source and detail-type only
        ingest.function.add_environment("ESCALATION_BUS_NAME", EVENT_BUS_NAME)
        ingest.role.add_to_policy(
            iam.PolicyStatement(
                actions=["events:PutEvents"],
                resources=[bus.event_bus_arn],
                conditions={"StringEquals": {"events:source": SOURCE, "events:detail-type": DETAIL_TYPE}},
            )
        )

    def _grant(self, storage: Storage, drain_and_replace: sfn.IStateMachine) -> None:
        fn = self.function
        index = f"{storage.registry.table_arn}/index/{REGISTRY_POOL_INDEX}"
        fn.role.add_to_policy(iam.PolicyStatement(actions=["dynamodb:Query"], resources=[index]))
        # policies read, recommendations put (a conditional PutItem: one per key), both tenant documents
        documents = [*grants.KEYED_READ, "dynamodb:PutItem"]
        grants.table_actions(fn, storage.registry, documents, ["TENANT#"])
        grants.table_actions(fn, storage.hive_mind, ["dynamodb:DescribeTable", "dynamodb:Query"])
        grants.table_actions(fn, storage.idempotency, CLAIM_ACTIONS, ["INSTANCE#"])
        drain_and_replace.grant_start_execution(fn.role)
        # each tenant with nodes in the pool is told: PutEvents on the default bus (notifications' rule), this
        # source and detail-type only
        default_bus = Stack.of(self).format_arn(service="events", resource="event-bus", resource_name="default")
        fn.role.add_to_policy(
            iam.PolicyStatement(
                actions=["events:PutEvents"],
                resources=[default_bus],
                conditions={
                    "StringEquals": {"events:source": INTERRUPTIONS_SOURCE, "events:detail-type": POOL_ESCALATED}
                },
            )
        )
