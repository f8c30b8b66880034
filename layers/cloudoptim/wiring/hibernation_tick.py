"""The hibernation tick: tenant documents (DynamoDB) and the Hibernate state machine; no Kubernetes client."""

from __future__ import annotations

from cloudoptim.adapters.aws import clients
from cloudoptim.adapters.aws.stepfunctions import SfnExecutions
from cloudoptim.hibernation.ports import TickDeps
from cloudoptim.settings import HibernationTickSettings
from cloudoptim.wiring.tenancy import audit_log, documents


def tick_deps(settings: HibernationTickSettings) -> TickDeps:
    sfn = clients.client("stepfunctions", settings.region, settings.endpoint_url)
    return TickDeps(documents(settings), audit_log(settings), SfnExecutions(sfn, settings.state_machine_arn))
