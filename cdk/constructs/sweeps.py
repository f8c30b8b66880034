"""The optimize sweep (flow 3): the `Sweep` state machine (statemachines/sweep.asl.json) over `sweep_step`, a
schedule sampling every cluster's usage every 15 minutes and one starting every cluster's sweep daily."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk.constructs import grants
from cdk.constructs._cfn import acknowledge, name_logical_id
from cdk.constructs.functions import ContractFunction
from cdk.constructs.hibernation import AUDIT_ACTIONS, DOCUMENT_ACTIONS
from cdk.constructs.layers import Layers
from cdk.constructs.step_machine import step_machine
from cdk.constructs.storage import Storage
from cdk.manifest import FUNCTION_LAYERS
from cloudoptim.tenancy.customer_role import SAAS_ASSUMER_PATH


class Sweeps(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        storage: Storage,
        layers: Layers,
        code: Mapping[str, Path],
        environment: Mapping[str, str],
        asl: Path,
        log_retention: logs.RetentionDays,
        name: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.step = ContractFunction(
            self, "SweepStep", name="sweep_step", code=code["sweep_step"],
            layers=layers.for_function(FUNCTION_LAYERS["sweep_step"]),
            environment={**environment, "SNAPSHOT_BUCKET": storage.snapshots.bucket_name},
            timeout=Duration.minutes(10), memory_mb=2048, log_retention=log_retention, role_path=SAAS_ASSUMER_PATH,
        )  # fmt: skip
        self.state_machine = step_machine(
            self, "Sweep", asl, self.step, "SweepStepFunctionArn", log_retention, name=name
        )
        # The step starts sweeps itself (the daily fan-out). Its ARN is built from the name, not referenced: the
        # machine already references the function, and a reference back would be a dependency cycle.
        self.arn = Stack.of(self).format_arn(
            service="states", resource="stateMachine", resource_name=name, arn_format=ArnFormat.COLON_RESOURCE_NAME
        )
        self.step.function.add_environment("SWEEP_STATE_MACHINE_ARN", self.arn)
        self.step.role.add_to_policy(iam.PolicyStatement(actions=["states:StartExecution"], resources=[self.arn]))
        step = self.step
        grants.table_actions(step, storage.registry, DOCUMENT_ACTIONS, ["TENANT#"])
        grants.table_actions(step, storage.audit, AUDIT_ACTIONS, ["TENANT#"])
        grants.table_actions(step, storage.hive_mind, ["dynamodb:Query"], indexes=True)
        bucket = storage.snapshots
        objects = [bucket.arn_for_objects("snapshots/*"), bucket.arn_for_objects("usage/*")]
        step.role.add_to_policy(iam.PolicyStatement(actions=["s3:GetObject", "s3:PutObject"], resources=objects))
        # ListBucket only so that a missing key answers 404 (NoSuchKey), not 403: the first sample of a cluster
        step.role.add_to_policy(iam.PolicyStatement(actions=["s3:ListBucket"], resources=[bucket.bucket_arn]))
        grants.assume_tenant_roles(step)
        grants.read_cluster_tokens(step)
        acknowledge(
            step.role,
            "AwsSolutions-IAM5[Resource::<Snapshots.Arn>/snapshots/*]",
            "Snapshots are keyed by tenant and cluster at run time; the prefix holds nothing else.",
        )
        acknowledge(
            step.role,
            "AwsSolutions-IAM5[Resource::<Snapshots.Arn>/usage/*]",
            "Usage histories are keyed by tenant and cluster at run time; the prefix holds nothing else.",
        )
        for name, rate, kind in (("SampleUsageSchedule", Duration.minutes(15), "sample_all"),
                                 ("SweepSchedule", Duration.days(1), "start_all")):  # fmt: skip
            rule = events.Rule(self, name, schedule=events.Schedule.rate(rate), description=f"CloudOptim {name}")
            rule.add_target(targets.LambdaFunction(
                step.function, event=events.RuleTargetInput.from_object({"step": kind}), retry_attempts=2,
                max_event_age=Duration.hours(1),
            ))  # fmt: skip
            name_logical_id(rule, name)
