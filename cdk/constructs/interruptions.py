"""Interruption handling: `ingest` (SQS -> dedupe -> hive mind -> start) and the `DrainAndReplace` workflow."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from cdk.constructs._cfn import acknowledge, name_logical_id
from cdk.constructs.events import InterruptionEvents
from cdk.constructs.functions import ContractFunction
from cdk.constructs.storage import Storage

INGEST_TIMEOUT = Duration.seconds(30)
# AWS's advice for SQS event sources: visibility timeout at least six times the function timeout.
QUEUE_VISIBILITY_TIMEOUT = Duration.seconds(6 * 30)
CUSTOMER_ROLE_PATTERN = "arn:aws:iam::*:role/CloudOptimAccess-*"

# Step function name -> (definition substitution, timeout seconds, memory MB).
DRAIN_STEPS: Mapping[str, tuple[str, int, int]] = {
    "choose_replacement": ("ChooseReplacementFunctionArn", 60, 1024),
    "launch_replacement": ("LaunchReplacementFunctionArn", 30, 256),
    "node_status": ("NodeStatusFunctionArn", 30, 256),
    "cordon_node": ("CordonNodeFunctionArn", 30, 256),
    "evict_pods": ("EvictPodsFunctionArn", 60, 256),
    "record_outcome": ("RecordOutcomeFunctionArn", 15, 256),
}
# Functions that act in the customer's account or cluster assume the tenant role (EKS tokens come from it).
ASSUMES_CUSTOMER_ROLE = ("launch_replacement", "node_status", "cordon_node", "evict_pods")


class AslSubstitutionError(ValueError):
    """The ASL names a `${...}` placeholder the stack does not provide."""


class Interruptions(Construct):
    """The seven functions, their least-privilege grants and the state machine routing the six steps."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        storage: Storage,
        events: InterruptionEvents,
        layers: Sequence[lambda_.ILayerVersion],
        code: Mapping[str, Path],
        asl: Path,
        environment: Mapping[str, str],
        ingest_environment: Mapping[str, str],
        log_retention: logs.RetentionDays,
    ) -> None:
        super().__init__(scope, construct_id)

        def function(name: str, timeout: int, memory: int, extra: Mapping[str, str] | None = None) -> ContractFunction:
            return ContractFunction(
                self,
                name,
                name=name,
                code=code[name],
                layers=layers,
                environment={**environment, **(extra or {})},
                timeout=Duration.seconds(timeout),
                memory_mb=memory,
                log_retention=log_retention,
            )

        self.steps = {name: function(name, timeout, memory) for name, (_, timeout, memory) in DRAIN_STEPS.items()}
        self._grant_steps(storage)
        self.state_machine = _drain_and_replace(self, asl, self.steps, log_retention)

        self.ingest = function(
            "ingest",
            int(INGEST_TIMEOUT.to_seconds()),
            256,
            {"STATE_MACHINE_ARN": self.state_machine.state_machine_arn, **ingest_environment},
        )
        storage.registry.grant_read_data(self.ingest.function)
        storage.hive_mind.grant_write_data(self.ingest.function)
        storage.idempotency.grant_read_write_data(self.ingest.function)
        self.state_machine.grant_start_execution(self.ingest.function)
        self.ingest.function.add_event_source(
            sources.SqsEventSource(events.queue, batch_size=10, report_batch_item_failures=True)
        )

    @property
    def functions(self) -> dict[str, ContractFunction]:
        return {"ingest": self.ingest, **self.steps}

    def _grant_steps(self, storage: Storage) -> None:
        for name, step in self.steps.items():
            if name != "record_outcome":
                storage.registry.grant_read_data(step.function)
            if name in ASSUMES_CUSTOMER_ROLE:
                step.role.add_to_policy(
                    iam.PolicyStatement(actions=["sts:AssumeRole"], resources=[CUSTOMER_ROLE_PATTERN])
                )
                acknowledge(
                    step.role,
                    f"AwsSolutions-IAM5[Resource::{CUSTOMER_ROLE_PATTERN}]",
                    "Tenant accounts register at runtime; only roles named CloudOptimAccess-<tenant> can be assumed, "
                    "and each one's trust policy demands the tenant's ExternalId.",
                )
        storage.hive_mind.grant_read_data(self.steps["choose_replacement"].function)
        storage.audit.grant_write_data(self.steps["record_outcome"].function)


def _drain_and_replace(
    scope: Construct, asl: Path, steps: Mapping[str, ContractFunction], log_retention: logs.RetentionDays
) -> sfn.StateMachine:
    definition = asl.read_text()
    substitutions = {DRAIN_STEPS[name][0]: step.function.function_arn for name, step in steps.items()}
    unknown = sorted(set(re.findall(r"\$\{(\w+)\}", definition)) - set(substitutions))
    if unknown:
        raise AslSubstitutionError(f"{asl.name} uses placeholders the stack does not provide: {', '.join(unknown)}")
    log_group = logs.LogGroup(scope, "DrainAndReplaceLogs", retention=log_retention)
    machine = sfn.StateMachine(
        scope,
        "DrainAndReplace",
        definition_body=sfn.DefinitionBody.from_string(definition),
        definition_substitutions=substitutions,
        state_machine_type=sfn.StateMachineType.STANDARD,
        timeout=Duration.hours(1),
        tracing_enabled=True,
        logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
    )
    name_logical_id(machine, "DrainAndReplace")
    machine.add_to_role_policy(
        iam.PolicyStatement(
            actions=["lambda:InvokeFunction"], resources=[step.function.function_arn for step in steps.values()]
        )
    )
    acknowledge(
        machine,
        "AwsSolutions-IAM5[Resource::*]",
        "CloudWatch Logs delivery (logs:*LogDelivery, DescribeResourcePolicies) and X-Ray writes support no "
        "resource-level permissions; CDK adds exactly those for logging and tracing.",
    )
    return machine
