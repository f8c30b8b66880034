"""Least privilege in the SaaS template: every function gets exactly its contract's tables and actions."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import pytest

from tests.infrastructure.conftest import SynthesizedSaas
from tests.infrastructure.test_saas_wiring import FUNCTIONS

READ = {
    "dynamodb:BatchGetItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:Query",
    "dynamodb:Scan",
}
WRITE = {
    "dynamodb:BatchWriteItem",
    "dynamodb:DeleteItem",
    "dynamodb:DescribeTable",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
}
ASSUME = "arn:aws:iam::*:role/CloudOptimAccess-*"
SECRETS = "secret:cloudoptim/*"

# function -> {target: actions}; "own-logs" and "*" (X-Ray) are checked for every function separately.
EXPECTED: dict[str, dict[str, set[str]]] = {
    "ingest": {
        "Registry": READ,
        "HiveMind": READ | WRITE,
        "Idempotency": READ | WRITE,
        "DrainAndReplace": {"states:StartExecution"},
        "InterruptionQueue": {
            "sqs:ChangeMessageVisibility",
            "sqs:DeleteMessage",
            "sqs:GetQueueAttributes",
            "sqs:GetQueueUrl",
            "sqs:ReceiveMessage",
        },
        ASSUME: {"sts:AssumeRole"},
    },
    # issue 15: the replacement choice reads the freshest scraped prices
    "choose_replacement": {"Registry": READ, "HiveMind": READ, "Prices": {"dynamodb:GetItem", "dynamodb:Query"}},
    "launch_replacement": {"Registry": READ | {"dynamodb:PutItem"}, ASSUME: {"sts:AssumeRole"}},
    "node_status": {"Registry": READ, ASSUME: {"sts:AssumeRole"}, SECRETS: {"secretsmanager:GetSecretValue"}},
    "cordon_node": {"Registry": READ, ASSUME: {"sts:AssumeRole"}, SECRETS: {"secretsmanager:GetSecretValue"}},
    "evict_pods": {"Registry": READ, ASSUME: {"sts:AssumeRole"}, SECRETS: {"secretsmanager:GetSecretValue"}},
    "record_outcome": {"Audit": WRITE},
}
XRAY = {"xray:PutTelemetryRecords", "xray:PutTraceSegments"}


def _statements(saas: SynthesizedSaas, role_id: str) -> list[dict[str, Any]]:
    found = []
    for policy in saas.resources("AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            found += policy["Properties"]["PolicyDocument"]["Statement"]
    return found


def _target(resource: Any) -> str:
    """A readable name for a policy resource: a logical id, a literal ARN pattern or the secrets prefix."""
    if isinstance(resource, str):
        return resource
    if "Fn::GetAtt" in resource:
        return str(resource["Fn::GetAtt"][0])
    if "Ref" in resource:
        return str(resource["Ref"])
    text = json.dumps(resource)
    return SECRETS if SECRETS in text else text


def access(saas: SynthesizedSaas, function_id: str) -> dict[str, set[str]]:
    role_id = saas.properties(function_id)["Role"]["Fn::GetAtt"][0]
    granted: dict[str, set[str]] = defaultdict(set)
    for statement in _statements(saas, role_id):
        assert statement["Effect"] == "Allow"
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for resource in resources:
            if isinstance(resource, dict) and resource == {"Ref": "AWS::NoValue"}:
                continue
            granted[_target(resource)] |= set(actions)
    return dict(granted)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_each_function_gets_exactly_its_contract(saas: SynthesizedSaas, name: str) -> None:
    granted = access(saas, FUNCTIONS[name])
    assert granted.pop("*") == XRAY  # tracing: X-Ray has no resource-level permissions
    log_group = saas.properties(FUNCTIONS[name])["LoggingConfig"]["LogGroup"]["Ref"]
    assert granted.pop(log_group) == {"logs:CreateLogStream", "logs:PutLogEvents"}
    assert granted == EXPECTED[name]


def test_no_action_is_a_wildcard(saas: SynthesizedSaas) -> None:
    for logical_id, policy in saas.resources("AWS::IAM::Policy").items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert not [a for a in actions if "*" in a], logical_id


def test_only_the_customer_facing_functions_assume_tenant_roles(saas: SynthesizedSaas) -> None:
    assuming = set()
    for policy in saas.resources("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if "sts:AssumeRole" in json.dumps(statement["Action"]):
                assert statement["Resource"] == ASSUME
                assuming |= {role["Ref"] for role in policy["Properties"]["Roles"]}
    roles = {name: saas.properties(fid)["Role"]["Fn::GetAtt"][0] for name, fid in FUNCTIONS.items()}
    expected = {"ingest", "launch_replacement", "node_status", "cordon_node", "evict_pods"}
    api = saas.properties("ApiFunction")["Role"]["Fn::GetAtt"][0]  # account verify and cluster checks (issue 13)
    # issue 15: the jobs that work in tenants' accounts and clusters (hibernation steps, discovery, waste scan)
    jobs = {saas.properties(f)["Role"]["Fn::GetAtt"][0] for f in
            ("HibernationStepFunction", "DiscoverClustersFunction", "WasteScanFunction")}  # fmt: skip
    assert assuming == {roles[name] for name in expected} | {api} | jobs


def test_state_machine_invokes_only_its_six_steps(saas: SynthesizedSaas) -> None:
    role_id = saas.properties("DrainAndReplace")["RoleArn"]["Fn::GetAtt"][0]
    invoked = set()
    for statement in _statements(saas, role_id):
        if statement["Action"] == "lambda:InvokeFunction":
            invoked |= {_target(resource) for resource in statement["Resource"]}
        else:
            assert statement["Resource"] == "*"  # logs delivery and X-Ray: no resource-level permissions
            assert all(a.startswith(("logs:", "xray:")) for a in statement["Action"])
    assert invoked == {fid for name, fid in FUNCTIONS.items() if name != "ingest"}


def test_functions_use_no_managed_policies(saas: SynthesizedSaas) -> None:
    for logical_id, role in saas.resources("AWS::IAM::Role").items():
        assert "ManagedPolicyArns" not in role["Properties"], logical_id
