"""The model registry (issue 16): the artifact bucket, `validate_model` (read-only, one check per invocation),
`model_registry` (the registry document's writes), the `ValidateModel` and `ChangeModel` state machines, and what
`choose_replacement` may read of it. Grants are written out: nothing here may Scan, list the bucket or delete.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from cdk.constructs import grants
from cdk.constructs._cfn import acknowledge, name_logical_id
from cdk.constructs.functions import ContractFunction
from cdk.constructs.layers import Layers
from cdk.constructs.storage import Storage
from cdk.manifest import FUNCTION_LAYERS

STATEMACHINES = Path(__file__).resolve().parents[2] / "statemachines"
REGISTRY_PK = "MODELS"  # cloudoptim.adapters.aws.models.REGISTRY_PK
SHADOW_PREFIX = "MODELSHADOW#"  # cloudoptim.adapters.aws.models.SHADOW_PREFIX
ARTIFACTS = "models/*"


class Models(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        storage: Storage,
        layers: Layers,
        code: Mapping[str, Path],
        environment: Mapping[str, str],
        chooser: ContractFunction,
        log_retention: logs.RetentionDays,
    ) -> None:
        super().__init__(scope, construct_id)
        self.bucket = s3.Bucket(
            self,
            "Artifacts",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,  # an overwritten or deleted artifact can be recovered
            removal_policy=RemovalPolicy.RETAIN,
        )
        name_logical_id(self.bucket, "ModelArtifacts")
        acknowledge(
            self.bucket,
            "AwsSolutions-S1",
            "Artifacts are written by the registry's functions only; every write is in the registry's events.",
        )
        env = {**environment, "MODEL_BUCKET": self.bucket.bucket_name}

        def function(name: str, timeout: int, memory: int) -> ContractFunction:
            return ContractFunction(
                self,
                name,
                name=name,
                code=code[name],
                layers=layers.for_function(FUNCTION_LAYERS[name]),
                environment=env,
                timeout=Duration.seconds(timeout),
                memory_mb=memory,
                log_retention=log_retention,
            )

        self.validate = function("validate_model", 60, 1024)
        self.registry = function("model_registry", 15, 256)
        self._grant(storage, chooser)
        self.validate_machine = _machine(self, "ValidateModel", "validate_model.asl.json", self.functions)
        self.change_machine = _machine(self, "ChangeModel", "change_model.asl.json", {"model_registry": self.registry})

    @property
    def functions(self) -> dict[str, ContractFunction]:
        return {"validate_model": self.validate, "model_registry": self.registry}

    def _grant(self, storage: Storage, chooser: ContractFunction) -> None:
        read = ["s3:GetObject"]
        _objects(self.validate, self.bucket, read)  # in isolation: the artifact, nothing else
        grants.table_actions(self.registry, storage.registry, ["dynamodb:GetItem", "dynamodb:PutItem"], [REGISTRY_PK])
        chooser.function.add_environment("MODEL_BUCKET", self.bucket.bucket_name)
        _objects(chooser, self.bucket, read)
        grants.table_actions(chooser, storage.registry, ["dynamodb:GetItem"], [REGISTRY_PK])
        grants.table_actions(chooser, storage.registry, ["dynamodb:PutItem"], [SHADOW_PREFIX])


def _objects(fn: ContractFunction, bucket: s3.IBucket, actions: list[str]) -> None:
    fn.role.add_to_policy(iam.PolicyStatement(actions=actions, resources=[bucket.arn_for_objects(ARTIFACTS)]))
    acknowledge(
        fn.role,
        "AwsSolutions-IAM5[Resource::<ModelArtifacts.Arn>/models/*]",
        "Model artifacts are keyed by content-addressed ids created at upload; reads are limited to models/.",
    )


def _machine(scope: Construct, name: str, asl: str, functions: Mapping[str, ContractFunction]) -> sfn.StateMachine:
    substitutions = {f"{_pascal(n)}FunctionArn": fn.function.function_arn for n, fn in functions.items()}
    log_group = logs.LogGroup(scope, f"{name}Logs", retention=logs.RetentionDays.ONE_MONTH)
    machine = sfn.StateMachine(
        scope,
        name,
        definition_body=sfn.DefinitionBody.from_string((STATEMACHINES / asl).read_text()),
        definition_substitutions=substitutions,
        state_machine_type=sfn.StateMachineType.STANDARD,
        tracing_enabled=True,
        logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
    )
    name_logical_id(machine, name)
    machine.add_to_role_policy(
        iam.PolicyStatement(
            actions=["lambda:InvokeFunction"], resources=[fn.function.function_arn for fn in functions.values()]
        )
    )
    acknowledge(
        machine,
        "AwsSolutions-IAM5[Resource::*]",
        "CloudWatch Logs delivery and X-Ray writes support no resource-level permissions; CDK adds exactly those.",
    )
    return machine


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))
