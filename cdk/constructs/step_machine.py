"""A state machine whose ASL file routes and one step function decides: logged, traced, allowed to invoke only
that function (hibernation, sweeps and executions share this shape)."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from cdk.constructs._cfn import acknowledge, name_logical_id
from cdk.constructs.functions import ContractFunction


def step_machine(
    scope: Construct,
    logical_id: str,
    asl: Path,
    step: ContractFunction,
    substitution: str,
    log_retention: logs.RetentionDays,
    *,
    name: str | None = None,
    timeout: Duration | None = None,
) -> sfn.StateMachine:
    log_group = logs.LogGroup(scope, f"{logical_id}Logs", retention=log_retention)
    machine = sfn.StateMachine(
        scope,
        logical_id,
        state_machine_name=name,
        definition_body=sfn.DefinitionBody.from_string(asl.read_text()),
        definition_substitutions={substitution: step.function.function_arn},
        state_machine_type=sfn.StateMachineType.STANDARD,
        timeout=timeout,
        tracing_enabled=True,
        logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
    )
    name_logical_id(machine, logical_id)
    machine.add_to_role_policy(
        iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[step.function.function_arn])
    )
    acknowledge(
        machine,
        "AwsSolutions-IAM5[Resource::*]",
        "CloudWatch Logs delivery (logs:*LogDelivery, DescribeResourcePolicies) and X-Ray writes support no "
        "resource-level permissions; CDK adds exactly those for logging and tracing.",
    )
    return machine
