"""The tenant onboarding template: trust, least privilege (each action documented), event forwarding, CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from cli.main import main
from cloudoptim.onboarding import EC2_EVENTS, HEALTH_EVENTS, OnboardingRequest, onboarding_template

DOC = Path(__file__).resolve().parents[2] / "docs" / "onboarding.md"
REQUEST = OnboardingRequest(
    tenant_id="acme",
    saas_account_id="123456789012",
    external_id="7f3c-acme",
    saas_region="eu-west-1",
    regions=("eu-west-1", "us-east-1"),
)


def _statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    policy = template["Resources"]["AccessRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    statements: list[dict[str, Any]] = policy["Statement"]
    return statements


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return action if isinstance(action, list) else [action]


def _documented_actions() -> set[str]:
    return set(re.findall(r"^\| `([a-z0-9]+:[A-Za-z]+)` \|", DOC.read_text(), flags=re.MULTILINE))


def test_role_is_trusted_by_the_saas_account_with_the_external_id() -> None:
    role = onboarding_template(REQUEST)["Resources"]["AccessRole"]
    assert role["Properties"]["RoleName"] == "CloudOptimAccess-acme"
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    assert trust["Action"] == "sts:AssumeRole"
    assert trust["Condition"] == {"StringEquals": {"sts:ExternalId": "7f3c-acme"}}


def test_every_action_is_documented_and_none_is_a_wildcard() -> None:
    granted = {action for statement in _statements(onboarding_template(REQUEST)) for action in _actions(statement)}
    assert not [action for action in granted if "*" in action]
    assert granted == _documented_actions()


def test_launch_needs_a_launch_template_and_the_tenant_tag() -> None:
    statements = {s["Sid"]: s for s in _statements(onboarding_template(REQUEST))}
    launch = statements["LaunchTaggedInstanceFromLaunchTemplate"]
    assert launch["Condition"]["StringEquals"]["aws:RequestTag/cloudoptim:tenant"] == "acme"
    assert "ec2:LaunchTemplate" in launch["Condition"]["ArnLike"]
    assert "ec2:LaunchTemplate" in statements["LaunchResourcesFromLaunchTemplate"]["Condition"]["ArnLike"]
    assert statements["TagOnlyAtLaunch"]["Condition"]["StringEquals"]["ec2:CreateAction"] == "RunInstances"
    terminate = statements["TerminateOnlyInstancesCloudOptimLaunched"]["Condition"]["StringEquals"]
    assert terminate["aws:ResourceTag/cloudoptim:tenant"] == "acme"
    passing = statements["PassOnlyTheNodeRole"]
    assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}
    assert json.dumps(passing["Resource"]).endswith(':role/AmazonEKSNodeRole"}]')


def test_every_regional_statement_is_limited_to_the_tenant_regions() -> None:
    for statement in _statements(onboarding_template(REQUEST)):
        if statement["Sid"] != "PassOnlyTheNodeRole":
            assert statement["Condition"]["StringEquals"]["aws:RequestedRegion"] == ["eu-west-1", "us-east-1"]


def test_rules_forward_the_contract_patterns_to_the_saas_bus() -> None:
    resources = onboarding_template(REQUEST)["Resources"]
    bus = "arn:aws:events:eu-west-1:123456789012:event-bus/cloudoptim-events"
    patterns = []
    for logical_id in ("Ec2EventsRule", "HealthEventsRule"):
        rule = resources[logical_id]["Properties"]
        (target,) = rule["Targets"]
        assert target["Arn"] == bus
        assert target["RoleArn"]["Fn::If"][0] == "IsPrimaryRegion"
        patterns.append(rule["EventPattern"])
        assert "Condition" not in resources[logical_id]  # rules exist in every region
    assert patterns == [EC2_EVENTS, HEALTH_EVENTS]
    forwarding = resources["EventForwardingRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    assert forwarding == [{"Effect": "Allow", "Action": "events:PutEvents", "Resource": bus}]


def test_roles_are_created_once_in_the_first_region() -> None:
    template = onboarding_template(REQUEST)
    assert template["Conditions"]["IsPrimaryRegion"] == {"Fn::Equals": [{"Ref": "AWS::Region"}, "eu-west-1"]}
    for logical_id in ("AccessRole", "EventForwardingRole"):
        assert template["Resources"][logical_id]["Condition"] == "IsPrimaryRegion"


def test_regions_default_to_the_saas_region() -> None:
    request = OnboardingRequest(
        tenant_id="a", saas_account_id="123456789012", external_id="xx", saas_region="us-east-2"
    )
    assert request.regions == ("us-east-2",)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("saas_account_id", "12345"),
        ("saas_account_id", "12345678901a"),
        ("external_id", ""),
        ("external_id", "has space"),
        ("tenant_id", "-acme"),
        ("tenant_id", "a" * 48),
        ("saas_region", "Europe"),
        ("regions", ("eu-west-1", "moon-1")),
        ("node_role_names", ("bad role",)),
    ],
)
def test_bad_input_is_refused(field: str, value: Any) -> None:
    values = {"tenant_id": "acme", "saas_account_id": "123456789012", "external_id": "ext", field: value}
    with pytest.raises(ValidationError) as refused:
        OnboardingRequest.model_validate(values)
    assert refused.value.errors()[0]["loc"] == (field,)


def test_cli_prints_the_template(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["onboarding", "template", "--tenant", "acme", "--saas-account", "123456789012", "--external-id"]
    code = main([*argv, "7f3c-acme", "--region", "eu-west-1,us-east-1"])
    out, _ = capsys.readouterr()
    assert code == 0
    assert json.loads(out) == onboarding_template(REQUEST)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--saas-account", "1234", "--external-id", "x-1"], "saas_account_id: Value error, an AWS account id is 12"),
        (["--saas-account", "123456789012", "--external-id", ""], "external_id: Value error, external id must be"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    code = main(["onboarding", "template", "--tenant", "acme", *extra])
    _, err = capsys.readouterr()
    assert code == 2
    assert err.startswith(f"cloudoptim: error: {message}") and err.count("\n") == 1
