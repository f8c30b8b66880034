"""Execution workflows (issue 14): the `Execute` state machine (statemachines/execute.asl.json) runs one approved
recommendation through `execute_step`; the API starts it, and a stale plan starts the optimize sweep again."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk.constructs import grants
from cdk.constructs.functions import ContractFunction
from cdk.constructs.hibernation import AUDIT_ACTIONS, DOCUMENT_ACTIONS
from cdk.constructs.layers import Layers
from cdk.constructs.step_machine import step_machine
from cdk.constructs.storage import Storage
from cdk.manifest import FUNCTION_LAYERS
from cloudoptim.tenancy.customer_role import SAAS_ASSUMER_PATH

STATE_MACHINE_NAME = "CloudOptimExecute"


class Executions(Construct):
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
        wait_seconds: int,
        sweep_state_machine_name: str,
        log_retention: logs.RetentionDays,
    ) -> None:
        super().__init__(scope, construct_id)
        self.sweep_arn = Stack.of(self).format_arn(
            service="states", resource="stateMachine", resource_name=sweep_state_machine_name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )  # fmt: skip
        self.step = ContractFunction(
            self, "execute_step", name="execute_step", code=code["execute_step"],
            layers=layers.for_function(FUNCTION_LAYERS["execute_step"]),
            environment={**environment, "SWEEP_STATE_MACHINE_ARN": self.sweep_arn,
                         "EXECUTE_WAIT_SECONDS": str(wait_seconds)},
            timeout=Duration.minutes(5), memory_mb=1024, log_retention=log_retention, role_path=SAAS_ASSUMER_PATH,
        )  # fmt: skip
        grants.table_actions(
            self.step, storage.registry, [*DOCUMENT_ACTIONS, "dynamodb:BatchGetItem"], ["TENANT#"]
        )  # tenant: one batch
        # a launched node's INSTANCE# item, so its own Spot notices resolve before the next discovery (no other kind)
        grants.table_actions(self.step, storage.registry, ["dynamodb:PutItem"], ["INSTANCE#"])
        grants.table_actions(self.step, storage.audit, AUDIT_ACTIONS, ["TENANT#"])  # append-only: no Update, Delete
        grants.assume_tenant_roles(self.step)
        grants.read_cluster_tokens(self.step)
        # A stale plan asks for a new sweep: StartExecution on the sweep state machine only.
        self.step.role.add_to_policy(iam.PolicyStatement(actions=["states:StartExecution"], resources=[self.sweep_arn]))
        self.state_machine = step_machine(
            self, "Execute", asl, self.step, "ExecuteStepFunctionArn", log_retention, name=STATE_MACHINE_NAME
        )
