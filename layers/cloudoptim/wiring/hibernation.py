"""Hibernation's composition: tenant documents and the audit log (DynamoDB), the Hibernate state machine, and the
tenants' clusters through their roles (EKS, the Kubernetes API)."""

from __future__ import annotations

from cloudoptim.adapters.aws import clients
from cloudoptim.adapters.aws.external_ids import SecretsExternalIds
from cloudoptim.adapters.aws.stepfunctions import SfnExecutions
from cloudoptim.adapters.tenant_access import TenantAccounts, TenantClusterAccess
from cloudoptim.hibernation.ports import HibernationDeps, TickDeps
from cloudoptim.settings import AwsSettings, HibernationStepSettings, HibernationTickSettings
from cloudoptim.wiring.tenancy import audit_log, documents


def tenant_accounts(settings: AwsSettings) -> TenantAccounts:
    secrets = clients.client("secretsmanager", settings.region, settings.endpoint_url)
    return TenantAccounts(SecretsExternalIds(secrets), settings.endpoint_url)


def tick_deps(settings: HibernationTickSettings) -> TickDeps:
    sfn = clients.client("stepfunctions", settings.region, settings.endpoint_url)
    return TickDeps(documents(settings), audit_log(settings), SfnExecutions(sfn, settings.state_machine_arn))


def step_deps(settings: HibernationStepSettings) -> HibernationDeps:
    access = TenantClusterAccess(tenant_accounts(settings), settings.endpoint_url)
    return HibernationDeps(documents(settings), audit_log(settings), access)
