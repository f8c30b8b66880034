"""Hibernation's steps: tenant documents and the audit log (DynamoDB), the tenants' clusters through their roles
(EKS, the Kubernetes API)."""

from __future__ import annotations

from cloudoptim.adapters.aws import clients
from cloudoptim.adapters.aws.secrets import SecretsExternalIds
from cloudoptim.adapters.aws.sts import StsSessions
from cloudoptim.adapters.tenant_access import TenantAccounts, TenantClusterAccess
from cloudoptim.hibernation.ports import HibernationDeps
from cloudoptim.settings import AwsSettings, HibernationStepSettings
from cloudoptim.wiring.tenancy import audit_log, documents


def tenant_accounts(settings: AwsSettings) -> TenantAccounts:
    secrets = clients.client("secretsmanager", settings.region, settings.endpoint_url)
    sts = clients.client("sts", settings.region, settings.endpoint_url)
    return TenantAccounts(StsSessions(SecretsExternalIds(secrets), sts), settings.endpoint_url)


def step_deps(settings: HibernationStepSettings) -> HibernationDeps:
    access = TenantClusterAccess(tenant_accounts(settings), settings.endpoint_url, node_group_purpose="hibernate")
    return HibernationDeps(documents(settings), audit_log(settings), access)
