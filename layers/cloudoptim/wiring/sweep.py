"""The sweep's composition: tenant documents and the audit log (DynamoDB), snapshots (S3), the tenants' clusters
through their roles, the hive mind's flags, the shipped prices, and the state machines it starts."""

from __future__ import annotations

from cloudoptim.adapters.aws import clients
from cloudoptim.adapters.aws.snapshots import S3Snapshots
from cloudoptim.adapters.aws.stepfunctions import SfnWorkflows
from cloudoptim.adapters.day_zero import load_day_zero
from cloudoptim.adapters.sweep_inputs import HiveFlaggedPools, StoredSweepInputs
from cloudoptim.adapters.tenant_access import TenantClusterAccess
from cloudoptim.optimization.discover import DiscoveryDeps
from cloudoptim.optimization.ports import OptimizationDeps
from cloudoptim.optimization.sweep_plan import PlanDeps
from cloudoptim.optimization.sweep_steps import SweepDeps
from cloudoptim.settings import SweepStepSettings
from cloudoptim.wiring import stores
from cloudoptim.wiring.hibernation import tenant_accounts
from cloudoptim.wiring.tenancy import audit_log, documents


def sweep_deps(settings: SweepStepSettings) -> SweepDeps:
    docs = documents(settings)
    sfn = clients.client("stepfunctions", settings.region, settings.endpoint_url)
    workflows = SfnWorkflows(sfn, settings.sweep_state_machine_arn, settings.execution_state_machine_arn)
    snapshots = S3Snapshots(clients.client("s3", settings.region, settings.endpoint_url), settings.snapshot_bucket)
    clusters = TenantClusterAccess(tenant_accounts(settings), settings.endpoint_url)
    return SweepDeps(
        optimization=OptimizationDeps(documents=docs, audit=audit_log(settings), workflows=workflows),
        discovery=DiscoveryDeps(docs, clusters, snapshots),
        planning=PlanDeps(
            docs, StoredSweepInputs(snapshots, load_day_zero()), HiveFlaggedPools(stores.hive_mind(settings))
        ),
    )
