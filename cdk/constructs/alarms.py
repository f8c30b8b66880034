"""Alarms an operator acts on: a dead-letter queue holding anything, any function erring or throttled, any
DrainAndReplace execution failing or timing out. All notify one SNS topic (`cloudoptim-alarms`) to subscribe a
pager, chat or email to.

The topic is encrypted with a customer-managed key: CloudWatch can publish to an encrypted topic only when the
key's policy lets it, which the AWS managed SNS key's policy does not.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from cdk.constructs._cfn import name_logical_id

PERIOD = Duration.minutes(1)
ALARM_TOPIC_NAME = "cloudoptim-alarms"


class Alarms(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        dead_letter_queues: Mapping[str, sqs.IQueue],
        functions: Mapping[str, lambda_.IFunction],
        state_machine: sfn.StateMachine,
    ) -> None:
        super().__init__(scope, construct_id)
        key = kms.Key(self, "AlarmTopicKey", enable_key_rotation=True, description="CloudOptim alarm topic")
        key.add_to_resource_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                resources=["*"],  # in a key policy, "*" is this key
            )
        )
        self.topic = sns.Topic(self, "AlarmTopic", topic_name=ALARM_TOPIC_NAME, master_key=key, enforce_ssl=True)
        name_logical_id(self.topic, "AlarmTopic")
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        for name, queue in dead_letter_queues.items():
            depth = queue.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum")
            self._alarm(f"{name}Depth", depth, f"{name} holds messages: see the redrive steps in the platform contract")
        for name, function in functions.items():
            self._alarm(f"{name}Errors", function.metric_errors(period=PERIOD), f"{name} raised errors")
            self._alarm(f"{name}Throttles", function.metric_throttles(period=PERIOD), f"{name} was throttled")
        self._alarm("DrainAndReplaceFailed", state_machine.metric_failed(period=PERIOD), "executions failed")
        self._alarm("DrainAndReplaceTimedOut", state_machine.metric_timed_out(period=PERIOD), "executions timed out")

    def _alarm(self, name: str, metric: cloudwatch.IMetric, description: str) -> None:
        alarm = cloudwatch.Alarm(
            self,
            name,
            metric=metric,
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=f"CloudOptim: {description}",
        )
        alarm.add_alarm_action(actions.SnsAction(self.topic))
        self.alarms[name] = alarm
