"""Interruption handling: `ingest` (SQS -> dedupe -> hive mind -> start) and the `DrainAndReplace` workflow."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from cdk.constructs._cfn import acknowledge, name_logical_id
from cdk.constructs.events import InterruptionEvents
from cdk.constructs.functions import ContractFunction
from cdk.constructs.layers import Layers
from cdk.constructs.storage import Storage
from cdk.manifest import FUNCTION_LAYERS

INGEST_TIMEOUT_SECONDS = 30
# AWS's advice for SQS event sources: visibility timeout at least six times the function timeout.
QUEUE_VISIBILITY_TIMEOUT = Duration.seconds(6 * INGEST_TIMEOUT_SECONDS)
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
# Functions that act in the customer's account or cluster assume the tenant role: ingest looks up instances
# the registry does not know (DescribeInstances), the Kubernetes steps sign EKS tokens with it.
ASSUMES_CUSTOMER_ROLE = ("ingest", "launch_replacement", "node_status", "cordon_node", "evict_pods")
# Clusters registered with `{"kind": "secret"}` credentials keep a service-account token in Secrets Manager.
READS_CLUSTER_TOKENS = ("node_status", "cordon_node", "evict_pods")
CLUSTER_TOKEN_SECRETS = "cloudoptim/*"


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
        layers: Layers,
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
                layers=layers.for_function(FUNCTION_LAYERS[name]),
                environment={**environment, **(extra or {})},
                timeout=Duration.seconds(timeout),
                memory_mb=memory,
                log_retention=log_retention,
            )

        self.steps = {name: function(name, timeout, memory) for name, (_, timeout, memory) in DRAIN_STEPS.items()}
        self.state_machine = _drain_and_replace(self, asl, self.steps, log_retention)

        self.ingest = function(
            "ingest",
            INGEST_TIMEOUT_SECONDS,
            256,
            {"STATE_MACHINE_ARN": self.state_machine.state_machine_arn, **ingest_environment},
        )
        self._grant(storage)
        self.ingest.function.add_event_source(
            sources.SqsEventSource(events.queue, batch_size=10, report_batch_item_failures=True)
        )

    @property
    def functions(self) -> dict[str, ContractFunction]:
        return {"ingest": self.ingest, **self.steps}

    def _grant(self, storage: Storage) -> None:
        """Exactly the reads and writes of the platform contract's Lambda table."""
        steps = {name: step.function for name, step in self.steps.items()}
        storage.registry.grant_read_data(self.ingest.function)
        # The contract says "write"; ingest also queries the pool's live flags to escalate (spec S6).
        storage.hive_mind.grant_read_write_data(self.ingest.function)
        storage.idempotency.grant_read_write_data(self.ingest.function)
        self.state_machine.grant_start_execution(self.ingest.function)
        for name in ("choose_replacement", "launch_replacement", "node_status", "cordon_node", "evict_pods"):
            storage.registry.grant_read_data(steps[name])
        storage.hive_mind.grant_read_data(steps["choose_replacement"])
        # the replacement's INSTANCE# item, so its own notices resolve (no update or delete)
        storage.registry.grant(steps["launch_replacement"], "dynamodb:PutItem")
        storage.audit.grant_write_data(steps["record_outcome"])
        for name, fn in self.functions.items():
            if name in ASSUMES_CUSTOMER_ROLE:
                _assume_customer_role(fn)
            if name in READS_CLUSTER_TOKENS:
                _read_cluster_tokens(fn)


def _assume_customer_role(fn: ContractFunction) -> None:
    fn.role.add_to_policy(iam.PolicyStatement(actions=["sts:AssumeRole"], resources=[CUSTOMER_ROLE_PATTERN]))
    acknowledge(
        fn.role,
        f"AwsSolutions-IAM5[Resource::{CUSTOMER_ROLE_PATTERN}]",
        "Tenant accounts register at runtime; only roles named CloudOptimAccess-<tenant> can be assumed, "
        "and each one's trust policy demands the tenant's ExternalId.",
    )


def _read_cluster_tokens(fn: ContractFunction) -> None:
    stack = Stack.of(fn)
    secrets = stack.format_arn(
        service="secretsmanager",
        resource="secret",
        resource_name=CLUSTER_TOKEN_SECRETS,
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )
    fn.role.add_to_policy(iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=[secrets]))
    acknowledge(
        fn.role,
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:"
        f"{CLUSTER_TOKEN_SECRETS}]",
        "Cluster tokens are stored per tenant and cluster at registration (cloudoptim/<tenant>/<cluster>/token); "
        "the prefix limits reads to CloudOptim's own secrets in this account.",
    )


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
