"""The API's composition: tenancy use cases on DynamoDB, Secrets Manager, STS/EKS, EventBridge, Cognito and KMS."""

from __future__ import annotations

import time

from cloudoptim.adapters.aws import clients, tables
from cloudoptim.adapters.aws.account_probe import StsAccountProbe
from cloudoptim.adapters.aws.bus_policy import EventBusPolicy
from cloudoptim.adapters.aws.cluster_probe import EksClusterProbe
from cloudoptim.adapters.aws.cluster_tokens import SecretsClusterTokens
from cloudoptim.adapters.aws.cognito import CognitoDirectory
from cloudoptim.adapters.aws.documents import DynamoDocuments, DynamoRequestLog, document_model
from cloudoptim.adapters.aws.hive_mind import DynamoHiveMind
from cloudoptim.adapters.aws.models import (
    DynamoRegistryState,
    DynamoShadowLog,
    HiveInterruptions,
    S3Artifacts,
    SfnValidations,
)
from cloudoptim.adapters.aws.notifications import EventBridgeAlerts, SecretsWebhooks
from cloudoptim.adapters.aws.secrets import SecretsExternalIds
from cloudoptim.adapters.aws.stepfunctions import SfnExecutions, SfnWorkflows
from cloudoptim.adapters.aws.sts import StsSessions
from cloudoptim.adapters.kube.connector import ClusterConnector
from cloudoptim.api.auth import JwtVerifier
from cloudoptim.api.context import ApiDeps
from cloudoptim.dashboard.site import SignIn
from cloudoptim.models.admin import ModelAdminDeps
from cloudoptim.models.registry import RegistryDeps
from cloudoptim.notifications.ports import NotificationsApi
from cloudoptim.onboarding import EVENT_BUS_NAME
from cloudoptim.optimization.ports import OptimizationDeps
from cloudoptim.settings import ApiSettings
from cloudoptim.tenancy.deps import SaasIdentity, TenancyDeps
from cloudoptim.tenancy.ports import Signer, UserDirectory
from cloudoptim.wiring.prices import price_table
from cloudoptim.wiring.stores import registry
from cloudoptim.wiring.tenancy import audit_log, kms_signer


def tenancy(settings: ApiSettings, users: UserDirectory | None = None, signer: Signer | None = None) -> TenancyDeps:
    """Local mode passes its own user directory and signer (no Cognito, a key on disk); the rest is the same."""
    secrets = clients.client("secretsmanager", settings.region, settings.endpoint_url)
    external_ids = SecretsExternalIds(secrets)
    sessions = StsSessions(external_ids, clients.client("sts", settings.region, settings.endpoint_url))
    connector = ClusterConnector(sessions, settings.endpoint_url, secrets)
    documents = document_model(settings.registry_table, settings.endpoint_url, settings.region)
    if users is None:
        cognito = clients.client("cognito-idp", settings.region, settings.endpoint_url)
        users = CognitoDirectory(cognito, settings.user_pool_id or "")
    events = clients.client("events", settings.region, settings.endpoint_url)
    return TenancyDeps(
        documents=DynamoDocuments(documents),
        audit=audit_log(settings),
        requests=DynamoRequestLog(documents),
        external_ids=external_ids,
        accounts=StsAccountProbe(sessions, settings.endpoint_url),
        clusters=EksClusterProbe(sessions, connector, settings.endpoint_url),
        tokens=SecretsClusterTokens(secrets),
        users=users,
        registry=registry(settings),
        bus=EventBusPolicy(events, EVENT_BUS_NAME),
        role_check=sessions,
        signer=signer or kms_signer(settings, settings.audit_key_id),
        saas=SaasIdentity(account_id=settings.saas_account_id, region=settings.region or "eu-west-1"),
    )


def optimization(settings: ApiSettings, stores: TenancyDeps) -> OptimizationDeps:
    sfn = clients.client("stepfunctions", settings.region, settings.endpoint_url)
    workflows = SfnWorkflows(sfn, settings.sweep_state_machine_arn, settings.execution_state_machine_arn)
    return OptimizationDeps(documents=stores.documents, audit=stores.audit, workflows=workflows)


def models(settings: ApiSettings) -> ModelAdminDeps | None:
    """The registry's admin routes' stores; None when no model bucket is deployed."""
    if not settings.model_bucket:
        return None
    if not settings.hive_mind_table:
        raise ValueError("MODEL_BUCKET is set but HIVE_MIND_TABLE is not: shadow reports judge by its records")
    db = clients.client("dynamodb", settings.region, settings.endpoint_url)
    sfn = clients.client("stepfunctions", settings.region, settings.endpoint_url)
    hive = tables.hive_mind_model(settings.hive_mind_table, settings.endpoint_url, settings.region)
    return ModelAdminDeps(
        registry=RegistryDeps(
            artifacts=S3Artifacts(clients.client("s3", settings.region, settings.endpoint_url), settings.model_bucket),
            store=DynamoRegistryState(db, settings.registry_table),
        ),
        validations=SfnValidations(SfnExecutions(sfn, settings.validate_model_arn or "")),
        shadow_log=DynamoShadowLog(db, settings.registry_table),
        interruptions=HiveInterruptions(DynamoHiveMind(hive)),
    )


def api_deps(settings: ApiSettings, tenancy_deps: TenancyDeps | None = None) -> ApiDeps:
    verifier = JwtVerifier(settings.issuer, settings.audience, settings.keys_url)
    stores = tenancy_deps or tenancy(settings)
    prices = price_table(settings) if settings.prices_table else None
    sign_in = SignIn(settings.console_auth_domain, settings.audience)
    hive = None
    if settings.hive_mind_table:
        hive = DynamoHiveMind(tables.hive_mind_model(settings.hive_mind_table, settings.endpoint_url, settings.region))
    notifications = NotificationsApi(
        secrets=SecretsWebhooks(clients.client("secretsmanager", settings.region, settings.endpoint_url)),
        bus=EventBridgeAlerts(clients.client("events", settings.region, settings.endpoint_url)),
        allow_loopback=settings.notify_allow_loopback,
    )
    return ApiDeps(tenancy=stores, optimization=optimization(settings, stores), verifier=verifier, clock=time.time,
                   prices=prices, sign_in=sign_in, models=models(settings), hive=hive,
                   notifications=notifications)  # fmt: skip
