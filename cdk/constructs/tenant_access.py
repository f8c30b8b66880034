"""What a function that works in tenants' accounts needs: assume `CloudOptimAccess-<tenant>` (each trusting its
own ExternalId) and read CloudOptim's secrets (those ExternalIds, cluster tokens)."""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam

from cdk.constructs._cfn import acknowledge
from cdk.constructs.functions import ContractFunction

CUSTOMER_ROLE_PATTERN = "arn:aws:iam::*:role/CloudOptimAccess-*"
SECRETS = "cloudoptim/*"


def grant_tenant_access(fn: ContractFunction) -> None:
    fn.role.add_to_policy(iam.PolicyStatement(actions=["sts:AssumeRole"], resources=[CUSTOMER_ROLE_PATTERN]))
    secrets = Stack.of(fn).format_arn(
        service="secretsmanager", resource="secret", resource_name=SECRETS, arn_format=ArnFormat.COLON_RESOURCE_NAME
    )
    fn.role.add_to_policy(iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=[secrets]))
    acknowledge(
        fn.role,
        f"AwsSolutions-IAM5[Resource::{CUSTOMER_ROLE_PATTERN}]",
        "Tenant accounts register at runtime; only roles named CloudOptimAccess-<tenant> can be assumed, and each "
        "one's trust policy demands the tenant's ExternalId.",
    )
    acknowledge(
        fn.role,
        f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:{SECRETS}]",
        "ExternalIds and cluster tokens are created per tenant at onboarding under CloudOptim's own prefix; read only.",
    )
