"""`KubePort` (cloudoptim.interruptions.kube) over the official `kubernetes` client.

`connect(access, sts_client=...)` gives the port for one cluster; tests run it against `localmode.kube_emulator`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from kubernetes.client import ApiClient, Configuration, CoreV1Api, PolicyV1Api, V1DeleteOptions, V1Eviction
from kubernetes.client import V1ObjectMeta as Meta
from kubernetes.client.exceptions import ApiException

from cloudoptim.adapters.kube.api_errors import budget_refusal, translated
from cloudoptim.adapters.kube.auth import ClusterAccess, bearer_token
from cloudoptim.interruptions.kube import (
    MIRROR_ANNOTATION,
    BudgetStatus,
    EvictionOutcome,
    EvictionResult,
    KubePort,
    NodeStatus,
    PodRef,
    instance_id_of,
)

_PAGE = 500


class KubeApiAdapter:
    """KubePort over an injected `kubernetes.client.ApiClient`; API errors become KubeError subclasses."""

    def __init__(self, api_client: ApiClient, request_timeout: tuple[float, float] = (5.0, 20.0)) -> None:
        self._core = CoreV1Api(api_client)
        self._policy = PolicyV1Api(api_client)
        self._timeout = request_timeout
        # Nodes and pods are read as JSON, not as the client's models: building V1Node and V1Pod objects was most of
        # a Kubernetes step's CPU, and a drain reads a few fields of each.
        self._raw: dict[str, Any] = {"_request_timeout": request_timeout, "_preload_content": False}

    def get_node(self, name: str) -> NodeStatus | None:
        with translated(f"get node {name}"):
            try:
                return node_from_json(_json(self._core.read_node(name, **self._raw)))
            except ApiException as exc:
                if exc.status == 404:
                    return None
                raise

    def node_for_instance(self, instance_id: str) -> str | None:
        # The API cannot select nodes by spec.providerID, so we page through them.
        for item in self._all(self._core.list_node, "list nodes"):
            if instance_id_of(item.spec.provider_id if item.spec else None) == instance_id:
                return str(item.metadata.name)
        return None

    def cordon(self, name: str) -> NodeStatus:
        with translated(f"cordon node {name}"):
            patched = _json(self._core.patch_node(name, {"spec": {"unschedulable": True}}, **self._raw))
        return node_from_json(patched)

    def pods_on_node(self, name: str) -> list[PodRef]:
        items = self._all_json(self._core.list_pod_for_all_namespaces, f"list pods on {name}", f"spec.nodeName={name}")
        return [pod_from_json(item) for item in items]

    def evict(self, namespace: str, name: str, grace_seconds: int | None = None) -> EvictionOutcome:
        body = V1Eviction(
            metadata=Meta(name=name, namespace=namespace),
            delete_options=V1DeleteOptions(grace_period_seconds=grace_seconds) if grace_seconds is not None else None,
        )
        with translated(f"evict pod {namespace}/{name}"):
            try:
                # the answer is a bare Status: read, never parsed into models (a round's costliest part), released
                answer: Any = self._core.create_namespaced_pod_eviction(name, namespace, body, **self._raw)
                answer.read()
                answer.release_conn()
            except ApiException as exc:
                refusal = budget_refusal(exc)
                if refusal is not None:
                    return EvictionOutcome(
                        namespace=namespace, name=name, result=EvictionResult.BLOCKED_BY_PDB, message=refusal
                    )
                if exc.status == 404:
                    return EvictionOutcome(namespace=namespace, name=name, result=EvictionResult.GONE)
                raise
        return EvictionOutcome(namespace=namespace, name=name, result=EvictionResult.EVICTED)

    def pdbs(self) -> list[BudgetStatus]:
        items = self._all(self._policy.list_pod_disruption_budget_for_all_namespaces, "list pod disruption budgets")
        return [_budget(item) for item in items]

    def _all_json(self, list_call: Callable[..., Any], what: str, field_selector: str | None = None) -> list[Any]:
        """Every item of a paged List as plain JSON (the raw response, never deserialized into models)."""
        items: list[Any] = []
        token: str | None = None
        with translated(what):
            while True:
                kwargs: dict[str, Any] = {"limit": _PAGE, "_request_timeout": self._timeout, "_preload_content": False}
                if field_selector:
                    kwargs["field_selector"] = field_selector
                if token:
                    kwargs["_continue"] = token
                page = _json(list_call(**kwargs))
                items.extend(page.get("items") or [])
                token = (page.get("metadata") or {}).get("continue") or None
                if not token:
                    return items

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


def connect(
    access: ClusterAccess,
    *,
    sts_client: Any = None,
    secrets_client: Any = None,
    request_timeout: tuple[float, float] = (5.0, 20.0),
) -> KubePort:
    """The port for one customer cluster: a fresh token (EKS tokens live 15 minutes), TLS pinned to the CA."""
    return KubeApiAdapter(
        api_client(access.endpoint, bearer_token(access, sts_client, secrets_client), access.ca_data),
        request_timeout=request_timeout,
    )


def api_client(endpoint: str, token: str | None, ca_data: str | None = None) -> ApiClient:
    """An ApiClient without kubeconfig: the endpoint, a bearer token, and the cluster CA (base64 PEM)."""
    configuration = Configuration(host=endpoint.rstrip("/"))
    if token:
        configuration.api_key = {"BearerToken": token}
        configuration.api_key_prefix = {"BearerToken": "Bearer"}
    if ca_data:
        configuration.ca_cert_data = base64.b64decode(ca_data).decode()
    # A hung control plane must not eat a Lambda's whole timeout in urllib3's own retries.
    configuration.retries = 2
    return ApiClient(configuration)


def _node(item: Any) -> NodeStatus:
    status, spec = item.status, item.spec
    conditions = (status.conditions if status else None) or []
    ready = any(c.type == "Ready" and c.status == "True" for c in conditions)
    return NodeStatus(
        name=str(item.metadata.name),
        ready=ready,
        unschedulable=bool(spec.unschedulable) if spec else False,
        labels=dict(item.metadata.labels or {}),
        provider_id=spec.provider_id if spec else None,
    )


def _json(answer: Any) -> dict[str, Any]:
    """The body of an unparsed answer (`_preload_content=False`); the connection goes back to the pool."""
    try:
        found = json.loads(answer.data or b"{}")
    finally:
        answer.release_conn()
    return found if isinstance(found, dict) else {}


def node_from_json(item: dict[str, Any]) -> NodeStatus:
    """The same NodeStatus as `_node`, from the API's JSON."""
    meta, spec, status = item.get("metadata") or {}, item.get("spec") or {}, item.get("status") or {}
    return NodeStatus(
        name=str(meta.get("name")),
        ready=any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or []),
        unschedulable=bool(spec.get("unschedulable")),
        labels=dict(meta.get("labels") or {}),
        provider_id=spec.get("providerID"),
    )


def pod_from_json(item: dict[str, Any]) -> PodRef:
    """The same PodRef as `_pod`, from the API's JSON."""
    meta, spec, status = item.get("metadata") or {}, item.get("spec") or {}, item.get("status") or {}
    owners = meta.get("ownerReferences") or []
    owner = next((o for o in owners if o.get("controller")), owners[0] if owners else None)
    return PodRef(
        namespace=str(meta.get("namespace") or "default"),
        name=str(meta.get("name")),
        node_name=spec.get("nodeName"),
        owner_kind=owner.get("kind") if owner else None,
        owner_name=owner.get("name") if owner else None,
        phase=str(status.get("phase") or "Pending"),
        ready=any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or []),
        mirror=MIRROR_ANNOTATION in (meta.get("annotations") or {}),
        local_storage=any(v.get("emptyDir") is not None for v in spec.get("volumes") or []),
        deleting=meta.get("deletionTimestamp") is not None,
    )


def _pod(item: Any) -> PodRef:
    meta, spec, status = item.metadata, item.spec, item.status
    owners = meta.owner_references or []
    owner = next((o for o in owners if o.controller), owners[0] if owners else None)
    conditions = (status.conditions if status else None) or []
    volumes = (spec.volumes if spec else None) or []
    return PodRef(
        namespace=str(meta.namespace or "default"),
        name=str(meta.name),
        node_name=spec.node_name if spec else None,
        owner_kind=owner.kind if owner else None,
        owner_name=owner.name if owner else None,
        phase=str((status.phase if status else None) or "Pending"),
        ready=any(c.type == "Ready" and c.status == "True" for c in conditions),
        mirror=MIRROR_ANNOTATION in (meta.annotations or {}),
        local_storage=any(v.empty_dir is not None for v in volumes),
        deleting=meta.deletion_timestamp is not None,
    )


def _budget(item: Any) -> BudgetStatus:
    spec, status = item.spec, item.status
    selector = spec.selector if spec else None
    return BudgetStatus(
        namespace=str(item.metadata.namespace or "default"),
        name=str(item.metadata.name),
        min_available=spec.min_available if spec else None,
        max_unavailable=spec.max_unavailable if spec else None,
        match_labels=dict((selector.match_labels if selector else None) or {}),
        expected_pods=int(status.expected_pods or 0) if status else 0,
        current_healthy=int(status.current_healthy or 0) if status else 0,
        desired_healthy=int(status.desired_healthy or 0) if status else 0,
        disruptions_allowed=int(status.disruptions_allowed or 0) if status else 0,
    )
