"""Least-privilege grants of the interruption functions, written out action by action.

CDK's `grant_read_data` includes Scan (one call would read every tenant's items) and `grant_write_data` includes
UpdateItem, DeleteItem and BatchWriteItem (the audit log must be append-only), so the grants here name each action:
keyed reads only, writes limited by `dynamodb:LeadingKeys` to the item kinds a function writes, tenant roles
assumed only with a tenant session tag, secrets by kind.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam

from cdk.constructs._cfn import acknowledge
from cdk.constructs.functions import ContractFunction
from cloudoptim.onboarding import ACCESS_ROLE_PREFIX, TENANT_TAG

KEYED_READ = ("dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:Query")
# The Registry of a function that reads a tenant: its record and its settings in one BatchGetItem (a keyed read).
REGISTRY_READ = (*KEYED_READ, "dynamodb:BatchGetItem")
CUSTOMER_ROLE_PATTERN = f"arn:aws:iam::*:role/{ACCESS_ROLE_PREFIX}*"
EXTERNAL_ID_SECRETS = "cloudoptim/*/external-id-??????"  # Secrets Manager appends 6 random characters
CLUSTER_TOKEN_SECRETS = "cloudoptim/*/*/token-??????"


def _leading(prefixes: Sequence[str] | None) -> dict[str, object] | None:
    # ForAllValues holds when the request has no key (DescribeTable), and otherwise demands every key match.
    if not prefixes:
        return None
    return {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{p}*" for p in prefixes]}}


def table_actions(
    fn: ContractFunction,
    table: dynamodb.ITable,
    actions: Sequence[str],
    prefixes: Sequence[str] | None = None,
    *,
    indexes: bool = False,
) -> None:
    """`actions` on `table` (and its indexes), on items whose partition key starts with one of `prefixes`."""
    resources = [table.table_arn, *([f"{table.table_arn}/index/*"] if indexes else [])]
    fn.role.add_to_policy(
        iam.PolicyStatement(actions=sorted(set(actions)), resources=resources, conditions=_leading(prefixes))
    )
    if indexes:
        acknowledge(
            fn.role,
            "AwsSolutions-IAM5[Resource::<HiveMind.Arn>/index/*]",
            "Query on the table's own index (ByRegion), the only index it has; no Scan is granted.",
        )


def assume_tenant_roles(fn: ContractFunction) -> None:
    """AssumeRole (and TagSession) on any tenant's CloudOptimAccess role, only with a tenant session tag."""
    fn.role.add_to_policy(
        iam.PolicyStatement(
            actions=["sts:AssumeRole", "sts:TagSession"],
            resources=[CUSTOMER_ROLE_PATTERN],
            conditions={
                "Null": {f"aws:RequestTag/{TENANT_TAG}": "false"},
                "ForAllValues:StringEquals": {"aws:TagKeys": [TENANT_TAG]},
            },
        )
    )
    acknowledge(
        fn.role,
        f"AwsSolutions-IAM5[Resource::{CUSTOMER_ROLE_PATTERN}]",
        "Tenant accounts register at runtime; only roles named CloudOptimAccess-<tenant> can be assumed, each one's "
        "trust demands the tenant's ExternalId, a session tagged with that tenant and a role under this path.",
    )
    _secrets(fn, EXTERNAL_ID_SECRETS, "ExternalIds are stored per tenant (cloudoptim/<tenant>/external-id); only "
             "the functions that assume tenant roles may read them.")  # fmt: skip


def read_cluster_tokens(fn: ContractFunction) -> None:
    _secrets(fn, CLUSTER_TOKEN_SECRETS, "Cluster tokens are stored per tenant and cluster at registration "
             "(cloudoptim/<tenant>/<cluster>/token); the pattern limits reads to those secrets.")  # fmt: skip


def write_secrets(fn: ContractFunction, pattern: str, actions: Sequence[str]) -> None:
    """Writes of CloudOptim's own secrets of one kind (the API creates ExternalIds and stores cluster tokens)."""
    arn = Stack.of(fn).format_arn(
        service="secretsmanager", resource="secret", resource_name=pattern, arn_format=ArnFormat.COLON_RESOURCE_NAME
    )
    fn.role.add_to_policy(iam.PolicyStatement(actions=sorted(actions), resources=[arn]))


def read_secrets(fn: ContractFunction, pattern: str, reason: str) -> None:
    """GetSecretValue on CloudOptim's own secrets of one kind (`pattern` under cloudoptim/), `reason` for cdk-nag."""
    _secrets(fn, pattern, reason)


def _secrets(fn: ContractFunction, pattern: str, reason: str) -> None:
    arn = Stack.of(fn).format_arn(
        service="secretsmanager", resource="secret", resource_name=pattern, arn_format=ArnFormat.COLON_RESOURCE_NAME
    )
    fn.role.add_to_policy(iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=[arn]))
    acknowledge(
        fn.role,
        f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:{pattern}]",
        reason,
    )
