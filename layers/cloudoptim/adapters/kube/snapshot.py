"""A cluster as the sweep reads it, through the Kubernetes API: the objects of `kubectl get ... -o json` (nodes,
pods, budgets, the workload controllers and autoscalers that own and scale the pods) and `metrics.k8s.io` pod usage.

Lists are read raw (`_preload_content=False`) so the snapshot holds exactly what the API answered, the same JSON a
user's `kubectl` export has, and the file readers (cloudoptim.adapters.kube.documents) parse both alike.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, cast

from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException

from cloudoptim.adapters.kube.api_errors import translated
from cloudoptim.adapters.kube.quantity import parse_quantity
from cloudoptim.errors import InputFileError
from cloudoptim.optimization.ports import UsageSample

# (kind, apiVersion, path, required): a plan without the nodes, pods or budgets could evict what must stay, so those
# must be read; a cluster without an API group (no HPAs served, no metrics-server) just has none of its objects.
KINDS: tuple[tuple[str, str, str, bool], ...] = (
    ("Node", "v1", "/api/v1/nodes", True),
    ("Pod", "v1", "/api/v1/pods", True),
    ("PodDisruptionBudget", "policy/v1", "/apis/policy/v1/poddisruptionbudgets", True),
    ("Deployment", "apps/v1", "/apis/apps/v1/deployments", False),
    ("StatefulSet", "apps/v1", "/apis/apps/v1/statefulsets", False),
    ("DaemonSet", "apps/v1", "/apis/apps/v1/daemonsets", False),
    ("ReplicaSet", "apps/v1", "/apis/apps/v1/replicasets", False),
    ("HorizontalPodAutoscaler", "autoscaling/v2", "/apis/autoscaling/v2/horizontalpodautoscalers", False),
)
METRICS = "/apis/metrics.k8s.io/v1beta1/pods"
PAGE = 500


@dataclass(frozen=True)
class Snapshot:
    document: dict[str, Any]  # a `List` whose items carry kind and apiVersion
    notes: tuple[str, ...]  # kinds the cluster did not serve


class KubeSnapshots:
    def __init__(self, api_client: ApiClient, request_timeout: tuple[float, float] = (5.0, 30.0)) -> None:
        self._client = api_client
        self._timeout = request_timeout

    def snapshot(self) -> Snapshot:
        items: list[dict[str, Any]] = []
        notes: list[str] = []
        for kind, api_version, path, required in KINDS:
            try:
                found = self._list(path, f"list {kind}s")
            except _NotServed:
                if required:
                    raise InputFileError(f"the cluster's API does not serve {kind}s ({path})") from None
                notes.append(f"{kind}s not served by this cluster ({path}): none read")
                continue
            items.extend({**item, "kind": kind, "apiVersion": api_version} for item in found)
        return Snapshot({"apiVersion": "v1", "kind": "List", "items": items}, tuple(notes))

    def pod_usage(self) -> list[UsageSample]:
        """Every running container's usage now (metrics-server's last window); empty without metrics-server."""
        try:
            found = self._list(METRICS, "list pod metrics")
        except _NotServed:
            return []
        samples = []
        for item in found:
            meta = item.get("metadata") or {}
            for container in item.get("containers") or []:
                usage = container.get("usage") or {}
                what = f"PodMetrics {meta.get('namespace')}/{meta.get('name')} {container.get('name')}"
                samples.append(UsageSample(
                    str(meta.get("namespace")), str(meta.get("name")), str(container.get("name")),
                    float(parse_quantity(usage.get("cpu", "0"), f"{what} cpu")),
                    int(parse_quantity(usage.get("memory", "0"), f"{what} memory")),
                ))  # fmt: skip
        return samples

    def _list(self, path: str, what: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        token: str | None = None
        with translated(what):
            while True:
                query: list[tuple[str, Any]] = [("limit", PAGE)] + ([("continue", token)] if token else [])
                client = cast(Any, self._client)  # the stubs predate the generator's param_serialize
                method, url, headers, body, post = client.param_serialize(
                    "GET", path, query_params=query, header_params={"Accept": "application/json"},
                    auth_settings=["BearerToken"],
                )  # fmt: skip
                response = client.call_api(method, url, header_params=headers, body=body, post_params=post,
                                           _request_timeout=self._timeout)  # fmt: skip
                response.read()
                if response.status == 404:
                    raise _NotServed(path)
                if response.status >= 400:
                    raise ApiException(http_resp=response)
                page = json.loads(response.data)
                items.extend(page.get("items") or [])
                token = (page.get("metadata") or {}).get("continue") or None
                if not token:
                    return items


class _NotServed(Exception):
    """The API server has no such resource (its group is not installed)."""
