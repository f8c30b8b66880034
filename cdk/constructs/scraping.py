"""Pricing data (flow 4): `scrape_prices` hourly and `fill_price_gaps` daily, writing the Prices table and the
archive; both read Spot prices in the SaaS account (no tenant role) and the Pricing API."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk.constructs import grants
from cdk.constructs._cfn import acknowledge
from cdk.constructs.functions import ContractFunction
from cdk.constructs.layers import Layers
from cdk.constructs.schedules import every
from cdk.constructs.storage import Storage
from cdk.manifest import FUNCTION_LAYERS

SPOT_READS = ["ec2:DescribeSpotPriceHistory", "ec2:DescribeAvailabilityZones"]


class Scraping(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        storage: Storage,
        layers: Layers,
        code: Mapping[str, Path],
        environment: Mapping[str, str],
        log_retention: logs.RetentionDays,
        every_minutes: int,
        regions: Sequence[str],
        pricing_endpoint_url: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        env = {
            **environment,
            "PRICE_ARCHIVE_BUCKET": storage.price_archive.bucket_name,
            "PRICING_API_REGION": "us-east-1",  # the Pricing API answers there for every region
            "DEFAULT_PRICE_REGIONS": ",".join(regions),
            **({"PRICING_ENDPOINT_URL": pricing_endpoint_url} if pricing_endpoint_url else {}),
        }

        def function(name: str) -> ContractFunction:
            return ContractFunction(
                self, name, name=name, code=code[name], layers=layers.for_function(FUNCTION_LAYERS[name]),
                environment=env, timeout=Duration.minutes(15), memory_mb=512, log_retention=log_retention,
            )  # fmt: skip

        self.scrape = function("scrape_prices")
        self.fill = function("fill_price_gaps")
        for fn in (self.scrape, self.fill):
            self._grant(storage, fn)
        self.scrape.role.add_to_policy(iam.PolicyStatement(actions=["pricing:GetProducts"], resources=["*"]))
        every(self, "ScrapePricesSchedule", self.scrape, Duration.minutes(every_minutes))
        every(self, "FillPriceGapsSchedule", self.fill, Duration.days(1))

    @staticmethod
    def _grant(storage: Storage, fn: ContractFunction) -> None:
        # merge_spot writes pools in batches; state and lists are Puts; reads are Gets and Queries, never Scans
        storage.prices.grant(
            fn.role, "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:BatchWriteItem"
        )
        grants.table_actions(fn, storage.registry, ["dynamodb:Query"], ["TENANT#"])  # tenants' regions, via the index
        archive = storage.price_archive
        fn.role.add_to_policy(iam.PolicyStatement(actions=["s3:GetObject", "s3:PutObject"],
                                                  resources=[archive.arn_for_objects("*")]))  # fmt: skip
        # without ListBucket a missing day file answers 403 instead of 404
        fn.role.add_to_policy(iam.PolicyStatement(actions=["s3:ListBucket"], resources=[archive.bucket_arn]))
        fn.role.add_to_policy(iam.PolicyStatement(actions=SPOT_READS, resources=["*"]))
        acknowledge(
            fn.role,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray writes, EC2 DescribeSpotPriceHistory / DescribeAvailabilityZones and Pricing GetProducts support "
            "no resource-level permissions (read-only calls in the SaaS account).",
        )
        acknowledge(
            fn.role,
            "AwsSolutions-IAM5[Resource::<PriceArchive.Arn>/*]",
            "Day files are created per region and day at run time; only Get and Put inside the price archive.",
        )
