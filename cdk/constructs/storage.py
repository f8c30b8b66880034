"""The DynamoDB tables of the platform contract: on-demand, encrypted, point-in-time recovery, TTL, and deletion
protection on every one (a stack deletion or a stray `DeleteTable` cannot take tenant data or the audit trail with
it); and the price archive bucket."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk.constructs._cfn import acknowledge, name_logical_id

_S = dynamodb.AttributeType.STRING
HIVE_MIND_REGION_INDEX = "ByRegion"  # cloudoptim.adapters.aws.tables.HIVE_MIND_REGION_INDEX
REGISTRY_POOL_INDEX = "ByPool"  # cloudoptim.adapters.aws.tables.REGISTRY_POOL_INDEX


class Storage(Construct):
    """`Registry` (index `ByPool`), `HiveMind` (TTL `expires_at`, index `ByRegion`), `Idempotency` (TTL
    `expiration`) and `Audit`."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.registry = _table(self, "Registry", "pk", "sk")
        # Sparse: only Spot nodes' INSTANCE# items carry `pool`; rebalance_pool finds every tenant's nodes in a
        # risky pool with one Query here (docs/decisions.md), never a Scan of the shared table.
        self.registry.add_global_secondary_index(
            index_name=REGISTRY_POOL_INDEX,
            partition_key=dynamodb.Attribute(name="pool", type=_S),
            sort_key=dynamodb.Attribute(name="pk", type=_S),
            projection_type=dynamodb.ProjectionType.ALL,
        )
        self.hive_mind = _table(self, "HiveMind", "pool", "tenant_id", ttl="expires_at")
        # choose_replacement reads a region's live flags with one Query here instead of a Scan of every flag.
        self.hive_mind.add_global_secondary_index(
            index_name=HIVE_MIND_REGION_INDEX,
            partition_key=dynamodb.Attribute(name="region", type=_S),
            sort_key=dynamodb.Attribute(name="expires_at", type=dynamodb.AttributeType.NUMBER),
            projection_type=dynamodb.ProjectionType.ALL,
        )
        self.idempotency = _table(self, "Idempotency", "id", None, ttl="expiration")
        self.audit = _table(self, "Audit", "pk", "sk")
        # Latest prices the engines read and the pricing jobs' state (watermarks: losing them re-scrapes 90 days).
        self.prices = _table(self, "Prices", "pk", "sk")
        self.price_archive = _archive(self)
        self.snapshots = _snapshots(self)


def _snapshots(scope: Construct) -> s3.Bucket:
    """Discovery's cluster snapshots and usage histories (`snapshots/<tenant>/...`, `usage/<tenant>/...`): private,
    encrypted, TLS only; snapshots expire after 90 days (a sweep reads the newest), histories are rewritten hourly."""
    bucket = s3.Bucket(
        scope,
        "Snapshots",
        encryption=s3.BucketEncryption.S3_MANAGED,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
        versioned=False,
        lifecycle_rules=[s3.LifecycleRule(prefix="snapshots/", expiration=Duration.days(90))],
        removal_policy=RemovalPolicy.RETAIN,
    )
    name_logical_id(bucket, "Snapshots")
    acknowledge(
        bucket,
        "AwsSolutions-S1",
        "Only the sweep function reads and writes here, each key under its tenant's prefix; CloudTrail data events "
        "can be turned on per account if object-level logs are wanted.",
    )
    return bucket


def _archive(scope: Construct) -> s3.Bucket:
    """Every price collected, by region and day: private, encrypted, TLS only, old days to infrequent access."""
    bucket = s3.Bucket(
        scope,
        "PriceArchive",
        encryption=s3.BucketEncryption.S3_MANAGED,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
        versioned=False,
        lifecycle_rules=[s3.LifecycleRule(transitions=[_infrequent_after(30)])],
        removal_policy=RemovalPolicy.RETAIN,  # years of prices cannot be fetched again (AWS keeps 90 days)
    )
    name_logical_id(bucket, "PriceArchive")
    acknowledge(
        bucket,
        "AwsSolutions-S1",
        "Only the two pricing functions write public price data here; server access logs would record nothing "
        "a tenant could be harmed by, and CloudTrail data events can be turned on per account if wanted.",
    )
    return bucket


def _table(scope: Construct, name: str, partition: str, sort: str | None, *, ttl: str | None = None) -> dynamodb.Table:
    table = dynamodb.Table(
        scope,
        name,
        partition_key=dynamodb.Attribute(name=partition, type=_S),
        sort_key=dynamodb.Attribute(name=sort, type=_S) if sort else None,
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        # AWS managed keys (aws/dynamodb), not customer-managed ones: decision 71 says why.
        encryption=dynamodb.TableEncryption.AWS_MANAGED,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        time_to_live_attribute=ttl,
        deletion_protection=True,
        removal_policy=RemovalPolicy.RETAIN,
    )
    name_logical_id(table, name)
    return table


def _infrequent_after(days: int) -> s3.Transition:
    return s3.Transition(storage_class=s3.StorageClass.INFREQUENT_ACCESS, transition_after=Duration.days(days))
