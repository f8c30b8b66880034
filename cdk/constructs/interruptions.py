"""Interruption handling: `ingest` (SQS -> dedupe -> hive mind -> start) and the `DrainAndReplace` workflow.

Deadline arithmetic (a Spot warning leaves 120 s): ingest times out after INGEST_TIMEOUT_SECONDS; a claim it holds
counts as in progress for CLAIM_IN_PROGRESS_SECONDS (longer than the timeout, so a live invocation keeps it); the
queue hides a failed message for QUEUE_VISIBILITY_SECONDS (longer than the claim, so the retry finds it free). A
message whose invocation crashed is retried at +30 s and, if that crashes too, at +60 s, each retry done by +75 s;
transient errors shorten the wait to a few seconds (ChangeMessageVisibility). tests/infrastructure asserts it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from cdk.constructs import grants
from cdk.constructs._cfn import acknowledge, name_logical_id
from cdk.constructs.events import MAX_RECEIVE_COUNT, InterruptionEvents
from cdk.constructs.functions import ContractFunction
from cdk.constructs.layers import Layers
from cdk.constructs.storage import Storage
from cdk.manifest import FUNCTION_LAYERS
from cloudoptim.onboarding import SAAS_ASSUMER_PATH
from cloudoptim.tenancy.actions import PURPOSE_FUNCTIONS

SPOT_WARNING_SECONDS = 120
INGEST_TIMEOUT_SECONDS = 15
CLAIM_IN_PROGRESS_SECONDS = INGEST_TIMEOUT_SECONDS + 5
QUEUE_VISIBILITY_SECONDS = 30
QUEUE_VISIBILITY_TIMEOUT = Duration.seconds(QUEUE_VISIBILITY_SECONDS)
# Ingest always has this many concurrent executions, whatever other functions of the account do, and never more:
# the event source mapping's maximum concurrency matches it, so the poller never runs into throttles.
INGEST_RESERVED_CONCURRENCY = 20
# One notice per invocation: a crash or timeout fails its whole batch and costs every message in it a receive (three,
# then the DLQ), so in ten-message batches two neighbours' crashes could push a healthy notice to the DLQ. Notices
# are rare and ingest takes tens of milliseconds: 20 concurrent single-message invocations keep up with a burst.
INGEST_BATCH_SIZE = 1

# Step function name -> (definition substitution, timeout seconds, memory MB). Timeouts are short because the
# steps run inside a two-minute warning; a timed-out step is retried by the state machine.
DRAIN_STEPS: Mapping[str, tuple[str, int, int]] = {
    "choose_replacement": ("ChooseReplacementFunctionArn", 20, 1024),
    "launch_replacement": ("LaunchReplacementFunctionArn", 20, 256),
    "node_status": ("NodeStatusFunctionArn", 15, 256),
    "terminate_replacement": ("TerminateReplacementFunctionArn", 15, 256),
    "cordon_node": ("CordonNodeFunctionArn", 15, 256),
    "evict_pods": ("EvictPodsFunctionArn", 30, 256),
    "record_outcome": ("RecordOutcomeFunctionArn", 10, 256),
}
# Functions that act in the customer's account or cluster assume the tenant role, each for one purpose
# (cloudoptim.tenancy.actions): ingest locates unknown instances, launch/terminate run EC2, the Kubernetes steps
# sign EKS tokens with it.
ASSUMES_CUSTOMER_ROLE = tuple(sorted({f for functions in PURPOSE_FUNCTIONS.values() for f in functions}))
# Clusters registered with `{"kind": "secret"}` credentials keep a service-account token in Secrets Manager.
READS_CLUSTER_TOKENS = PURPOSE_FUNCTIONS["cluster"]


class AslSubstitutionError(ValueError):
    """The ASL names a `${...}` placeholder the stack does not provide."""


class Interruptions(Construct):
    """The eight functions, their least-privilege grants and the state machine routing the seven steps."""

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

        def function(
            name: str, timeout: int, memory: int, extra: Mapping[str, str] | None = None, reserved: int | None = None
        ) -> ContractFunction:
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
                role_path=SAAS_ASSUMER_PATH if name in ASSUMES_CUSTOMER_ROLE else None,
                reserved_concurrency=reserved,
            )

        record_env = {"IDEMPOTENCY_TABLE": storage.idempotency.table_name}
        self.steps = {
            name: function(name, timeout, memory, record_env if name == "record_outcome" else None)
            for name, (_, timeout, memory) in DRAIN_STEPS.items()
        }
        self.state_machine = _drain_and_replace(self, asl, self.steps, log_retention)

        self.ingest = function(
            "ingest",
            INGEST_TIMEOUT_SECONDS,
            256,
            {
                "STATE_MACHINE_ARN": self.state_machine.state_machine_arn,
                "QUEUE_URL": events.queue.queue_url,
                "CLAIM_IN_PROGRESS_SECONDS": str(CLAIM_IN_PROGRESS_SECONDS),
                **ingest_environment,
            },
            reserved=INGEST_RESERVED_CONCURRENCY,
        )
        self._grant(storage)
        self.ingest.function.add_event_source(
            sources.SqsEventSource(
                events.queue,
                batch_size=INGEST_BATCH_SIZE,
                report_batch_item_failures=True,
                max_concurrency=INGEST_RESERVED_CONCURRENCY,
            )
        )

    @property
    def functions(self) -> dict[str, ContractFunction]:
        return {"ingest": self.ingest, **self.steps}

    def _grant(self, storage: Storage) -> None:
        """Exactly the reads and writes of the platform contract's Lambda table."""
        steps, ingest = self.steps, self.ingest
        grants.table_actions(ingest, storage.registry, grants.REGISTRY_READ, ["INSTANCE#", "TENANT#", "ACCOUNT#"])
        # a node of a registered cluster not yet discovered is registered at its first notice (INSTANCE# only)
        grants.table_actions(ingest, storage.registry, ["dynamodb:PutItem"], ["INSTANCE#"])
        grants.table_actions(ingest, storage.hive_mind, [*grants.KEYED_READ, "dynamodb:PutItem"])
        claims = [*grants.KEYED_READ, "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
        grants.table_actions(ingest, storage.idempotency, claims)
        self.state_machine.grant_start_execution(ingest.function)
        for name in ("choose_replacement", "launch_replacement", "node_status", "terminate_replacement",
                     "cordon_node", "evict_pods"):  # fmt: skip
            grants.table_actions(steps[name], storage.registry, grants.REGISTRY_READ, ["TENANT#"])
        grants.table_actions(
            steps["choose_replacement"], storage.hive_mind, ["dynamodb:DescribeTable", "dynamodb:Query"], indexes=True
        )
        # the replacement's INSTANCE# item, so its own notices resolve (no update or delete, no other item kind)
        grants.table_actions(steps["launch_replacement"], storage.registry, ["dynamodb:PutItem"], ["INSTANCE#"])
        # append-only: PutItem (in a transaction) and reads; no UpdateItem, DeleteItem or BatchWriteItem
        audit = ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:Query"]
        grants.table_actions(steps["record_outcome"], storage.audit, audit, ["TENANT#"])
        guards = ["dynamodb:DescribeTable", "dynamodb:DeleteItem"]  # give back an instance's guard claims
        grants.table_actions(steps["record_outcome"], storage.idempotency, guards, ["INSTANCE#"])
        for name, fn in self.functions.items():
            if name in ASSUMES_CUSTOMER_ROLE:
                grants.assume_tenant_roles(fn)
            if name in READS_CLUSTER_TOKENS:
                grants.read_cluster_tokens(fn)


def _drain_and_replace(
    scope: Construct, asl: Path, steps: Mapping[str, ContractFunction], log_retention: logs.RetentionDays
) -> sfn.StateMachine:
    definition = asl.read_text()
    substitutions = {DRAIN_STEPS[name][0]: step.function.function_arn for name, step in steps.items()}
    unknown = sorted(set(re.findall(r"\$\{(\w+)\}", definition)) - set(substitutions))
    if unknown:
        raise AslSubstitutionError(f"{asl.name} uses placeholders the stack does not provide: {', '.join(unknown)}")
    log_group = logs.LogGroup(scope, "DrainAndReplaceLogs", retention=log_retention)
    # No `timeout=` here: CDK drops it for a definition given as a string. The ASL carries TimeoutSeconds.
    machine = sfn.StateMachine(
        scope,
        "DrainAndReplace",
        definition_body=sfn.DefinitionBody.from_string(definition),
        definition_substitutions=substitutions,
        state_machine_type=sfn.StateMachineType.STANDARD,
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


__all__ = ["MAX_RECEIVE_COUNT", "QUEUE_VISIBILITY_TIMEOUT", "Interruptions"]
