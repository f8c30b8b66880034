"""Hibernation (flow 5): `hibernation_tick` every 5 minutes decides, the `Hibernate` state machine sleeps and wakes
clusters through `hibernation_step` (statemachines/hibernate.asl.json)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from aws_cdk import Duration
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk.constructs import grants
from cdk.constructs.functions import ContractFunction
from cdk.constructs.layers import Layers
from cdk.constructs.schedules import every
from cdk.constructs.step_machine import step_machine
from cdk.constructs.storage import Storage
from cdk.manifest import FUNCTION_LAYERS
from cloudoptim.tenancy.customer_role import SAAS_ASSUMER_PATH

DOCUMENT_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query")  # conditional Puts, Queries, no Scan
AUDIT_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:ConditionCheckItem")


class Hibernation(Construct):
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
        log_retention: logs.RetentionDays,
    ) -> None:
        super().__init__(scope, construct_id)

        def function(name: str, timeout: Duration, extra: Mapping[str, str] | None = None) -> ContractFunction:
            return ContractFunction(
                self, name, name=name, code=code[name], layers=layers.for_function(FUNCTION_LAYERS[name]),
                environment={**environment, **(extra or {})}, timeout=timeout, memory_mb=512,
                log_retention=log_retention, role_path=SAAS_ASSUMER_PATH if name == "hibernation_step" else None,
            )  # fmt: skip

        self.step = function("hibernation_step", Duration.minutes(5))
        self.state_machine = step_machine(
            self, "Hibernate", asl, self.step, "HibernationStepFunctionArn", log_retention, timeout=Duration.hours(1)
        )
        self.tick = function(
            "hibernation_tick",
            Duration.minutes(2),
            {"HIBERNATE_STATE_MACHINE_ARN": self.state_machine.state_machine_arn,
             "HIBERNATE_WAIT_SECONDS": str(wait_seconds)},
        )  # fmt: skip
        grants.table_actions(self.tick, storage.registry, DOCUMENT_ACTIONS, ["TENANT#"])
        self.state_machine.grant_start_execution(self.tick.function)
        grants.table_actions(self.step, storage.registry, DOCUMENT_ACTIONS, ["TENANT#"])
        grants.table_actions(self.step, storage.audit, AUDIT_ACTIONS, ["TENANT#"])  # append-only: no Update, Delete
        grants.assume_tenant_roles(self.step)
        grants.read_cluster_tokens(self.step)
        every(self, "HibernationTickSchedule", self.tick, Duration.minutes(5))
