"""Least privilege in the SaaS template: every function gets exactly its contract's tables, item kinds and actions;
no Scan anywhere; the audit log append-only; tenant roles assumed only with a tenant session tag."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infrastructure.conftest import SynthesizedSaas
from tests.infrastructure.test_saas_wiring import FUNCTIONS

KEYED_READ = frozenset({"dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:Query"})
# a tenant's record and settings are one BatchGetItem (keyed, never a Scan)
REGISTRY_READ = KEYED_READ | {"dynamodb:BatchGetItem"}
ASSUME = "arn:aws:iam::*:role/CloudOptimAccess-*"
EXTERNAL_IDS = "secret:cloudoptim/*/external-id-??????"
TOKENS = "secret:cloudoptim/*/*/token-??????"
WEBHOOKS = "secret:cloudoptim/*/webhook-??????"
TENANT_ROLE = {
    (ASSUME, frozenset({"sts:AssumeRole", "sts:TagSession"}), "tag"),
    (EXTERNAL_IDS, frozenset({"secretsmanager:GetSecretValue"}), None),
}
KUBE = {
    ("Registry", REGISTRY_READ, "TENANT#*"),
    *TENANT_ROLE,
    (TOKENS, frozenset({"secretsmanager:GetSecretValue"}), None),
}

# function -> {(target, actions, condition)}: condition is the LeadingKeys prefixes, "tag" for the tenant session
# tag, None for none. Own logs and X-Ray ("*") are checked for every function separately.
EXPECTED: dict[str, set[tuple[str, frozenset[str], str | None]]] = {
    "ingest": {
        ("Registry", REGISTRY_READ, "INSTANCE#*,TENANT#*,ACCOUNT#*"),
        ("Registry", frozenset({"dynamodb:PutItem"}), "INSTANCE#*"),  # a node not yet discovered, from its tags
        ("HiveMind", KEYED_READ | {"dynamodb:PutItem"}, None),
        ("Idempotency", KEYED_READ | {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}, None),
        ("DrainAndReplace", frozenset({"states:StartExecution"}), None),
        (
            "InterruptionQueue",
            frozenset(
                {
                    "sqs:ChangeMessageVisibility",
                    "sqs:DeleteMessage",
                    "sqs:GetQueueAttributes",
                    "sqs:GetQueueUrl",
                    "sqs:ReceiveMessage",
                }
            ),
            None,
        ),
        *TENANT_ROLE,
        # the hive mind's hand-over (docs/events.md): its own source and detail-type only
        (
            "EventBus",
            frozenset({"events:PutEvents"}),
            "events:detail-type=CloudOptim Pool Escalated,events:source=cloudoptim.hive-mind",
        ),
    },
    "choose_replacement": {
        ("Registry", REGISTRY_READ, "TENANT#*"),
        ("HiveMind", frozenset({"dynamodb:DescribeTable", "dynamodb:Query"}), None),
        ("HiveMind/index/*", frozenset({"dynamodb:DescribeTable", "dynamodb:Query"}), None),
        ("Prices", frozenset({"dynamodb:GetItem", "dynamodb:Query"}), None),  # the freshest scraped prices
        # the registry document, the shadow entries it writes, and the artifacts (never list, put or delete)
        ("Registry", frozenset({"dynamodb:GetItem"}), "MODELS*"),
        ("Registry", frozenset({"dynamodb:PutItem"}), "MODELSHADOW#*"),
        ("ModelArtifacts/models/*", frozenset({"s3:GetObject"}), None),
    },
    # validation in isolation: the artifact, nothing else; only model_registry writes the registry document
    "validate_model": {("ModelArtifacts/models/*", frozenset({"s3:GetObject"}), None)},
    "model_registry": {("Registry", frozenset({"dynamodb:GetItem", "dynamodb:PutItem"}), "MODELS*")},
    # training: the registry document and artifacts (a candidate's upload, the active model to compare with) and
    # the archived Spot prices; it never starts or activates anything (the RetrainModel state machine does)
    "retrain_model": {
        ("Registry", frozenset({"dynamodb:GetItem", "dynamodb:PutItem"}), "MODELS*"),
        ("ModelArtifacts/models/*", frozenset({"s3:GetObject", "s3:PutObject"}), None),
        ("PriceArchive/spot/*", frozenset({"s3:GetObject"}), None),
    },
    "launch_replacement": {
        ("Registry", REGISTRY_READ, "TENANT#*"),
        ("Registry", frozenset({"dynamodb:PutItem"}), "INSTANCE#*"),
        *TENANT_ROLE,
    },
    "terminate_replacement": {("Registry", REGISTRY_READ, "TENANT#*"), *TENANT_ROLE},
    "node_status": KUBE,
    "cordon_node": KUBE,
    "evict_pods": KUBE,
    "record_outcome": {
        ("Audit", frozenset({"dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:Query"}), "TENANT#*"),
        ("Idempotency", frozenset({"dynamodb:DescribeTable", "dynamodb:DeleteItem"}), "INSTANCE#*"),
    },
}
XRAY = {"xray:PutTelemetryRecords", "xray:PutTraceSegments"}
TABLE_WRITES_NEVER_ON_AUDIT = {"dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:*"}


def _statements(saas: SynthesizedSaas, role_id: str) -> list[dict[str, Any]]:
    found = []
    for policy in saas.resources("AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            found += policy["Properties"]["PolicyDocument"]["Statement"]
    return found


def _target(resource: Any) -> str:
    """A readable name for a policy resource: a logical id, a literal ARN pattern, a secret pattern or an index."""
    if isinstance(resource, str):
        return resource
    if "Fn::GetAtt" in resource:
        return str(resource["Fn::GetAtt"][0])
    if "Ref" in resource:
        return str(resource["Ref"])
    text = json.dumps(resource)
    if ":stateMachine:" in text:  # a state machine named rather than referenced (the sweep's)
        return text.split(":stateMachine:")[1].split('"')[0]
    if ":event-bus/default" in text:
        return "DefaultBus"
    if ":event-bus/" in text:
        return "EventBus"
    if ":identity/" in text:  # an SES identity
        return "SesIdentity:" + text.split(":identity/")[1].split('"')[0]
    if "Fn::Join" in resource and "Fn::GetAtt" in resource["Fn::Join"][1][0]:  # a table's indexes, a bucket's objects
        return str(resource["Fn::Join"][1][0]["Fn::GetAtt"][0]) + "".join(resource["Fn::Join"][1][1:])
    return next(pattern for pattern in (EXTERNAL_IDS, TOKENS, WEBHOOKS) if pattern in text)


def _condition(statement: dict[str, Any]) -> str | None:
    condition = statement.get("Condition")
    if condition is None:
        return None
    if "Null" in condition:
        return "tag"
    if "StringEquals" in condition:
        return ",".join(f"{k}={v}" for k, v in sorted(condition["StringEquals"].items()))
    return ",".join(condition["ForAllValues:StringLike"]["dynamodb:LeadingKeys"])


def _actions(statement: dict[str, Any]) -> list[str]:
    return statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]


def grants(saas: SynthesizedSaas, function_id: str) -> tuple[set[str], set[tuple[str, frozenset[str], str | None]]]:
    """(actions on "*" and own logs, every other (target, actions, condition))."""
    role_id = saas.properties(function_id)["Role"]["Fn::GetAtt"][0]
    log_group = saas.properties(function_id)["LoggingConfig"]["LogGroup"]["Ref"]
    plumbing: set[str] = set()
    found = set()
    for statement in _statements(saas, role_id):
        assert statement["Effect"] == "Allow"
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for resource in resources:
            target = _target(resource)
            if target in ("*", log_group):
                plumbing |= set(_actions(statement))
            else:
                found.add((target, frozenset(_actions(statement)), _condition(statement)))
    return plumbing, found


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_each_function_gets_exactly_its_contract(saas: SynthesizedSaas, name: str) -> None:
    plumbing, found = grants(saas, FUNCTIONS[name])
    assert plumbing == XRAY | {"logs:CreateLogStream", "logs:PutLogEvents"}
    assert found == EXPECTED[name]


def test_no_action_is_a_wildcard_and_nothing_may_scan(saas: SynthesizedSaas) -> None:
    for logical_id, policy in saas.resources("AWS::IAM::Policy").items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = _actions(statement)
            assert not [a for a in actions if "*" in a], logical_id
            assert "dynamodb:Scan" not in actions, logical_id


def test_the_audit_log_is_append_only_for_every_role(saas: SynthesizedSaas) -> None:
    writers = set()
    for policy in saas.resources("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            if any("Audit" in json.dumps(r) for r in resources):
                assert not TABLE_WRITES_NEVER_ON_AUDIT & set(_actions(statement))
                writers |= (
                    {role["Ref"] for role in policy["Properties"]["Roles"]}
                    if "dynamodb:PutItem" in _actions(statement)
                    else set()
                )
    # the pipeline's outcomes, the API's writes and the hourly checkpoints (issue 13)
    expected = ("RecordOutcomeFunction", "ApiFunction", "AuditCheckpointFunction", "HibernationStepFunction",
                "WasteScanFunction", "SweepStepFunction", "ExecuteStepFunction",
                "WeeklySummaryFunction", "NotifyEventFunction")  # fmt: skip  # notifications: their own entries
    assert writers == {saas.properties(f)["Role"]["Fn::GetAtt"][0] for f in expected}


def test_only_the_customer_facing_functions_assume_tenant_roles_from_one_iam_path(saas: SynthesizedSaas) -> None:
    assuming = set()
    for policy in saas.resources("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if "sts:AssumeRole" in _actions(statement):
                assert statement["Resource"] == ASSUME
                assuming |= {role["Ref"] for role in policy["Properties"]["Roles"]}
    roles = {name: saas.properties(fid)["Role"]["Fn::GetAtt"][0] for name, fid in FUNCTIONS.items()}
    expected = {"ingest", "launch_replacement", "terminate_replacement", "node_status", "cordon_node", "evict_pods"}
    api = saas.properties("ApiFunction")["Role"]["Fn::GetAtt"][0]  # account verification, cluster checks (issue 13)
    # issue 15: the jobs that work in tenants' accounts and clusters (hibernation steps, discovery, waste scan)
    # and issue 14's sweep and executions (snapshots, usage, patches and drains through the cluster's API)
    customer_jobs = ("HibernationStepFunction", "DiscoverClustersFunction", "WasteScanFunction", "SweepStepFunction",
                     "ExecuteStepFunction")  # fmt: skip
    jobs = {saas.properties(f)["Role"]["Fn::GetAtt"][0] for f in customer_jobs}
    assert assuming == {roles[name] for name in expected} | {api} | jobs
    for role in {api} | jobs:
        assert saas.template["Resources"][role]["Properties"].get("Path") == "/cloudoptim/tenant-access/"
    for name, role in roles.items():  # the customers' trust policies name this path (aws:PrincipalArn)
        path = saas.template["Resources"][role]["Properties"].get("Path")
        assert path == ("/cloudoptim/tenant-access/" if name in expected else None), name


def test_state_machine_invokes_only_its_seven_steps(saas: SynthesizedSaas) -> None:
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
