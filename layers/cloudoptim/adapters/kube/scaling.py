"""`ClusterWorkloads` (cloudoptim.hibernation.ports) over the official `kubernetes` client: Deployments and
StatefulSets through their scale subresource, CronJobs' suspend flag, HPAs, and KEDA ScaledObjects (a cluster
without KEDA simply has none)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from kubernetes.client import (
    ApiClient,
    AppsV1Api,
    AutoscalingV2Api,
    BatchV1Api,
    CoreV1Api,
    CustomObjectsApi,
)
from kubernetes.client.exceptions import ApiException

from cloudoptim.adapters.kube.api_errors import translated
from cloudoptim.adapters.kube.objects import pod_requests
from cloudoptim.errors import InputFileError
from cloudoptim.hibernation.ports import NodeCount
from engines.hibernation.plan import Change, Inventory, Kind, Workload

_PAGE = 500
KEDA = ("keda.sh", "v1alpha1", "scaledobjects")


class KubeWorkloads:
    def __init__(self, api_client: ApiClient, request_timeout: tuple[float, float] = (5.0, 20.0)) -> None:
        self._apps = AppsV1Api(api_client)
        self._batch = BatchV1Api(api_client)
        self._autoscaling = AutoscalingV2Api(api_client)
        self._custom = CustomObjectsApi(api_client)
        self._core = CoreV1Api(api_client)
        self._client = api_client
        self._timeout = request_timeout

    def inventory(self) -> Inventory:
        found: list[Workload] = []
        for item in self._all(self._apps.list_deployment_for_all_namespaces, "list deployments"):
            found.append(_scaled(Kind.DEPLOYMENT, item, self._cpu_m(item)))
        for item in self._all(self._apps.list_stateful_set_for_all_namespaces, "list statefulsets"):
            found.append(_scaled(Kind.STATEFULSET, item, self._cpu_m(item)))
        for item in self._all(self._batch.list_cron_job_for_all_namespaces, "list cronjobs"):
            meta = item.metadata
            labels, notes = dict(meta.labels or {}), dict(meta.annotations or {})
            found.append(Workload(Kind.CRONJOB, meta.namespace, meta.name, suspend=bool(item.spec.suspend),
                                  labels=labels, annotations=notes))  # fmt: skip
        for item in self._all(self._autoscaling.list_horizontal_pod_autoscaler_for_all_namespaces, "list hpas"):
            meta, spec = item.metadata, item.spec
            ref, labels, notes = spec.scale_target_ref, dict(meta.labels or {}), dict(meta.annotations or {})
            found.append(Workload(Kind.HPA, meta.namespace, meta.name, min_replicas=spec.min_replicas or 1,
                                  max_replicas=spec.max_replicas, target=f"{ref.kind}/{ref.name}", labels=labels,
                                  annotations=notes))  # fmt: skip
        found.extend(self._scaled_objects())
        return Inventory(tuple(found), ())

    def _cpu_m(self, item: Any) -> int:
        """One pod's CPU request from the template (0 when it cannot be read: then it only orders last)."""
        serialise: Callable[[Any], Any] = self._client.sanitize_for_serialization
        spec = serialise(item.spec.template.spec) if item.spec.template else {}
        try:
            return pod_requests(spec or {}, f"{item.metadata.namespace}/{item.metadata.name}").cpu_m
        except InputFileError:
            return 0

    def _scaled_objects(self) -> list[Workload]:
        with translated("list KEDA scaledobjects"):
            try:
                answer: Any = self._custom.list_cluster_custom_object(*KEDA, _request_timeout=self._timeout)
            except ApiException as exc:
                if exc.status == 404:
                    return []  # KEDA is not installed
                raise
        found = []
        for item in answer.get("items") or []:
            meta, spec = item.get("metadata") or {}, item.get("spec") or {}
            ref = spec.get("scaleTargetRef") or {}
            found.append(
                Workload(
                    Kind.SCALEDOBJECT, str(meta.get("namespace")), str(meta.get("name")),
                    min_replicas=spec.get("minReplicaCount"), max_replicas=spec.get("maxReplicaCount"),
                    target=f"{ref.get('kind', 'Deployment')}/{ref.get('name')}", labels=dict(meta.get("labels") or {}),
                    annotations=dict(meta.get("annotations") or {}),
                )
            )  # fmt: skip
        return found

    def apply(self, change: Change) -> None:
        fields, ns, name = change.fields, change.namespace, change.name
        with translated(f"hibernate {change.key}"):
            if change.kind is Kind.DEPLOYMENT:
                self._apps.patch_namespaced_deployment_scale(
                    name, ns, {"spec": {"replicas": fields["replicas"]}}, _request_timeout=self._timeout
                )
            elif change.kind is Kind.STATEFULSET:
                self._apps.patch_namespaced_stateful_set_scale(
                    name, ns, {"spec": {"replicas": fields["replicas"]}}, _request_timeout=self._timeout
                )
            elif change.kind is Kind.CRONJOB:
                body = {"spec": {"suspend": fields["suspend"]}}
                self._batch.patch_namespaced_cron_job(name, ns, body, _request_timeout=self._timeout)
            elif change.kind is Kind.SCALEDOBJECT:
                # JSON merge patch: a null value removes the annotation
                body = {"metadata": {"annotations": dict(fields["annotations"])}}
                self._custom.patch_namespaced_custom_object(
                    *KEDA[:2], ns, KEDA[2], name, body, _request_timeout=self._timeout
                )
            else:  # HPAs are recorded, never changed (an HPA cannot hold zero); node groups are EKS's
                raise ValueError(f"hibernation never changes a {change.kind.value} through the Kubernetes API")

    def nodes(self) -> NodeCount:
        items = self._all(self._core.list_node, "list nodes")
        ready = sum(
            1 for n in items if any(c.type == "Ready" and c.status == "True" for c in n.status.conditions or [])
        )
        return NodeCount(len(items), ready)

    def pods_pending(self) -> int:
        items = self._all(self._core.list_pod_for_all_namespaces, "list pending pods", "status.phase=Pending")
        return sum(1 for p in items if not (p.spec and p.spec.node_name))

    def not_ready(self, kind: Kind) -> Sequence[str]:
        lister = self._apps.list_stateful_set_for_all_namespaces if kind is Kind.STATEFULSET else (
            self._apps.list_deployment_for_all_namespaces)  # fmt: skip
        found = []
        for item in self._all(lister, f"list {kind.value}s"):
            wanted = item.spec.replicas or 0
            if (item.status.ready_replicas or 0) < wanted:
                found.append(f"{item.metadata.namespace}/{item.metadata.name}")
        return found

    def _all(self, list_call: Callable[..., Any], what: str, field_selector: str | None = None) -> list[Any]:
        items: list[Any] = []
        token: str | None = None
        with translated(what):
            while True:
                kwargs: dict[str, Any] = {"limit": _PAGE, "_request_timeout": self._timeout}
                if field_selector:
                    kwargs["field_selector"] = field_selector
                if token:
                    kwargs["_continue"] = token
                page = list_call(**kwargs)
                items.extend(page.items or [])
                token = page.metadata._continue if page.metadata else None
                if not token:
                    return items


def _scaled(kind: Kind, item: Any, cpu_m: int) -> Workload:
    meta = item.metadata
    replicas = item.spec.replicas if item.spec.replicas is not None else 1  # the API's default
    return Workload(kind, meta.namespace, meta.name, replicas=replicas, labels=dict(meta.labels or {}),
                    annotations=dict(meta.annotations or {}), pod_cpu_m=cpu_m)  # fmt: skip
