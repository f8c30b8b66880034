"""What the Kubernetes-facing tasks (node_status, cordon_node, evict_pods) need: registry and cluster access."""

from __future__ import annotations

from cloudoptim.adapters.kube.connector import ClusterConnector
from cloudoptim.adapters.recent_registry import RecentRegistry
from cloudoptim.interruptions.drain import KubeDeps
from cloudoptim.settings import KubeTaskSettings
from cloudoptim.wiring import stores


def kube_deps(settings: KubeTaskSettings) -> KubeDeps:
    connector = ClusterConnector(stores.sessions(settings), settings.endpoint_url)
    # the tenant and cluster records every step reads again, kept a minute per warm container (RecentRegistry)
    return KubeDeps(registry=RecentRegistry(stores.registry(settings)), kube=connector)
