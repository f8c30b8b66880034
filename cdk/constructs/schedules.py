"""A scheduled job: an EventBridge rule invoking one function on a fixed rate, retried twice, with a stable id."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from constructs import Construct

from cdk.constructs._cfn import name_logical_id
from cdk.constructs.functions import ContractFunction


def every(scope: Construct, name: str, function: ContractFunction, rate: Duration) -> events.Rule:
    return at(scope, name, function, events.Schedule.rate(rate))


def at(scope: Construct, name: str, function: ContractFunction, schedule: events.Schedule) -> events.Rule:
    """The same on any schedule (a cron: the weekly summary goes out on Monday morning)."""
    rule = events.Rule(scope, name, schedule=schedule, description=f"CloudOptim {name}")
    rule.add_target(targets.LambdaFunction(function.function, retry_attempts=2, max_event_age=Duration.hours(1)))
    name_logical_id(rule, name)
    return rule
