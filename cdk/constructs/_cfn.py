"""Two helpers every construct uses: stable logical ids and written-down cdk-nag acknowledgments."""

from __future__ import annotations

from typing import cast

from aws_cdk import Acknowledgment, CfnResource, Validations
from constructs import IConstruct


def name_logical_id(construct: IConstruct, logical_id: str) -> None:
    """Give the L2's resource the contract's name as logical id (local mode and operators look it up)."""
    cast(CfnResource, construct.node.default_child).override_logical_id(logical_id)


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    """Record why a cdk-nag finding is accepted; applies to the construct and everything below it.

    `rule` is the finding as cdk-nag reports it, e.g. `AwsSolutions-IAM5[Resource::*]`.
    """
    Validations.of(construct).acknowledge(Acknowledgment(id=rule, reason=reason))
