"""The emulator's workload routes: Deployments and StatefulSets (with their scale subresource), DaemonSets, CronJobs,
HorizontalPodAutoscalers (autoscaling/v2) and KEDA ScaledObjects: list, get, create, patch."""

from __future__ import annotations

import copy
from typing import Any

from localmode.kube_emulator.objects import ApiError, Obj, json_patch, merge_patch, not_found
from localmode.kube_emulator.server import Query, _list, route
from localmode.kube_emulator.store import ClusterStore
from localmode.kube_emulator.workloads import KINDS, with_status

PLURALS = {
    "deployments": "Deployment",
    "statefulsets": "StatefulSet",
    "daemonsets": "DaemonSet",
    "cronjobs": "CronJob",
    "horizontalpodautoscalers": "HorizontalPodAutoscaler",
    "scaledobjects": "ScaledObject",
}
_BASE = r"/apis/(?:apps/v1|batch/v1|autoscaling/v2|keda\.sh/v1alpha1)(?:/namespaces/(?P<namespace>[^/]+))?"
_PLURAL = r"(?P<plural>deployments|statefulsets|daemonsets|cronjobs|horizontalpodautoscalers|scaledobjects)"


def _kind(path: dict[str, str]) -> str:
    return PLURALS[path["plural"]]


def _get(store: ClusterStore, kind: str, namespace: str, name: str) -> Obj:
    found = store.state.workloads.table(kind).get((namespace, name))
    if found is None:
        raise not_found(f"{path_plural(kind)}", name)
    return found


def path_plural(kind: str) -> str:
    return next(plural for plural, k in PLURALS.items() if k == kind)


def _shown(store: ClusterStore, obj: Obj) -> Obj:
    return with_status(obj, store.state.pods, store.state.workloads)


def _patched(current: Obj, body: Any, ctype: str) -> Obj:
    if "json-patch" in ctype:
        return json_patch(current, body if isinstance(body, list) else [])
    if isinstance(body, dict):
        return dict(merge_patch(current, body))
    raise ApiError(415, "UnsupportedMediaType", f"the body of the request was in an unknown format: {ctype}")


@route("GET", rf"{_BASE}/{_PLURAL}")
def _list_workloads(store: ClusterStore, path: dict[str, str], query: Query, body: Any, ctype: str) -> tuple[int, Obj]:
    kind = _kind(path)
    with store.operation():
        items = [_shown(store, o) for (ns, _), o in sorted(store.state.workloads.table(kind).items())
                 if path.get("namespace") in (None, ns)]  # fmt: skip
    return 200, _list(f"{kind}List", KINDS[kind][0], items, query)


@route("POST", rf"{_BASE}/{_PLURAL}")
def _create_workload(store: ClusterStore, path: dict[str, str], query: Query, body: Any, ctype: str) -> tuple[int, Obj]:
    kind = _kind(path)
    obj = copy.deepcopy(body or {})
    obj["kind"] = kind
    obj.setdefault("metadata", {})["namespace"] = path.get("namespace") or obj["metadata"].get("namespace", "default")
    with store.operation():
        key = (obj["metadata"]["namespace"], obj["metadata"].get("name"))
        if key in store.state.workloads.table(kind):
            raise ApiError(409, "AlreadyExists", f'{path["plural"]} "{key[1]}" already exists')
        store.state.load(obj)
        store.state.tick()
        return 201, _shown(store, obj)


@route("GET", rf"{_BASE}/{_PLURAL}/(?P<name>[^/]+)")
def _get_workload(store: ClusterStore, path: dict[str, str], query: Query, body: Any, ctype: str) -> tuple[int, Obj]:
    with store.operation():
        return 200, _shown(store, _get(store, _kind(path), path.get("namespace", "default"), path["name"]))


@route("PATCH", rf"{_BASE}/{_PLURAL}/(?P<name>[^/]+)")
def _patch_workload(store: ClusterStore, path: dict[str, str], query: Query, body: Any, ctype: str) -> tuple[int, Obj]:
    kind, namespace = _kind(path), path.get("namespace", "default")
    with store.operation():
        current = _get(store, kind, namespace, path["name"])
        patched = _patched(copy.deepcopy(current), body, ctype)
        if patched.get("metadata", {}).get("name") != path["name"]:
            raise ApiError(422, "Invalid", "metadata.name: the name cannot be patched")
        patched["metadata"]["generation"] = int(current["metadata"].get("generation", 1)) + 1
        store.state.workloads.table(kind)[(namespace, path["name"])] = patched
        store.state.stamp(patched)
        store.state.tick()
        return 200, _shown(store, patched)


@route("GET", rf"{_BASE}/(?P<plural>deployments|statefulsets)/(?P<name>[^/]+)/scale")
def _get_scale(store: ClusterStore, path: dict[str, str], query: Query, body: Any, ctype: str) -> tuple[int, Obj]:
    with store.operation():
        return 200, _scale(store, _get(store, _kind(path), path.get("namespace", "default"), path["name"]))


@route("PATCH", rf"{_BASE}/(?P<plural>deployments|statefulsets)/(?P<name>[^/]+)/scale")
def _patch_scale(store: ClusterStore, path: dict[str, str], query: Query, body: Any, ctype: str) -> tuple[int, Obj]:
    kind, namespace = _kind(path), path.get("namespace", "default")
    with store.operation():
        current = _get(store, kind, namespace, path["name"])
        wanted = _patched(_scale(store, current), body, ctype).get("spec", {}).get("replicas")
        if not isinstance(wanted, int) or wanted < 0:
            raise ApiError(422, "Invalid", "spec.replicas: must be a non-negative integer")
        current["spec"]["replicas"] = wanted
        current["metadata"]["generation"] = int(current["metadata"].get("generation", 1)) + 1
        store.state.stamp(current)
        store.state.tick()
        return 200, _scale(store, current)


def _scale(store: ClusterStore, obj: Obj) -> Obj:
    shown = _shown(store, obj)
    meta = obj["metadata"]
    return {
        "apiVersion": "autoscaling/v1", "kind": "Scale",
        "metadata": {"name": meta["name"], "namespace": meta["namespace"], "resourceVersion": meta["resourceVersion"]},
        "spec": {"replicas": obj["spec"].get("replicas", 1)},
        "status": {"replicas": shown["status"]["replicas"]},
    }  # fmt: skip
