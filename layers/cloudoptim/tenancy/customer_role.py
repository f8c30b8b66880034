"""The customer role's policies: who may assume it (trust) and what it may do (access), per tenant.

Each action is there because code calls it (cloudoptim.tenancy.actions; tests/infrastructure/test_customer_actions.py
holds the two together) and docs/onboarding.md says why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cloudoptim.onboarding import OnboardingRequest

TENANT_TAG = "cloudoptim:tenant"  # on every instance launch_replacement starts, and on every assumed session
# The SaaS roles that may assume a tenant's role live under this IAM path (cdk/constructs/functions.py); the
# customer's trust policy names it with aws:PrincipalArn, so no other principal of the SaaS account qualifies.
SAAS_ASSUMER_PATH = "/cloudoptim/tenant-access/"
# The customer opts a node group in to node removal by the execution workflows with this tag on its Auto Scaling group.
CONSOLIDATE_TAG = "cloudoptim.io/consolidate"


def trust_statements(request: OnboardingRequest) -> list[dict[str, Any]]:
    """Who may assume the role: only the SaaS roles under SAAS_ASSUMER_PATH (not the whole SaaS account), with the
    tenant's ExternalId and a session tagged with the tenant (a session for another tenant cannot be made here)."""
    saas = request.saas_account_id
    assumers = {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{saas}:role{SAAS_ASSUMER_PATH}*"}}
    tenant_tag = {f"aws:RequestTag/{TENANT_TAG}": request.tenant_id}
    return [
        {
            "Sid": "SaasAssumesWithExternalId",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{saas}:root"},
            "Action": "sts:AssumeRole",
            "Condition": {**assumers, "StringEquals": {"sts:ExternalId": request.external_id, **tenant_tag}},
        },
        {
            "Sid": "SaasTagsSessionsWithTheTenant",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{saas}:root"},
            "Action": "sts:TagSession",
            "Condition": {
                **assumers,
                "StringEquals": tenant_tag,
                "ForAllValues:StringEquals": {"aws:TagKeys": [TENANT_TAG]},
            },
        },
    ]


def access_statements(request: OnboardingRequest) -> list[dict[str, Any]]:
    """Every statement of the access role; docs/onboarding.md gives the reason for each action, and
    cloudoptim.tenancy.actions the code that calls it. RunInstances only from the tenant's launch templates, with
    the image, security groups, key pair and network interfaces the template names (only instance type, subnet and
    market options may be overridden); PassRole only on named node roles."""
    regions = list(request.regions)
    in_regions = {"StringEquals": {"aws:RequestedRegion": regions}}
    templates = [_ec2_arn(f"launch-template/{template}") for template in request.launch_template_ids]
    from_templates = {"ArnLike": {"ec2:LaunchTemplate": templates}}
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReadEc2State",
            "Effect": "Allow",
            "Action": ["ec2:DescribeAvailabilityZones", "ec2:DescribeInstances"],
            "Resource": "*",  # EC2 Describe* calls support no resource-level permissions
            "Condition": in_regions,
        },
        {
            "Sid": "DescribeClusters",
            "Effect": "Allow",
            "Action": "eks:DescribeCluster",
            "Resource": {"Fn::Sub": "arn:${AWS::Partition}:eks:*:${AWS::AccountId}:cluster/*"},
            "Condition": in_regions,
        },
        {
            "Sid": "ReadForWasteScan",
            "Effect": "Allow",
            "Action": ["ec2:DescribeAddresses", "ec2:DescribeFlowLogs", "ec2:DescribeVolumes"],
            "Resource": "*",  # EC2 Describe* calls support no resource-level permissions
            "Condition": in_regions,
        },
        {
            "Sid": "ReadNodeGroups",
            "Effect": "Allow",
            "Action": ["eks:DescribeNodegroup", "eks:ListNodegroups"],
            "Resource": [
                {"Fn::Sub": "arn:${AWS::Partition}:eks:*:${AWS::AccountId}:cluster/*"},
                {"Fn::Sub": "arn:${AWS::Partition}:eks:*:${AWS::AccountId}:nodegroup/*/*/*"},
            ],
            "Condition": in_regions,
        },
        {
            # Hibernation's one write: only node groups their owner tagged for it (E5 scales node groups down/up).
            "Sid": "ResizeNodeGroupsTaggedForHibernation",
            "Effect": "Allow",
            "Action": "eks:UpdateNodegroupConfig",
            "Resource": {"Fn::Sub": "arn:${AWS::Partition}:eks:*:${AWS::AccountId}:nodegroup/*/*/*"},
            "Condition": {
                "StringEquals": {"aws:RequestedRegion": regions, "aws:ResourceTag/cloudoptim.io/hibernate": "true"}
            },
        },
        {
            "Sid": "ReadAutoScalingMembership",
            "Effect": "Allow",
            "Action": "autoscaling:DescribeAutoScalingInstances",
            "Resource": "*",  # Describe* calls support no resource-level permissions
            "Condition": in_regions,
        },
        {
            # The execution workflows' node removal (a consolidation the customer approved): only from groups their
            # owner tagged for it, always with the desired capacity lowered so the group does not replace the node.
            "Sid": "RemoveNodesFromGroupsTaggedForConsolidation",
            "Effect": "Allow",
            "Action": "autoscaling:TerminateInstanceInAutoScalingGroup",
            "Resource": {"Fn::Sub": "arn:${AWS::Partition}:autoscaling:*:${AWS::AccountId}:autoScalingGroup:*:*"},
            "Condition": {
                "StringEquals": {"aws:RequestedRegion": regions, f"aws:ResourceTag/{CONSOLIDATE_TAG}": "true"}
            },
        },
        {
            "Sid": "LaunchOnlyFromTheTenantsLaunchTemplates",
            "Effect": "Allow",
            "Action": "ec2:RunInstances",
            "Resource": templates,
            "Condition": in_regions,
        },
        {
            "Sid": "LaunchTaggedInstance",
            "Effect": "Allow",
            "Action": "ec2:RunInstances",
            "Resource": _ec2_arn("instance/*"),
            "Condition": {
                **from_templates,
                "StringEquals": {"aws:RequestedRegion": regions, f"aws:RequestTag/{TENANT_TAG}": request.tenant_id},
            },
        },
        {
            "Sid": "LaunchWithTheTemplatesImageNetworkAndKeys",
            "Effect": "Allow",
            "Action": "ec2:RunInstances",
            "Resource": [
                {"Fn::Sub": "arn:${AWS::Partition}:ec2:*::image/*"},
                _ec2_arn("security-group/*"),
                _ec2_arn("key-pair/*"),
                _ec2_arn("network-interface/*"),
            ],
            "Condition": {**in_regions, **from_templates, "Bool": {"ec2:IsLaunchTemplateResource": "true"}},
        },
        {
            "Sid": "LaunchInAnySubnetWithSpotMarketOptions",
            "Effect": "Allow",
            "Action": "ec2:RunInstances",
            "Resource": [_ec2_arn("subnet/*"), _ec2_arn("volume/*"), _ec2_arn("spot-instances-request/*")],
            "Condition": {**in_regions, **from_templates},
        },
        {
            "Sid": "TagOnlyAtLaunch",
            "Effect": "Allow",
            "Action": "ec2:CreateTags",
            "Resource": [
                _ec2_arn(f"{kind}/*") for kind in ("instance", "volume", "network-interface", "spot-instances-request")
            ],
            "Condition": {"StringEquals": {"aws:RequestedRegion": regions, "ec2:CreateAction": "RunInstances"}},
        },
        {
            "Sid": "TerminateOnlyInstancesCloudOptimLaunched",
            "Effect": "Allow",
            "Action": "ec2:TerminateInstances",
            "Resource": _ec2_arn("instance/*"),
            "Condition": {
                "StringEquals": {"aws:RequestedRegion": regions, f"aws:ResourceTag/{TENANT_TAG}": request.tenant_id}
            },
        },
        {
            "Sid": "PassOnlyTheNamedNodeRoles",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": [
                {"Fn::Sub": f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{name}"}
                for name in request.node_role_names
            ],
            "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
        },
    ]
    return statements


def _ec2_arn(resource: str) -> dict[str, str]:
    return {"Fn::Sub": f"arn:${{AWS::Partition}}:ec2:*:${{AWS::AccountId}}:{resource}"}
