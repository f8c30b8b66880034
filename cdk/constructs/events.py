"""Customer events in: the bus `cloudoptim-events`, rule `interruption-events` -> `InterruptionQueue` (+ DLQ).

Two dead-letter queues: `InterruptionDLQ` for messages ingest failed on three times, `EventDeliveryDLQ` for events
EventBridge could not deliver to the queue within EVENT_MAX_AGE (a Spot warning is worthless after two minutes).
Redrive: docs/platform-contract.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from cdk.constructs._cfn import acknowledge, name_logical_id
from cloudoptim.onboarding import EVENT_BUS_NAME, INTERRUPTION_EVENT_PATTERNS, bus_conditions

RULE_NAME = "interruption-events"
MAX_RECEIVE_COUNT = 3
EVENT_MAX_AGE = Duration.seconds(120)
EVENT_RETRY_ATTEMPTS = 8


class InterruptionEvents(Construct):
    """The bus customers forward to, and the queue the ingest Lambda drains.

    Customer accounts known at deploy time get PutEvents in the bus policy, for the four notices only (source and
    detail-type conditions); later tenants are added the same way by registration (cloudoptim.tenancy.registration,
    events:PutPermission) without a redeploy.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, customer_accounts: Sequence[str], visibility_timeout: Duration
    ) -> None:
        super().__init__(scope, construct_id)
        self.bus = events.EventBus(self, "Bus", event_bus_name=EVENT_BUS_NAME)
        name_logical_id(self.bus, "EventBus")
        for account in customer_accounts:
            self.bus.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=f"account-{account}",
                    actions=["events:PutEvents"],
                    principals=[iam.AccountPrincipal(account)],
                    resources=[self.bus.event_bus_arn],
                    conditions=bus_conditions(),
                )
            )
        self.dead_letters = sqs.Queue(
            self,
            "InterruptionDLQ",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        name_logical_id(self.dead_letters, "InterruptionDLQ")
        self.queue = sqs.Queue(
            self,
            "InterruptionQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            visibility_timeout=visibility_timeout,
            # A Spot warning gives two minutes; a message older than an hour has nothing left to save.
            retention_period=Duration.hours(1),
            dead_letter_queue=sqs.DeadLetterQueue(queue=self.dead_letters, max_receive_count=MAX_RECEIVE_COUNT),
        )
        name_logical_id(self.queue, "InterruptionQueue")
        self.delivery_dead_letters = sqs.Queue(
            self,
            "EventDeliveryDLQ",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        name_logical_id(self.delivery_dead_letters, "EventDeliveryDLQ")
        acknowledge(
            self.delivery_dead_letters,
            "AwsSolutions-SQS3",
            "This queue is itself a dead-letter queue: the rule's target DLQ for events EventBridge could not deliver.",
        )
        target = targets.SqsQueue(
            self.queue,
            dead_letter_queue=self.delivery_dead_letters,
            max_event_age=EVENT_MAX_AGE,
            retry_attempts=EVENT_RETRY_ATTEMPTS,
        )
        self.rule = events.Rule(
            self,
            "InterruptionEventsRule",
            event_bus=self.bus,
            rule_name=RULE_NAME,
            description="Spot warnings, rebalance recommendations, state changes and EC2 scheduled changes",
            # Placeholder replaced below: the typed EventPattern cannot express `$or`.
            event_pattern=events.EventPattern(source=["aws.ec2"]),
            targets=[target],
        )
        name_logical_id(self.rule, "InterruptionEventsRule")
        cfn_rule = cast(events.CfnRule, self.rule.node.default_child)
        cfn_rule.add_property_override("EventPattern", {"$or": [dict(p) for p in INTERRUPTION_EVENT_PATTERNS]})
        cfn_rule.add_property_deletion_override("EventPattern.source")  # overrides merge: drop the placeholder
        # The bus by name rather than `Ref` (the same value): moto's CloudFormation resolves the Ref to an object.
        cfn_rule.add_property_override("EventBusName", EVENT_BUS_NAME)
        cfn_rule.add_resource_dependency(cast(events.CfnEventBus, self.bus.node.default_child))
