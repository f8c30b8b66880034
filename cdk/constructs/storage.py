"""The four DynamoDB tables of the platform contract: on-demand, encrypted, point-in-time recovery, TTL."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from cdk.constructs._cfn import name_logical_id

_S = dynamodb.AttributeType.STRING


class Storage(Construct):
    """`Registry`, `HiveMind` (TTL `expires_at`), `Idempotency` (TTL `expiration`) and `Audit`."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.registry = _table(self, "Registry", "pk", "sk")
        self.hive_mind = _table(self, "HiveMind", "pool", "tenant_id", ttl="expires_at")
        self.idempotency = _table(self, "Idempotency", "id", None, ttl="expiration", keep=False)
        self.audit = _table(self, "Audit", "pk", "sk")


def _table(
    scope: Construct, name: str, partition: str, sort: str | None, *, ttl: str | None = None, keep: bool = True
) -> dynamodb.Table:
    table = dynamodb.Table(
        scope,
        name,
        partition_key=dynamodb.Attribute(name=partition, type=_S),
        sort_key=dynamodb.Attribute(name=sort, type=_S) if sort else None,
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        encryption=dynamodb.TableEncryption.AWS_MANAGED,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        time_to_live_attribute=ttl,
        # Tenant data outlives a stack deletion; idempotency records are disposable.
        removal_policy=RemovalPolicy.RETAIN if keep else RemovalPolicy.DESTROY,
    )
    name_logical_id(table, name)
    return table
