"""What the Kubernetes-facing tasks (node_status, cordon_node, evict_pods) need: registry and cluster access."""

from __future__ import annotations

from cloudoptim.adapters.kube.connector import ClusterConnector
from cloudoptim.interruptions.drain import KubeDeps
from cloudoptim.settings import KubeTaskSettings
from cloudoptim.wiring import stores


def kube_deps(settings: KubeTaskSettings) -> KubeDeps:
    connector = ClusterConnector(stores.sessions(settings), settings.endpoint_url)
    return KubeDeps(registry=stores.registry(settings), kube=connector)
