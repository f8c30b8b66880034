"""The per-tenant CloudFormation onboarding template (pure: a request in, a template dict out).

The customer deploys it in each region where their clusters run (a StackSet, primary region first). The
primary region creates the two IAM roles (IAM is global); every region gets the EventBridge rules that
forward the interruption events to the SaaS bus. Each permission is explained in docs/onboarding.md.

>>> request = OnboardingRequest(tenant_id="acme", saas_account_id="123456789012", external_id="x-42")
>>> sorted(onboarding_template(request)["Resources"])
['AccessRole', 'Ec2EventsRule', 'EventForwardingRole', 'HealthEventsRule']
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

EVENT_BUS_NAME = "cloudoptim-events"
ACCESS_ROLE_PREFIX = "CloudOptimAccess-"
FORWARDING_ROLE_PREFIX = "CloudOptimEvents-"
TENANT_TAG = "cloudoptim:tenant"  # set by launch_replacement on every instance it starts

EC2_EVENTS: Mapping[str, Any] = {
    "source": ["aws.ec2"],
    "detail-type": [
        "EC2 Spot Instance Interruption Warning",
        "EC2 Instance Rebalance Recommendation",
        "EC2 Instance State-change Notification",
    ],
}
HEALTH_EVENTS: Mapping[str, Any] = {
    "source": ["aws.health"],
    "detail-type": ["AWS Health Event"],
    "detail": {"service": ["EC2"], "eventTypeCategory": ["scheduledChange"]},
}
INTERRUPTION_EVENT_PATTERNS: tuple[Mapping[str, Any], ...] = (EC2_EVENTS, HEALTH_EVENTS)

_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
_TENANT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")
_EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]+$")
_ROLE_NAME = re.compile(r"^[\w+=,.@*-]{1,64}$")
# IAM role names stop at 64 characters; both role names carry the tenant after a 17-character prefix.
TENANT_MAX = 64 - len(ACCESS_ROLE_PREFIX)


class OnboardingRequest(BaseModel):
    """One tenant's onboarding: who may assume the role, which regions, which node roles may be passed."""

    model_config = ConfigDict(frozen=True)

    tenant_id: str = Field(description="tenant id as in the registry (TENANT#<tenant>)")
    saas_account_id: str
    external_id: str
    saas_region: str = "eu-west-1"
    regions: tuple[str, ...] = Field(default=(), description="customer regions; the first creates the roles")
    node_role_names: tuple[str, ...] = Field(default=("AmazonEKSNodeRole",), min_length=1)

    @field_validator("tenant_id")
    @classmethod
    def _tenant(cls, value: str) -> str:
        if not _TENANT.match(value) or len(value) > TENANT_MAX:
            raise ValueError(f"tenant id must be 1-{TENANT_MAX} letters, digits or '-', not starting with '-'")
        return value

    @field_validator("saas_account_id")
    @classmethod
    def _account(cls, value: str) -> str:
        if len(value) != 12 or not value.isdigit():
            raise ValueError(f"an AWS account id is 12 digits, got {value!r}")
        return value

    @field_validator("external_id")
    @classmethod
    def _external_id(cls, value: str) -> str:
        if not 2 <= len(value) <= 1224 or not _EXTERNAL_ID.match(value):
            raise ValueError("external id must be 2-1224 characters of letters, digits and +=,.@:/-_")
        return value

    @field_validator("saas_region")
    @classmethod
    def _saas_region(cls, value: str) -> str:
        return _region(value)

    @field_validator("regions")
    @classmethod
    def _regions(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(_region(region) for region in value))

    @field_validator("node_role_names")
    @classmethod
    def _node_roles(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            if not _ROLE_NAME.match(name):
                raise ValueError(f"{name!r} is not an IAM role name (a trailing * is allowed)")
        return value

    @model_validator(mode="before")
    @classmethod
    def _default_regions(cls, values: Any) -> Any:
        # No region given: the clusters run where the SaaS does.
        if isinstance(values, dict) and not values.get("regions"):
            return {**values, "regions": (values.get("saas_region", "eu-west-1"),)}
        return values

    @property
    def access_role_name(self) -> str:
        return f"{ACCESS_ROLE_PREFIX}{self.tenant_id}"

    @property
    def forwarding_role_name(self) -> str:
        return f"{FORWARDING_ROLE_PREFIX}{self.tenant_id}"

    @property
    def event_bus_arn(self) -> str:
        return f"arn:aws:events:{self.saas_region}:{self.saas_account_id}:event-bus/{EVENT_BUS_NAME}"


def _region(value: str) -> str:
    if not _REGION.match(value):
        raise ValueError(f"{value!r} is not an AWS region name such as eu-west-1")
    return value


def onboarding_template(request: OnboardingRequest) -> dict[str, Any]:
    """The CloudFormation template (a JSON-ready dict) the tenant deploys in each of its regions."""
    primary = request.regions[0]
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"CloudOptim onboarding for tenant {request.tenant_id}: access role and event forwarding",
        "Metadata": {"CloudOptim": {"TenantId": request.tenant_id, "Regions": list(request.regions)}},
        "Rules": {
            "TenantRegion": {
                "Assertions": [
                    {
                        "Assert": {"Fn::Contains": [list(request.regions), {"Ref": "AWS::Region"}]},
                        "AssertDescription": f"Deploy this stack in the tenant's regions: {', '.join(request.regions)}",
                    }
                ]
            }
        },
        "Conditions": {"IsPrimaryRegion": {"Fn::Equals": [{"Ref": "AWS::Region"}, primary]}},
        "Resources": {
            "AccessRole": _access_role(request),
            "EventForwardingRole": _forwarding_role(request),
            "Ec2EventsRule": _rule(request, EC2_EVENTS, "EC2 Spot warnings, rebalance recommendations, state changes"),
            "HealthEventsRule": _rule(request, HEALTH_EVENTS, "AWS Health scheduled changes of EC2"),
        },
        "Outputs": {
            "AccessRoleArn": {"Condition": "IsPrimaryRegion", "Value": {"Fn::GetAtt": ["AccessRole", "Arn"]}},
            "TenantId": {"Value": request.tenant_id},
        },
    }


def _access_role(request: OnboardingRequest) -> dict[str, Any]:
    return {
        "Type": "AWS::IAM::Role",
        "Condition": "IsPrimaryRegion",
        "Properties": {
            "RoleName": request.access_role_name,
            "Description": "CloudOptim reads the cluster's EC2 state and launches replacement nodes",
            "MaxSessionDuration": 3600,
            "AssumeRolePolicyDocument": _document(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{request.saas_account_id}:root"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"sts:ExternalId": request.external_id}},
                }
            ),
            "Policies": [{"PolicyName": "CloudOptimAccess", "PolicyDocument": _document(*access_statements(request))}],
        },
    }


def access_statements(request: OnboardingRequest) -> list[dict[str, Any]]:
    """Every statement of the access role; docs/onboarding.md gives the reason for each action."""
    regions = list(request.regions)
    in_regions = {"StringEquals": {"aws:RequestedRegion": regions}}
    from_template = {"ArnLike": {"ec2:LaunchTemplate": _ec2_arn("launch-template/*")}}
    return [
        {
            "Sid": "ReadEc2State",
            "Effect": "Allow",
            "Action": [
                "ec2:DescribeAvailabilityZones",
                "ec2:DescribeInstances",
                "ec2:DescribeInstanceTypes",
                "ec2:DescribeLaunchTemplateVersions",
                "ec2:DescribeSpotPriceHistory",
                "ec2:DescribeSubnets",
            ],
            "Resource": "*",  # EC2 Describe* calls support no resource-level permissions
            "Condition": in_regions,
        },
        {
            "Sid": "ReadClusters",
            "Effect": "Allow",
            "Action": "eks:DescribeCluster",
            "Resource": {"Fn::Sub": "arn:${AWS::Partition}:eks:*:${AWS::AccountId}:cluster/*"},
            "Condition": in_regions,
        },
        # The scheduled jobs (issue 15): the waste scan and discovery only read.
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
            "Sid": "LaunchTaggedInstanceFromLaunchTemplate",
            "Effect": "Allow",
            "Action": "ec2:RunInstances",
            "Resource": _ec2_arn("instance/*"),
            "Condition": {
                **from_template,
                "StringEquals": {"aws:RequestedRegion": regions, f"aws:RequestTag/{TENANT_TAG}": request.tenant_id},
            },
        },
        {
            "Sid": "LaunchResourcesFromLaunchTemplate",
            "Effect": "Allow",
            "Action": "ec2:RunInstances",
            "Resource": [
                *(
                    _ec2_arn(kind)
                    for kind in (
                        "launch-template/*",
                        "network-interface/*",
                        "security-group/*",
                        "spot-instances-request/*",
                        "subnet/*",
                        "volume/*",
                        "key-pair/*",
                    )
                ),
                {"Fn::Sub": "arn:${AWS::Partition}:ec2:*::image/*"},
            ],
            "Condition": {**in_regions, **from_template},
        },
        {
            "Sid": "TagOnlyAtLaunch",
            "Effect": "Allow",
            "Action": "ec2:CreateTags",
            "Resource": [_ec2_arn("instance/*"), _ec2_arn("volume/*"), _ec2_arn("spot-instances-request/*")],
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
            "Sid": "PassOnlyTheNodeRole",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": [
                {"Fn::Sub": f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{name}"}
                for name in request.node_role_names
            ],
            "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
        },
    ]


def _forwarding_role(request: OnboardingRequest) -> dict[str, Any]:
    return {
        "Type": "AWS::IAM::Role",
        "Condition": "IsPrimaryRegion",
        "Properties": {
            "RoleName": request.forwarding_role_name,
            "Description": "EventBridge forwards interruption events to the CloudOptim event bus",
            "AssumeRolePolicyDocument": _document(
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
                }
            ),
            "Policies": [
                {
                    "PolicyName": "PutEventsOnCloudOptimBus",
                    "PolicyDocument": _document(
                        {"Effect": "Allow", "Action": "events:PutEvents", "Resource": request.event_bus_arn}
                    ),
                }
            ],
        },
    }


def _rule(request: OnboardingRequest, pattern: Mapping[str, Any], description: str) -> dict[str, Any]:
    # Secondary regions refer to the role the primary region created, by its fixed name.
    role_arn = {
        "Fn::If": [
            "IsPrimaryRegion",
            {"Fn::GetAtt": ["EventForwardingRole", "Arn"]},
            {"Fn::Sub": f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{request.forwarding_role_name}"},
        ]
    }
    return {
        "Type": "AWS::Events::Rule",
        "Properties": {
            "Description": f"CloudOptim ({request.tenant_id}): {description}",
            "State": "ENABLED",
            "EventPattern": dict(pattern),
            "Targets": [{"Id": "CloudOptimEventBus", "Arn": request.event_bus_arn, "RoleArn": role_arn}],
        },
    }


def _ec2_arn(resource: str) -> dict[str, str]:
    return {"Fn::Sub": f"arn:${{AWS::Partition}}:ec2:*:${{AWS::AccountId}}:{resource}"}


def _document(*statements: Mapping[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}
