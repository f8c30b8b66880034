"""What CloudOptim does in a customer's account, by purpose: one list both sides read.

The onboarding template grants the union of these actions (cloudoptim.onboarding), and every assumed-role session
carries a session policy holding only its purpose's actions (cloudoptim.adapters.aws.sts), so ingest's credentials
cannot launch and the launcher's cannot terminate. tests/infrastructure/test_customer_actions.py runs the adapters
against moto and fails when the code calls an action missing here, or an action here is never called.

>>> sorted(granted_actions())[:3]
['autoscaling:DescribeAutoScalingInstances', 'autoscaling:TerminateInstanceInAutoScalingGroup', 'ec2:CreateTags']
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal

Purpose = Literal["locate", "launch", "terminate", "cluster", "check", "discover", "hibernate", "waste", "execute"]

# Purpose -> the actions its session may use.
SESSION_ACTIONS: Mapping[Purpose, tuple[str, ...]] = MappingProxyType(
    {
        "locate": ("ec2:DescribeInstances", "ec2:DescribeAvailabilityZones"),
        "launch": ("ec2:RunInstances", "ec2:CreateTags", "iam:PassRole"),
        "terminate": ("ec2:DescribeInstances", "ec2:TerminateInstances"),
        # EKS tokens are presigned sts:GetCallerIdentity URLs, which no policy can deny: nothing else is needed.
        "cluster": ("sts:GetCallerIdentity",),
        # The API's connectivity check: the cluster's endpoint and CA, then a call to its API (purpose "cluster").
        "check": ("eks:DescribeCluster",),
        # The scheduled jobs (issue 15). Discovery reads node groups; hibernation also resizes them (the customer
        # role allows that only on groups tagged cloudoptim.io/hibernate=true); the waste scan only reads EC2.
        "discover": ("eks:ListNodegroups", "eks:DescribeNodegroup"),
        "hibernate": ("eks:ListNodegroups", "eks:DescribeNodegroup", "eks:UpdateNodegroupConfig"),
        "waste": ("ec2:DescribeInstances", "ec2:DescribeVolumes", "ec2:DescribeAddresses", "ec2:DescribeFlowLogs"),
        # The execution workflows (issue 14) remove a chosen node through its Auto Scaling group (EKS managed node
        # groups have one) with the desired capacity lowered, and read an instance's tags to know it is theirs.
        "execute": (
            "autoscaling:DescribeAutoScalingInstances",
            "autoscaling:TerminateInstanceInAutoScalingGroup",
            "ec2:DescribeInstances",
        ),
    }
)

# Purpose -> the Lambdas that assume the tenant role for it.
PURPOSE_FUNCTIONS: Mapping[Purpose, tuple[str, ...]] = MappingProxyType(
    {
        "locate": ("ingest", "api"),  # the API's account verification tries these reads (DryRun)
        "launch": ("launch_replacement", "execute_step"),
        "terminate": ("terminate_replacement", "execute_step"),
        "cluster": (
            "node_status",
            "cordon_node",
            "evict_pods",
            "api",
            "discover_clusters",
            "hibernation_step",
            "waste_scan",
            "sweep_step",
            "execute_step",
        ),
        "check": ("api",),
        "discover": ("discover_clusters",),
        "hibernate": ("hibernation_step",),
        "waste": ("waste_scan",),
        "execute": ("execute_step",),
    }
)

# Authorised as part of another call, never called on their own: RunInstances with TagSpecifications needs
# CreateTags, and a launch template's instance profile needs PassRole of its role.
IMPLIED_BY: Mapping[str, str] = MappingProxyType(
    {"ec2:CreateTags": "ec2:RunInstances", "iam:PassRole": "ec2:RunInstances"}
)

# Needs no permission at all, so the template grants nothing for it.
NO_PERMISSION_NEEDED = frozenset({"sts:GetCallerIdentity"})


def granted_actions() -> frozenset[str]:
    """What the customer role must allow: every purpose's actions but those no permission governs."""
    return frozenset(a for actions in SESSION_ACTIONS.values() for a in actions) - NO_PERMISSION_NEEDED


def functions_using(action: str) -> tuple[str, ...]:
    """The Lambdas whose sessions may use `action` (docs/onboarding.md names them per action)."""
    return tuple(
        f for purpose, actions in SESSION_ACTIONS.items() if action in actions for f in PURPOSE_FUNCTIONS[purpose]
    )
