"""DynamoDB tables, Step Functions and the customer's EC2 through STS, from a function's settings."""

from __future__ import annotations

from typing import Any

from cloudoptim.adapters.aws import clients, tables
from cloudoptim.adapters.aws.audit import DynamoAudit
from cloudoptim.adapters.aws.ec2 import CustomerEc2, Ec2PoolLocator
from cloudoptim.adapters.aws.hive_mind import DynamoHiveMind
from cloudoptim.adapters.aws.idempotency import DynamoIdempotency
from cloudoptim.adapters.aws.registry import DynamoRegistry
from cloudoptim.adapters.aws.stepfunctions import SfnExecutions
from cloudoptim.adapters.aws.sts import StsSessions
from cloudoptim.settings import AuditSettings, AwsSettings, HiveMindSettings, IngestSettings, RegistrySettings


def client(settings: AwsSettings, service: str) -> Any:
    return clients.client(service, settings.region, settings.endpoint_url)


def registry(settings: RegistrySettings) -> DynamoRegistry:
    return DynamoRegistry(tables.registry_model(settings.registry_table, settings.endpoint_url, settings.region))


def hive_mind(settings: HiveMindSettings) -> DynamoHiveMind:
    return DynamoHiveMind(tables.hive_mind_model(settings.hive_mind_table, settings.endpoint_url, settings.region))


def audit(settings: AuditSettings) -> DynamoAudit:
    return DynamoAudit(tables.audit_model(settings.audit_table, settings.endpoint_url, settings.region))


def idempotency(settings: IngestSettings) -> DynamoIdempotency:
    model = tables.idempotency_model(settings.idempotency_table, settings.endpoint_url, settings.region)
    return DynamoIdempotency(model)


def executions(settings: IngestSettings) -> SfnExecutions:
    return SfnExecutions(client(settings, "stepfunctions"), settings.state_machine_arn)


def sessions(settings: AwsSettings) -> StsSessions:
    return StsSessions(client(settings, "sts"), endpoint_url=settings.endpoint_url)


def customer_ec2(settings: AwsSettings) -> CustomerEc2:
    return CustomerEc2(sessions(settings), settings.endpoint_url)


def pool_locator(settings: RegistrySettings) -> Ec2PoolLocator:
    return Ec2PoolLocator(registry(settings), sessions(settings), settings.endpoint_url)
