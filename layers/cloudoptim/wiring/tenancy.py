"""Tenant stores shared by the API and the scheduled jobs: documents and the audit log (DynamoDB), the KMS signer.
No FastAPI, no Kubernetes client: a job importing this pays only for botocore and pynamodb."""

from __future__ import annotations

from cloudoptim.adapters.aws import clients
from cloudoptim.adapters.aws.audit import DynamoAuditLog
from cloudoptim.adapters.aws.documents import DynamoDocuments, document_model
from cloudoptim.adapters.aws.kms_signer import KmsSigner
from cloudoptim.settings import AuditSettings, AwsSettings, RegistrySettings


def documents(settings: RegistrySettings) -> DynamoDocuments:
    return DynamoDocuments(document_model(settings.registry_table, settings.endpoint_url, settings.region))


def audit_log(settings: AuditSettings) -> DynamoAuditLog:
    return DynamoAuditLog(clients.client("dynamodb", settings.region, settings.endpoint_url), settings.audit_table)


def kms_signer(settings: AwsSettings, key_id: str) -> KmsSigner:
    return KmsSigner(clients.client("kms", settings.region, settings.endpoint_url), key_id)
