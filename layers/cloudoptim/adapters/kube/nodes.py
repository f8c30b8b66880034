"""A cluster's nodes as discovery and the waste scan need them: instance (from providerID), zone, type, capacity
type and node group, from the well-known EKS and Karpenter labels."""

from __future__ import annotations

from typing import Any

from kubernetes.client import ApiClient, CoreV1Api

from cloudoptim.adapters.kube.api_errors import translated
from cloudoptim.discovery.ports import NodeInfo
from cloudoptim.interruptions.kube import instance_id_of

ZONE = ("topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone")
TYPE = ("node.kubernetes.io/instance-type", "beta.kubernetes.io/instance-type")
CAPACITY = ("eks.amazonaws.com/capacityType", "karpenter.sh/capacity-type")
GROUP = ("eks.amazonaws.com/nodegroup", "karpenter.sh/nodepool", "alpha.eksctl.io/nodegroup-name")


def _first(labels: dict[str, str], keys: tuple[str, ...]) -> str | None:
    return next((labels[k] for k in keys if labels.get(k)), None)


def node_info(item: Any) -> NodeInfo:
    labels = dict(item.metadata.labels or {})
    capacity = (_first(labels, CAPACITY) or "on-demand").lower().replace("_", "-")
    return NodeInfo(
        name=str(item.metadata.name),
        instance_id=instance_id_of(item.spec.provider_id if item.spec else None),
        zone=_first(labels, ZONE) or "",
        instance_type=_first(labels, TYPE) or "",
        capacity_type="spot" if capacity == "spot" else "on-demand",
        node_group=_first(labels, GROUP),
    )


def list_nodes(api_client: ApiClient, request_timeout: tuple[float, float] = (5.0, 20.0)) -> list[NodeInfo]:
    core = CoreV1Api(api_client)
    found: list[NodeInfo] = []
    token: str | None = None
    with translated("list nodes"):
        while True:
            request: dict[str, Any] = {"limit": 500, "_request_timeout": request_timeout}
            if token:
                request["_continue"] = token
            page = core.list_node(**request)
            found.extend(node_info(item) for item in page.items or [])
            token = page.metadata._continue if page.metadata else None
            if not token:
                return found
