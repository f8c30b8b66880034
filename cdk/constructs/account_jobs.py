"""Jobs that read tenants' accounts and clusters through their roles: `discover_clusters` hourly (nodes and node
groups) and `waste_scan` daily (W1-W4 findings, proposals only)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from aws_cdk import Duration
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk.constructs import grants
from cdk.constructs.functions import ContractFunction
from cdk.constructs.hibernation import AUDIT_ACTIONS, DOCUMENT_ACTIONS
from cdk.constructs.layers import Layers
from cdk.constructs.schedules import every
from cdk.constructs.storage import Storage
from cdk.manifest import FUNCTION_LAYERS
from cloudoptim.tenancy.customer_role import SAAS_ASSUMER_PATH


class AccountJobs(Construct):
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
    ) -> None:
        super().__init__(scope, construct_id)

        def function(name: str, timeout: Duration, memory: int) -> ContractFunction:
            return ContractFunction(
                self, name, name=name, code=code[name], layers=layers.for_function(FUNCTION_LAYERS[name]),
                environment=environment, timeout=timeout, memory_mb=memory, log_retention=log_retention,
                role_path=SAAS_ASSUMER_PATH,  # both assume tenant roles, whose trust names this path
            )  # fmt: skip

        self.discover = function("discover_clusters", Duration.minutes(10), 512)
        self.waste = function("waste_scan", Duration.minutes(15), 1024)
        # Documents (clusters, findings, first-seen records) and, for discovery, INSTANCE# items: Puts and Queries.
        grants.table_actions(self.discover, storage.registry, DOCUMENT_ACTIONS, ["TENANT#", "INSTANCE#"])
        # S7 feedback's evidence: one conditional UpdateItem per pool and run on the pool's hours counter
        grants.table_actions(self.discover, storage.hive_mind, ["dynamodb:DescribeTable", "dynamodb:UpdateItem"])
        grants.table_actions(self.waste, storage.registry, DOCUMENT_ACTIONS, ["TENANT#"])
        for fn in (self.discover, self.waste):
            grants.assume_tenant_roles(fn)
            grants.read_cluster_tokens(fn)
        grants.table_actions(self.waste, storage.audit, AUDIT_ACTIONS, ["TENANT#"])
        grants.table_actions(self.waste, storage.prices, ["dynamodb:GetItem"])  # the scraped On-Demand list
        every(self, "DiscoverClustersSchedule", self.discover, Duration.hours(1))
        every(self, "WasteScanSchedule", self.waste, Duration.days(1))
