"""The API's composition: tenancy use cases on DynamoDB, Secrets Manager, STS/EKS, Cognito and KMS."""

from __future__ import annotations

import time

from cloudoptim.adapters.aws import clients
from cloudoptim.adapters.aws.account_probe import StsAccountProbe
from cloudoptim.adapters.aws.cluster_probe import EksClusterProbe
from cloudoptim.adapters.aws.cluster_tokens import SecretsClusterTokens
from cloudoptim.adapters.aws.cognito import CognitoDirectory
from cloudoptim.adapters.aws.documents import DynamoDocuments, DynamoRequestLog, document_model
from cloudoptim.adapters.aws.external_ids import SecretsExternalIds
from cloudoptim.api.auth import JwtVerifier
from cloudoptim.api.context import ApiDeps
from cloudoptim.settings import ApiSettings
from cloudoptim.tenancy.deps import SaasIdentity, TenancyDeps
from cloudoptim.tenancy.ports import Directory, Signer
from cloudoptim.wiring.prices import price_table
from cloudoptim.wiring.tenancy import audit_log, kms_signer


def tenancy(settings: ApiSettings, directory: Directory | None = None, signer: Signer | None = None) -> TenancyDeps:
    """Local mode passes its own directory and signer (no Cognito, a key on disk); everything else is the same."""
    secrets = clients.client("secretsmanager", settings.region, settings.endpoint_url)
    external_ids = SecretsExternalIds(secrets)
    registry = document_model(settings.registry_table, settings.endpoint_url, settings.region)
    if directory is None:
        cognito = clients.client("cognito-idp", settings.region, settings.endpoint_url)
        directory = CognitoDirectory(cognito, settings.user_pool_id or "")
    return TenancyDeps(
        documents=DynamoDocuments(registry),
        audit=audit_log(settings),
        requests=DynamoRequestLog(registry),
        external_ids=external_ids,
        accounts=StsAccountProbe(settings.endpoint_url),
        clusters=EksClusterProbe(external_ids, settings.endpoint_url),
        tokens=SecretsClusterTokens(secrets),
        directory=directory,
        signer=signer or kms_signer(settings, settings.audit_key_id),
        saas=SaasIdentity(account_id=settings.saas_account_id, region=settings.region or "eu-west-1"),
    )


def api_deps(settings: ApiSettings, tenancy_deps: TenancyDeps | None = None) -> ApiDeps:
    verifier = JwtVerifier(settings.issuer, settings.audience, settings.keys_url)
    prices = price_table(settings) if settings.prices_table else None
    return ApiDeps(tenancy=tenancy_deps or tenancy(settings), verifier=verifier, clock=time.time, prices=prices)
