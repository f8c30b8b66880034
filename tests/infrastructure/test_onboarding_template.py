"""The tenant onboarding template, read as IAM: the trust narrowed to CloudOptim's assuming roles with the tenant's
ExternalId and session tag; RunInstances pinned to the tenant's launch templates (image, security groups, key pair
and network interfaces as the template names them; only type, subnet and market options may differ); PassRole on
named roles only; every action documented with the code that calls it; event forwarding; the CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from cli.main import main
from cloudoptim.onboarding import EC2_EVENTS, HEALTH_EVENTS, SAAS_ASSUMER_PATH, OnboardingRequest, onboarding_template
from cloudoptim.tenancy.actions import functions_using, granted_actions

DOC = Path(__file__).resolve().parents[2] / "docs" / "onboarding.md"
EXTERNAL_ID = "Xq3vN8c2Lk7PzR1tY6wB9mJ4hD0sF5gA2eU8iO1pQ7r"
TEMPLATES = ("lt-0123456789abcdef0", "lt-0fedcba9876543210")
REQUEST = OnboardingRequest(
    tenant_id="acme",
    saas_account_id="123456789012",
    external_id=EXTERNAL_ID,
    launch_template_ids=TEMPLATES,
    saas_region="eu-west-1",
    regions=("eu-west-1", "us-east-1"),
)
TEMPLATE_ARNS = [
    {"Fn::Sub": f"arn:${{AWS::Partition}}:ec2:*:${{AWS::AccountId}}:launch-template/{t}"} for t in TEMPLATES
]
PINNED = ("image", "security-group", "key-pair", "network-interface")  # only as the launch template names them
OVERRIDABLE = ("subnet", "volume", "spot-instances-request")


def _role(template: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = template["Resources"]["AccessRole"]["Properties"]
    return properties


def _statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = _role(template)["Policies"][0]["PolicyDocument"]["Statement"]
    return statements


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _kind(resource: Any) -> str:
    """`{"Fn::Sub": "arn:...:ec2:*:...:security-group/*"}` -> `security-group`."""
    text = resource["Fn::Sub"] if isinstance(resource, dict) else resource
    return str(text).rsplit(":", 1)[-1].split("/", 1)[0]


def _allowing(action: str, kind: str) -> list[dict[str, Any]]:
    """The statements that allow `action` on resources of `kind`."""
    return [
        s
        for s in _statements(onboarding_template(REQUEST))
        if action in _listed(s["Action"]) and any(r == "*" or _kind(r) == kind for r in _listed(s["Resource"]))
    ]


def test_trust_names_only_the_saas_assumer_roles_with_external_id_and_tenant_tag() -> None:
    assume, tag = _role(onboarding_template(REQUEST))["AssumeRolePolicyDocument"]["Statement"]
    for statement in (assume, tag):
        assert statement["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
        # the account's root as principal, narrowed: no other principal of the SaaS account qualifies
        assert statement["Condition"]["ArnLike"] == {
            "aws:PrincipalArn": f"arn:aws:iam::123456789012:role{SAAS_ASSUMER_PATH}*"
        }
        assert statement["Condition"]["StringEquals"]["aws:RequestTag/cloudoptim:tenant"] == "acme"
    assert assume["Action"] == "sts:AssumeRole"
    assert assume["Condition"]["StringEquals"]["sts:ExternalId"] == EXTERNAL_ID
    assert tag["Action"] == "sts:TagSession"
    assert tag["Condition"]["ForAllValues:StringEquals"] == {"aws:TagKeys": ["cloudoptim:tenant"]}


def test_run_instances_only_from_the_tenants_launch_templates() -> None:
    (templates,) = _allowing("ec2:RunInstances", "launch-template")
    assert templates["Resource"] == TEMPLATE_ARNS  # an allow-list: no other launch template, no wildcard
    for kind in ("instance", *PINNED, *OVERRIDABLE):
        for statement in _allowing("ec2:RunInstances", kind):
            assert statement["Condition"]["ArnLike"] == {"ec2:LaunchTemplate": TEMPLATE_ARNS}, kind


def test_image_security_groups_key_pair_and_interfaces_cannot_be_overridden() -> None:
    for kind in PINNED:
        allowing = _allowing("ec2:RunInstances", kind)
        assert allowing, kind
        for statement in allowing:
            assert statement["Condition"]["Bool"] == {"ec2:IsLaunchTemplateResource": "true"}, kind
    for kind in OVERRIDABLE:  # instance type, subnet and Spot market options may be chosen at launch
        assert all("Bool" not in s["Condition"] for s in _allowing("ec2:RunInstances", kind)), kind


def test_launched_instances_carry_the_tenant_tag_and_only_those_can_be_terminated() -> None:
    (instance,) = _allowing("ec2:RunInstances", "instance")
    assert instance["Condition"]["StringEquals"]["aws:RequestTag/cloudoptim:tenant"] == "acme"
    (tagging,) = _allowing("ec2:CreateTags", "instance")
    assert tagging["Condition"]["StringEquals"]["ec2:CreateAction"] == "RunInstances"
    (terminate,) = _allowing("ec2:TerminateInstances", "instance")
    assert terminate["Condition"]["StringEquals"]["aws:ResourceTag/cloudoptim:tenant"] == "acme"


def test_pass_role_only_on_the_named_node_roles_and_only_to_ec2() -> None:
    (passing,) = [s for s in _statements(onboarding_template(REQUEST)) if s["Action"] == "iam:PassRole"]
    assert passing["Resource"] == [{"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/AmazonEKSNodeRole"}]
    assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}


@pytest.mark.parametrize("name", ["*", "eksctl-*", "Node*Role", "a b"])
def test_node_role_wildcards_are_refused(name: str) -> None:
    with pytest.raises(ValidationError, match="node_role_names"):
        OnboardingRequest.model_validate({**REQUEST.model_dump(), "node_role_names": (name,)})


def test_granted_actions_are_what_the_code_calls_each_documented_with_its_callers() -> None:
    granted = {a for s in _statements(onboarding_template(REQUEST)) for a in _listed(s["Action"])}
    assert granted == granted_actions()  # tests/infrastructure/test_customer_actions.py ties these to the code
    assert not [a for a in granted if "*" in a]
    documented = dict(re.findall(r"^\| `([a-z0-9]+:[A-Za-z]+)` \|[^\n]*\| ([a-z_, ]+) \|$", DOC.read_text(), re.M))
    assert set(documented) == granted
    for action, used_by in documented.items():
        assert set(used_by.replace(" ", "").split(",")) == set(functions_using(action)), action


def test_every_regional_statement_is_limited_to_the_tenant_regions() -> None:
    for statement in _statements(onboarding_template(REQUEST)):
        if statement["Action"] != "iam:PassRole":
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
    request = OnboardingRequest.model_validate({**REQUEST.model_dump(), "regions": (), "saas_region": "us-east-2"})
    assert request.regions == ("us-east-2",)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("saas_account_id", "12345"),
        ("saas_account_id", "12345678901a"),
        ("external_id", ""),
        ("external_id", "7f3c-acme"),  # chosen by an operator, derived from the tenant: refused
        ("external_id", "x" * 31),
        ("external_id", "has space" * 4),
        ("launch_template_ids", ()),
        ("launch_template_ids", ("lt-*",)),
        ("tenant_id", "-acme"),
        ("tenant_id", "a" * 48),
        ("saas_region", "Europe"),
        ("regions", ("eu-west-1", "moon-1")),
        ("node_role_names", ("bad role",)),
    ],
)
def test_bad_input_is_refused(field: str, value: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        OnboardingRequest.model_validate({**REQUEST.model_dump(), field: value})
    assert refused.value.errors()[0]["loc"] == (field,)


ARGV = ["onboarding", "template", "--tenant", "acme", "--saas-account", "123456789012"]


def test_cli_prints_the_template(capsys: pytest.CaptureFixture[str]) -> None:
    code = main([*ARGV, "--external-id", EXTERNAL_ID, "--launch-template", ",".join(TEMPLATES),
                 "--region", "eu-west-1,us-east-1"])  # fmt: skip
    out, _ = capsys.readouterr()
    assert code == 0
    assert json.loads(out) == onboarding_template(REQUEST)


def test_cli_generates_an_external_id_when_none_is_given(capsys: pytest.CaptureFixture[str]) -> None:
    ids = []
    for _ in range(2):
        assert main([*ARGV, "--launch-template", TEMPLATES[0]]) == 0
        out, err = capsys.readouterr()
        trust = _role(json.loads(out))["AssumeRolePolicyDocument"]["Statement"][0]
        ids.append(trust["Condition"]["StringEquals"]["sts:ExternalId"])
        assert ids[-1] in err  # the operator is told which one was generated
    assert all(len(i) >= 43 for i in ids) and ids[0] != ids[1]  # 256 random bits each


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--saas-account", "1234", "--external-id", EXTERNAL_ID], "saas_account_id: Value error, an AWS account id"),
        (
            ["--saas-account", "123456789012", "--external-id", "short-one"],
            "external_id: Value error, external id must",
        ),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    code = main(["onboarding", "template", "--tenant", "acme", "--launch-template", TEMPLATES[0], *extra])
    _, err = capsys.readouterr()
    assert code == 2
    assert err.startswith(f"cloudoptim: error: {message}") and err.count("\n") == 1
