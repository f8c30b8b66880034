"""The model registry's least privilege: validation reads the artifact and nothing else, only model_registry writes
the registry document, the state machines invoke only their own functions, the bucket is private and TLS-only."""

from __future__ import annotations

import json

import pytest

from tests.infrastructure.conftest import SynthesizedSaas
from tests.infrastructure.test_saas_iam import EXPECTED, XRAY, _statements, _target, grants

MODEL_FUNCTIONS = {
    "validate_model": "ValidateModelFunction",
    "model_registry": "ModelRegistryFunction",
    "retrain_model": "RetrainModelFunction",
}


@pytest.mark.parametrize("name", sorted(MODEL_FUNCTIONS))
def test_each_model_function_gets_exactly_its_grants(saas: SynthesizedSaas, name: str) -> None:
    plumbing, found = grants(saas, MODEL_FUNCTIONS[name])
    assert plumbing == XRAY | {"logs:CreateLogStream", "logs:PutLogEvents"}
    assert found == EXPECTED[name]


@pytest.mark.parametrize(
    ("machine", "functions"),
    [
        ("ValidateModel", {"ValidateModelFunction", "ModelRegistryFunction"}),
        ("ChangeModel", {"ModelRegistryFunction"}),
        ("RetrainModel", {"RetrainModelFunction", "ModelRegistryFunction"}),
    ],
)
def test_registry_state_machines_invoke_only_their_functions(
    saas: SynthesizedSaas, machine: str, functions: set[str]
) -> None:
    role_id = saas.properties(machine)["RoleArn"]["Fn::GetAtt"][0]
    invoked = set()
    for statement in _statements(saas, role_id):
        if statement["Action"] == "lambda:InvokeFunction":
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            invoked |= {_target(r) for r in resources}
    assert invoked == functions


def test_the_artifact_bucket_is_private_encrypted_versioned_and_tls_only(saas: SynthesizedSaas) -> None:
    bucket = saas.properties("ModelArtifacts")
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True,
    }  # fmt: skip
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"
    }
    [policy] = [p for p in saas.resources("AWS::S3::BucketPolicy").values()
                if p["Properties"]["Bucket"] == {"Ref": "ModelArtifacts"}]  # fmt: skip
    denies = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in denies)


def test_choose_replacement_knows_the_bucket(saas: SynthesizedSaas) -> None:
    env = saas.properties("ChooseReplacementFunction")["Environment"]["Variables"]
    assert env["MODEL_BUCKET"] == {"Ref": "ModelArtifacts"}


def test_retraining_runs_weekly_per_price_region_and_may_only_run_validate_model(saas: SynthesizedSaas) -> None:
    rules = {k: v["Properties"] for k, v in saas.resources("AWS::Events::Rule").items() if k.startswith("RetrainModel")}
    assert sorted(rules) == ["RetrainModelScheduleEuWest1", "RetrainModelScheduleUsEast1"]
    regions = set()
    for rule in rules.values():
        assert rule["ScheduleExpression"] == "rate(7 days)" and rule["State"] == "ENABLED"
        (target,) = rule["Targets"]
        assert target["Arn"] == {"Ref": "RetrainModel"} and target["RetryPolicy"]["MaximumRetryAttempts"] == 2
        regions.add(json.loads(target["Input"])["region"])
    assert regions == {"eu-west-1", "us-east-1"}  # one weekly run per region the scraper collects
    role_id = saas.properties("RetrainModel")["RoleArn"]["Fn::GetAtt"][0]
    started = {
        _target(resource)
        for statement in _statements(saas, role_id)
        if "states:StartExecution"
        in (statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])
        for resource in (statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]])
    }
    assert started == {"ValidateModel"}
    env = saas.properties("RetrainModelFunction")
    assert env["Timeout"] == 900 and env["MemorySize"] == 4096


def test_the_api_knows_the_registry_it_operates(saas: SynthesizedSaas) -> None:
    env = saas.properties("ApiFunction")["Environment"]["Variables"]
    assert env["MODEL_BUCKET"] == {"Ref": "ModelArtifacts"}
    assert env["VALIDATE_MODEL_STATE_MACHINE_ARN"] == {"Ref": "ValidateModel"}
    assert env["HIVE_MIND_TABLE"] == {"Ref": "HiveMind"}
