"""The model registry (issue 16): the artifact bucket, `validate_model` (read-only, one check per invocation),
`model_registry` (the registry document's writes), `retrain_model` (weekly training on the archived prices), the
`ValidateModel`, `ChangeModel` and `RetrainModel` state machines, what `choose_replacement` may read of it and what
the API's operator routes may do. Grants are written out: nothing here may Scan, list the bucket or delete.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
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
        regions: Sequence[str] = (),
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

        def function(name: str, timeout: int, memory: int, extra: Mapping[str, str] | None = None) -> ContractFunction:
            return ContractFunction(
                self,
                name,
                name=name,
                code=code[name],
                layers=layers.for_function(FUNCTION_LAYERS[name]),
                environment={**env, **(extra or {})},
                timeout=Duration.seconds(timeout),
                memory_mb=memory,
                log_retention=log_retention,
            )

        self.validate = function("validate_model", 60, 1024)
        self.registry = function("model_registry", 15, 256)
        # Training takes about a minute on 2 cores for 90 days on a 6-hour grid (docs/model-card.md); Lambda gives
        # vCPUs in proportion to memory, so 4 GB (~2.3 vCPUs) and the 15-minute ceiling leave a wide margin.
        archive = storage.price_archive
        self.retrain = function("retrain_model", 900, 4096, {"PRICE_ARCHIVE_BUCKET": archive.bucket_name})
        self._grant(storage, chooser)
        checks = {"validate_model": self.validate, "model_registry": self.registry}
        self.validate_machine = _machine(self, "ValidateModel", "validate_model.asl.json", checks)
        self.change_machine = _machine(self, "ChangeModel", "change_model.asl.json", {"model_registry": self.registry})
        self.retrain_machine = _machine(
            self,
            "RetrainModel",
            "retrain_model.asl.json",
            {"retrain_model": self.retrain, "model_registry": self.registry},
            {"ValidateModelArn": self.validate_machine.state_machine_arn},
        )
        self._grant_retraining(storage)
        for region in regions:  # weekly, per region the scraper collects
            rule = events.Rule(
                self,
                f"Retrain{_pascal(region.replace('-', '_'))}",
                schedule=events.Schedule.rate(Duration.days(7)),
                description=f"CloudOptim RetrainModel {region}",
            )
            target_input = events.RuleTargetInput.from_object({"region": region})
            rule.add_target(targets.SfnStateMachine(self.retrain_machine, input=target_input, retry_attempts=2))
            name_logical_id(rule, f"RetrainModelSchedule{_pascal(region.replace('-', '_'))}")

    @property
    def functions(self) -> dict[str, ContractFunction]:
        return {"validate_model": self.validate, "model_registry": self.registry, "retrain_model": self.retrain}

    def grant_operators(self, api: ContractFunction, storage: Storage) -> None:
        """The API's operator routes: the registry document, the shadow entries (read), the artifacts (upload and
        read), starting ValidateModel, and the hive mind's records (the shadow report's outcomes)."""
        env = {
            "MODEL_BUCKET": self.bucket.bucket_name,
            "VALIDATE_MODEL_STATE_MACHINE_ARN": self.validate_machine.state_machine_arn,
            "HIVE_MIND_TABLE": storage.hive_mind.table_name,
        }
        for key, value in env.items():
            api.function.add_environment(key, value)
        grants.table_actions(api, storage.registry, ["dynamodb:GetItem", "dynamodb:PutItem"], [REGISTRY_PK])
        grants.table_actions(api, storage.registry, ["dynamodb:Query"], [SHADOW_PREFIX])
        _objects(api, self.bucket, ["s3:GetObject", "s3:PutObject"])
        self.validate_machine.grant_start_execution(api.role)
        grants.table_actions(api, storage.hive_mind, ["dynamodb:Query"], indexes=True)

    def _grant_retraining(self, storage: Storage) -> None:
        grants.table_actions(self.retrain, storage.registry, ["dynamodb:GetItem", "dynamodb:PutItem"], [REGISTRY_PK])
        _objects(self.retrain, self.bucket, ["s3:GetObject", "s3:PutObject"])
        archive = storage.price_archive.arn_for_objects("spot/*")
        self.retrain.role.add_to_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=[archive]))
        acknowledge(
            self.retrain.role,
            "AwsSolutions-IAM5[Resource::<PriceArchive.Arn>/spot/*]",
            "Training reads the archived Spot prices, one object per region and day; nothing else of the archive.",
        )
        # startExecution.sync: start ValidateModel, follow its execution, and the managed rule that reports its end
        machine = self.retrain_machine
        stack = Stack.of(self)
        executions = stack.format_arn(
            service="states",
            resource="execution",
            resource_name=f"{self.validate_machine.state_machine_name}:*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        rule = stack.format_arn(
            service="events", resource="rule", resource_name="StepFunctionsGetEventsForStepFunctionsExecutionRule"
        )
        self.validate_machine.grant_start_execution(machine.role)
        machine.add_to_role_policy(
            iam.PolicyStatement(actions=["states:DescribeExecution", "states:StopExecution"], resources=[executions])
        )
        machine.add_to_role_policy(
            iam.PolicyStatement(
                actions=["events:PutTargets", "events:PutRule", "events:DescribeRule"], resources=[rule]
            )
        )
        acknowledge(
            machine,
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:"
            "<ValidateModel.Name>:*]",
            "startExecution.sync follows the ValidateModel execution it started; execution names are not known before.",
        )

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


def _machine(
    scope: Construct,
    name: str,
    asl: str,
    functions: Mapping[str, ContractFunction],
    others: Mapping[str, str] | None = None,
) -> sfn.StateMachine:
    substitutions = {f"{_pascal(n)}FunctionArn": fn.function.function_arn for n, fn in functions.items()}
    substitutions.update(others or {})
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
