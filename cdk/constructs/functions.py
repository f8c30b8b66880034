"""One Lambda of the platform contract: its own role, log group and tracing, python3.12 on x86_64."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk.constructs._cfn import acknowledge, name_logical_id
from cdk.constructs.layers import ARCHITECTURE, RUNTIME


class ContractFunction(Construct):
    """A function whose role starts empty: grants are added by the domain construct that wires it.

    The role is ours rather than CDK's default so no AWS managed policy (AWSLambdaBasicExecutionRole,
    logs on every log group) is attached: the function may write to its own log group only.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        code: Path,
        layers: Sequence[lambda_.ILayerVersion],
        environment: Mapping[str, str],
        timeout: Duration,
        memory_mb: int = 256,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH,
        role_path: str | None = None,
        reserved_concurrency: int | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.contract_name = name
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"CloudOptim Lambda {name}",
            # Roles that assume tenant roles sit under one path, which the customers' trust policies name.
            path=role_path,
        )
        self.log_group = logs.LogGroup(self, "Logs", retention=log_retention)
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=f"functions/{name}/handler.handler",
            code=lambda_.Code.from_asset(str(code)),
            layers=list(layers),
            role=self.role,
            log_group=self.log_group,
            tracing=lambda_.Tracing.ACTIVE,
            timeout=timeout,
            memory_size=memory_mb,
            environment=dict(environment),
            description=f"CloudOptim {name}",
            reserved_concurrent_executions=reserved_concurrency,
        )
        self.log_group.grant_write(self.role)
        name_logical_id(self.function, f"{_pascal(name)}Function")
        acknowledge(
            self.role,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions (tracing ACTIVE).",
        )
        acknowledge(
            self.function,
            "AwsSolutions-L1",
            "The platform contract pins python3.12, the version the deps layer is built for; upgraded together.",
        )


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))
