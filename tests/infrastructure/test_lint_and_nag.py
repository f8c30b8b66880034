"""cfn-lint and cdk-nag (AwsSolutions) on the SaaS template and on the tenant onboarding template.

Every accepted cdk-nag finding carries a written reason: the SaaS stack records them next to the resources
(cdk/constructs), the onboarding template's are below (the template is plain CloudFormation).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint

from cloudoptim.onboarding import OnboardingRequest, onboarding_template
from tests.infrastructure.conftest import SynthesizedSaas

# CDK writes an explicit DependsOn on roles that a GetAtt already orders: noise, not a defect.
CFN_LINT_NOISE = ["W3005"]

EXTERNAL_ID = "Xq3vN8c2Lk7PzR1tY6wB9mJ4hD0sF5gA2eU8iO1pQ7r"  # 43 URL-safe characters, as CloudOptim generates
LAUNCH_TEMPLATE = "arn:<AWS::Partition>:ec2:*:<AWS::AccountId>:launch-template/"
ONBOARDING_ACKNOWLEDGED = {
    "AwsSolutions-IAM5[Resource::*]": "EC2 Describe* calls support no resource-level permissions; the statement "
    "is limited to the tenant's regions by aws:RequestedRegion.",
    "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:eks:*:<AWS::AccountId>:cluster/*]": "Clusters are "
    "registered after onboarding: read-only DescribeCluster on this account's clusters in the tenant's regions.",
    "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:eks:*:<AWS::AccountId>:nodegroup/*/*/*]": "Node groups "
    "come and go with the clusters: List/DescribeNodegroup read them in the tenant's regions; UpdateNodegroupConfig "
    "only on those tagged cloudoptim.io/hibernate=true.",
    "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:autoscaling:*:<AWS::AccountId>:autoScalingGroup:*:*]": "Auto "
    "Scaling groups come and go with node groups: TerminateInstanceInAutoScalingGroup only on groups the customer "
    "tagged cloudoptim.io/consolidate=true, in the tenant's regions.",
    "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:*:<AWS::AccountId>:instance/*]": "Instance ids do not "
    "exist before launch: RunInstances needs one of the tenant's launch templates and the cloudoptim:tenant tag, "
    "CreateTags works only inside RunInstances, TerminateInstances only on instances carrying the tenant's tag.",
    **{
        f"AwsSolutions-IAM5[Resource::{LAUNCH_TEMPLATE}{template}]": "The tenant's own launch template, named by id; "
        "the region is a wildcard because launch template ids are unique across regions and the statement is "
        "limited to the tenant's regions."
        for template in ("lt-0123456789abcdef0", "lt-0fedcba9876543210", "lt-00000000000000001")
    },
    **{
        f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:*:<AWS::AccountId>:{kind}/*]": "RunInstances "
        f"authorises the {kind} of each launch; allowed only for launches from one of the tenant's launch templates "
        "(ec2:LaunchTemplate), and for security groups, key pairs and network interfaces only as the template names "
        "them (ec2:IsLaunchTemplateResource)."
        for kind in ("network-interface", "security-group", "spot-instances-request", "subnet", "volume", "key-pair")
    },
    "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:*::image/*]": "AMIs are owned by AWS or publishers (no "
    "account in the ARN); allowed only as the tenant's launch template names them (ec2:IsLaunchTemplateResource).",
}

REQUESTS = {
    "one-region": OnboardingRequest(
        tenant_id="acme",
        saas_account_id="123456789012",
        external_id=EXTERNAL_ID,
        launch_template_ids=("lt-0123456789abcdef0",),
    ),
    "three-regions": OnboardingRequest(
        tenant_id="globex-prod",
        saas_account_id="210987654321",
        external_id=EXTERNAL_ID[::-1],
        launch_template_ids=("lt-0fedcba9876543210", "lt-00000000000000001"),
        saas_region="us-east-1",
        regions=("us-east-1", "eu-central-1", "ap-south-1"),
        node_role_names=("eksctl-prod-nodegroup-NodeInstanceRole-1A2B3C", "AmazonEKSNodeRole"),
    ),
}


def _lint(template: dict[str, Any], regions: list[str]) -> list[str]:
    matches = lint(json.dumps(template), config=ManualArgs(regions=regions, ignore_checks=CFN_LINT_NOISE))
    return [f"{m.rule.id} {m.message} ({'/'.join(str(p) for p in m.path)})" for m in matches]


def test_cfn_lint_saas_template(saas: SynthesizedSaas) -> None:
    assert _lint(saas.template, ["eu-west-1", "us-east-1"]) == []


@pytest.mark.parametrize("case", sorted(REQUESTS))
def test_cfn_lint_onboarding_template(case: str) -> None:
    request = REQUESTS[case]
    assert _lint(onboarding_template(request), list(request.regions)) == []


def test_cdk_nag_saas_stack(saas: SynthesizedSaas) -> None:
    from cdk_nag import AwsSolutionsChecks

    report = AwsSolutionsChecks().validate_scope(saas.stack)
    assert [(v.rule_name, [r.construct_path for r in v.violating_resources]) for v in report.violations] == []


def test_every_saas_acknowledgment_has_a_reason(saas: SynthesizedSaas) -> None:
    from aws_cdk import Validations

    reasons = {}
    for construct in saas.stack.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                reasons.update(entry.data)
    assert reasons, "the stack records its accepted findings"
    assert all(len(reason) > 40 for reason in reasons.values()), reasons


@pytest.mark.parametrize("case", sorted(REQUESTS))
def test_cdk_nag_onboarding_template(case: str, tmp_path: Path) -> None:
    from aws_cdk import Acknowledgment, App, Stack, Validations
    from aws_cdk import cloudformation_include as cfn_include
    from cdk_nag import AwsSolutionsChecks

    template_file = tmp_path / "onboarding.json"
    template_file.write_text(json.dumps(onboarding_template(REQUESTS[case])))
    stack = Stack(App(outdir=str(tmp_path / "out")), "Onboarding")
    included = cfn_include.CfnInclude(stack, "Template", template_file=str(template_file))
    for rule, reason in ONBOARDING_ACKNOWLEDGED.items():
        Validations.of(included.get_resource("AccessRole")).acknowledge(Acknowledgment(id=rule, reason=reason))
    report = AwsSolutionsChecks().validate_scope(stack)
    assert [(v.rule_name, [r.construct_path for r in v.violating_resources]) for v in report.violations] == []
