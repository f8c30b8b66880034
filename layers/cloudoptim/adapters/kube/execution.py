"""`ExecutionKube` (cloudoptim.optimization.execution.ports) over the official client: the drain adapter plus the
cluster read as the engines read it, uncordon, the owners' container resources (read, and set by a JSON patch of
the one container, tested by name so a reordered template is refused rather than mis-patched), and Karpenter
NodeClaims."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kubernetes.client import ApiClient, AppsV1Api, CustomObjectsApi
from kubernetes.client.exceptions import ApiException

from cloudoptim.adapters.kube.api import KubeApiAdapter, api_client
from cloudoptim.adapters.kube.api_errors import translated
from cloudoptim.adapters.kube.cluster import parse_objects
from cloudoptim.adapters.kube.connector import ClusterConnector
from cloudoptim.adapters.kube.documents import objects_of
from cloudoptim.adapters.kube.quantity import cpu_millicores, memory_bytes
from cloudoptim.interruptions.kube import instance_id_of
from cloudoptim.interruptions.ports import ClusterRecord, TenantRecord
from cloudoptim.optimization.execution.ports import LiveCluster, LiveWorkload
from engines.execution.revalidate import ContainerNow, ContainerTarget

NODECLAIMS = ("karpenter.sh", "v1", "nodeclaims")
_READ = {"Deployment": "read_namespaced_deployment", "StatefulSet": "read_namespaced_stateful_set",
         "DaemonSet": "read_namespaced_daemon_set"}  # fmt: skip
_PATCH = {"Deployment": "patch_namespaced_deployment", "StatefulSet": "patch_namespaced_stateful_set",
          "DaemonSet": "patch_namespaced_daemon_set"}  # fmt: skip


class KubeExecution(KubeApiAdapter):
    def __init__(self, api_client: ApiClient, request_timeout: tuple[float, float] = (5.0, 20.0)) -> None:
        super().__init__(api_client, request_timeout)
        self._client = api_client
        self._apps = AppsV1Api(api_client)
        self._custom = CustomObjectsApi(api_client)

    def live(self) -> LiveCluster:
        serialise: Callable[[Any], Any] = self._client.sanitize_for_serialization
        items: list[dict[str, Any]] = []
        for kind, call in (
            ("Node", self._core.list_node),
            ("Pod", self._core.list_pod_for_all_namespaces),
            ("PodDisruptionBudget", self._policy.list_pod_disruption_budget_for_all_namespaces),
        ):
            items += [{**serialise(i), "kind": kind, "apiVersion": "v1"} for i in self._all(call, f"list {kind}s")]
        state = parse_objects(objects_of([{"kind": "List", "items": items}], "the cluster"))
        nodes = [i for i in items if i["kind"] == "Node"]
        ready = {n["metadata"]["name"]: _ready(n) for n in nodes}
        instances = {
            n["metadata"]["name"]: instance_id_of((n.get("spec") or {}).get("providerID")) or "" for n in nodes
        }
        return LiveCluster(state, ready, instances)

    def uncordon(self, name: str) -> None:
        with translated(f"uncordon node {name}"):
            self._core.patch_node(name, {"spec": {"unschedulable": False}}, _request_timeout=self._timeout)

    def _read(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        with translated(f"read {kind} {namespace}/{name}"):
            try:
                found = getattr(self._apps, _READ[kind])(name, namespace, _request_timeout=self._timeout)
            except ApiException as exc:
                if exc.status == 404:
                    return None
                raise
        serialise: Callable[[Any], Any] = self._client.sanitize_for_serialization
        body: dict[str, Any] = serialise(found)
        return body

    def workload(self, kind: str, namespace: str, name: str) -> LiveWorkload | None:
        body = self._read(kind, namespace, name)
        if body is None:
            return None
        meta, spec, status = body.get("metadata") or {}, body.get("spec") or {}, body.get("status") or {}
        replicas = status.get("desiredNumberScheduled", 0) if kind == "DaemonSet" else spec.get("replicas", 1)
        containers = ((spec.get("template") or {}).get("spec") or {}).get("containers") or []
        return LiveWorkload(dict(meta.get("labels") or {}), dict(meta.get("annotations") or {}), int(replicas or 0),
                            {c["name"]: _container(c) for c in containers})  # fmt: skip

    def patch_container(self, kind: str, namespace: str, name: str, container: str, target: ContainerTarget) -> None:
        body = self._read(kind, namespace, name)
        containers = ((body or {}).get("spec", {}).get("template", {}).get("spec", {}) or {}).get("containers") or []
        index = next((i for i, c in enumerate(containers) if c.get("name") == container), None)
        if body is None or index is None:
            raise LookupError(f"{kind} {namespace}/{name} has no container {container}")
        resources = _resources(dict(containers[index].get("resources") or {}), target)
        path = f"/spec/template/spec/containers/{index}"
        operations = [{"op": "test", "path": f"{path}/name", "value": container},
                      {"op": "add", "path": f"{path}/resources", "value": resources}]  # fmt: skip
        with translated(f"patch {kind} {namespace}/{name} container {container}"):
            getattr(self._apps, _PATCH[kind])(name, namespace, operations, _request_timeout=self._timeout)

    def delete_nodeclaim(self, node_name: str) -> bool:
        with translated(f"delete the NodeClaim of {node_name}"):
            claims: Any = self._custom.list_cluster_custom_object(*NODECLAIMS, _request_timeout=self._timeout)
            for claim in claims.get("items") or []:
                if (claim.get("status") or {}).get("nodeName") == node_name:
                    self._custom.delete_cluster_custom_object(*NODECLAIMS, claim["metadata"]["name"],
                                                              _request_timeout=self._timeout)  # fmt: skip
                    return True
        return False


def _ready(node: dict[str, Any]) -> bool:
    conditions = (node.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _container(raw: dict[str, Any]) -> ContainerNow:
    resources = raw.get("resources") or {}
    requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
    cpu = requests.get("cpu")
    return ContainerNow(
        cpu_millicores(cpu) / 1000 if cpu is not None else None,
        memory_bytes(requests["memory"]) if "memory" in requests else None,
        memory_bytes(limits["memory"]) if "memory" in limits else None,
    )


def _resources(current: dict[str, Any], target: ContainerTarget) -> dict[str, Any]:
    requests, limits = dict(current.get("requests") or {}), dict(current.get("limits") or {})
    if target.cpu_request_cores is not None:
        requests["cpu"] = f"{round(target.cpu_request_cores * 1000)}m"
    if target.memory_request_bytes is not None:
        requests["memory"] = str(target.memory_request_bytes)
    if target.memory_limit_bytes is not None:
        limits["memory"] = str(target.memory_limit_bytes)
    return {**current, "requests": requests, **({"limits": limits} if limits else {})}


def _provider(node: dict[str, Any]) -> str | None:
    value = (node.get("spec") or {}).get("providerID")
    return None if value is None else str(value)


class ExecutionClusterConnector(ClusterConnector):
    """`ExecutionConnector` (cloudoptim.optimization.execution.ports): the same access as the drain's connector."""

    def execution(self, tenant: TenantRecord, cluster: ClusterRecord, region: str) -> KubeExecution:
        access, token = self.access(tenant, cluster, region)
        return KubeExecution(api_client(access.endpoint, token, access.ca_data))
