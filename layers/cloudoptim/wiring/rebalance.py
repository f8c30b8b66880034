"""rebalance_pool's composition: the hive mind's records, the registry's pool index, the clusters' policies and
recommendations (tenancy documents), the instances' guards and the DrainAndReplace state machine."""

from __future__ import annotations

from cloudoptim.adapters.aws.notifications import EventBridgeAlerts, EventBridgePoolAlerts
from cloudoptim.adapters.aws.stepfunctions import SfnExecutions
from cloudoptim.adapters.rebalance_documents import DocumentPolicies, DocumentRecommendations
from cloudoptim.interruptions.rebalance import RebalanceDeps
from cloudoptim.settings import RebalanceSettings
from cloudoptim.wiring import stores
from cloudoptim.wiring.tenancy import documents


def rebalance_deps(settings: RebalanceSettings) -> RebalanceDeps:
    docs = documents(settings)
    return RebalanceDeps(
        hive=stores.hive_mind(settings),
        nodes=stores.registry(settings),
        policies=DocumentPolicies(docs),
        idempotency=stores.idempotency(settings),
        executions=SfnExecutions(stores.client(settings, "stepfunctions"), settings.state_machine_arn),
        recommendations=DocumentRecommendations(docs),
        alerts=EventBridgePoolAlerts(EventBridgeAlerts(stores.client(settings, "events"))),
    )
