"""Builds the AWS adapters from the settings: shared by the composition roots of the Lambdas."""

from __future__ import annotations

import boto3

from cloudoptim.adapters.aws import tables
from cloudoptim.adapters.aws.audit import DynamoAudit
from cloudoptim.adapters.aws.ec2 import CustomerEc2, Ec2PoolLocator
from cloudoptim.adapters.aws.hive_mind import DynamoHiveMind
from cloudoptim.adapters.aws.idempotency import DynamoIdempotency
from cloudoptim.adapters.aws.registry import DynamoRegistry
from cloudoptim.adapters.aws.stepfunctions import SfnExecutions
from cloudoptim.adapters.aws.sts import StsSessions
from cloudoptim.interruptions.drain import KubeDeps
from cloudoptim.interruptions.kube_bridge import KubeBridge
from cloudoptim.settings import PipelineSettings


def _client(settings: PipelineSettings, service: str) -> object:
    return boto3.client(service, region_name=settings.region, endpoint_url=settings.endpoint_url)


def registry(settings: PipelineSettings) -> DynamoRegistry:
    return DynamoRegistry(tables.registry_model(settings.registry_table, settings.endpoint_url, settings.region))


def hive_mind(settings: PipelineSettings) -> DynamoHiveMind:
    return DynamoHiveMind(tables.hive_mind_model(settings.hive_mind_table, settings.endpoint_url, settings.region))


def audit(settings: PipelineSettings) -> DynamoAudit:
    return DynamoAudit(tables.audit_model(settings.audit_table, settings.endpoint_url, settings.region))


def idempotency(settings: PipelineSettings) -> DynamoIdempotency:
    model = tables.idempotency_model(settings.idempotency_table, settings.endpoint_url, settings.region)
    return DynamoIdempotency(model)


def executions(settings: PipelineSettings) -> SfnExecutions:
    if not settings.state_machine_arn:
        raise ValueError("STATE_MACHINE_ARN is not set")
    return SfnExecutions(_client(settings, "stepfunctions"), settings.state_machine_arn)


def sessions(settings: PipelineSettings) -> StsSessions:
    return StsSessions(_client(settings, "sts"), endpoint_url=settings.endpoint_url)


def customer_ec2(settings: PipelineSettings) -> CustomerEc2:
    return CustomerEc2(sessions(settings), settings.endpoint_url)


def pool_locator(settings: PipelineSettings) -> Ec2PoolLocator:
    return Ec2PoolLocator(registry(settings), sessions(settings), settings.endpoint_url)


def kube_deps(settings: PipelineSettings) -> KubeDeps:
    """What the Kubernetes-facing tasks (node_status, cordon_node, evict_pods) need: registry and cluster access."""
    return KubeDeps(registry=registry(settings), kube=KubeBridge(sessions(settings), settings.endpoint_url))
