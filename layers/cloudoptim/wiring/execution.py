"""The execution steps' composition: documents and audit (DynamoDB), the tenants' clusters (Kubernetes API), EC2
launches and tag-scoped terminations, Auto Scaling groups (all through the tenant's role, one purpose each), the
shipped price book, and Step Functions for the re-planning sweep."""

from __future__ import annotations

import functools

from cloudoptim.adapters.aws import clients
from cloudoptim.adapters.aws.auto_scaling import TenantFleets
from cloudoptim.adapters.aws.stepfunctions import SfnWorkflows
from cloudoptim.adapters.day_zero import load_day_zero
from cloudoptim.adapters.kube.execution import ExecutionClusterConnector
from cloudoptim.adapters.node_prices import price_book
from cloudoptim.optimization.execution.ports import ExecutionDeps
from cloudoptim.settings import ExecuteStepSettings
from cloudoptim.wiring.stores import customer_ec2, registry, sessions
from cloudoptim.wiring.tenancy import audit_log, documents
from engines.cluster.capacity import PriceBook


@functools.cache
def _price_book(region: str) -> PriceBook:
    return price_book(load_day_zero(), region)


def execute_deps(settings: ExecuteStepSettings) -> ExecutionDeps:
    tenant_sessions = sessions(settings)
    sfn = clients.client("stepfunctions", settings.region, settings.endpoint_url)
    return ExecutionDeps(
        documents=documents(settings),
        audit=audit_log(settings),
        workflows=SfnWorkflows(sfn, settings.sweep_state_machine_arn, settings.execution_state_machine_arn),
        registry=registry(settings),
        kube=ExecutionClusterConnector(tenant_sessions, settings.endpoint_url),
        cloud=customer_ec2(settings),
        fleet=TenantFleets(tenant_sessions, settings.endpoint_url),
        prices=_price_book,
        wait_seconds=settings.wait_seconds,
    )
