"""Workload controllers of the emulated cluster, with the scale semantics hibernation relies on.

Deployments and StatefulSets keep `spec.replicas` pods (scaling down removes pods for good, newest or highest
ordinal first; scaling up creates them from the template). An HPA keeps its target within [min, max] but does
nothing to a target at zero replicas (Kubernetes disables autoscaling then). A KEDA ScaledObject holds its target
at `autoscaling.keda.sh/paused-replicas` when set, does nothing when `autoscaling.keda.sh/paused` is "true", and
otherwise scales a target up to its minReplicaCount, from zero too (which is why hibernation pauses it). CronJobs
only carry their suspend flag. A seed with pods but no controller objects gets them derived from the pods'
owners (ReplicaSet `web-5d8f` -> Deployment `web`), so the shipped OpenB cluster works unchanged.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from localmode.kube_emulator.objects import Obj, is_ready, now_iso
from localmode.kube_emulator.scheduling import is_terminal, owner, suffix

Key = tuple[str, str]
KINDS = {
    "Deployment": ("apps/v1", "deployments"),
    "StatefulSet": ("apps/v1", "statefulsets"),
    "CronJob": ("batch/v1", "cronjobs"),
    "HorizontalPodAutoscaler": ("autoscaling/v2", "hpas"),
    "ScaledObject": ("keda.sh/v1alpha1", "scaledobjects"),
}
PAUSED, PAUSED_REPLICAS = "autoscaling.keda.sh/paused", "autoscaling.keda.sh/paused-replicas"


@dataclass
class Workloads:
    deployments: dict[Key, Obj] = field(default_factory=dict)
    statefulsets: dict[Key, Obj] = field(default_factory=dict)
    cronjobs: dict[Key, Obj] = field(default_factory=dict)
    hpas: dict[Key, Obj] = field(default_factory=dict)
    scaledobjects: dict[Key, Obj] = field(default_factory=dict)
    replicasets: dict[Key, str] = field(default_factory=dict)  # (namespace, ReplicaSet) -> its Deployment

    def table(self, kind: str) -> dict[Key, Obj]:
        found: dict[Key, Obj] = getattr(self, KINDS[kind][1])
        return found

    def add(self, obj: Obj) -> None:
        meta = obj.setdefault("metadata", {})
        meta.setdefault("namespace", "default")
        meta.setdefault("annotations", {})
        meta.setdefault("labels", {})
        meta.setdefault("creationTimestamp", now_iso())
        meta.setdefault("generation", 1)
        meta.setdefault("resourceVersion", "1")
        meta.setdefault("uid", f"emulated-{obj['kind'].lower()}-{meta['namespace']}-{meta['name']}")
        obj.setdefault("apiVersion", KINDS[obj["kind"]][0])
        self.table(obj["kind"])[(meta["namespace"], meta["name"])] = obj
        if obj["kind"] == "Deployment":
            self.replicasets[(meta["namespace"], f"{meta['name']}-{_hash(meta['name'])}")] = meta["name"]


def _hash(name: str) -> str:
    return suffix(sum(ord(c) for c in name), 10)


def _template(pod: Obj) -> Obj:
    labels = {k: v for k, v in (pod["metadata"].get("labels") or {}).items() if k != "pod-template-hash"}
    spec = {k: copy.deepcopy(v) for k, v in (pod.get("spec") or {}).items() if k != "nodeName"}
    return {"metadata": {"labels": labels}, "spec": spec}


def derive(pods: dict[Key, Obj], workloads: Workloads) -> None:
    """Controllers for pods whose owners have none (a seed exported as pods only)."""
    counts: dict[tuple[str, str, str], list[Obj]] = {}
    for (namespace, _), pod in pods.items():
        reference = owner(pod) or {}
        kind, name = reference.get("kind"), str(reference.get("name", ""))
        if kind == "ReplicaSet" and (namespace, name) not in workloads.replicasets:
            counts.setdefault(("Deployment", namespace, name), []).append(pod)
        elif kind == "StatefulSet" and (namespace, name) not in workloads.statefulsets:
            counts.setdefault(("StatefulSet", namespace, name), []).append(pod)
    for (kind, namespace, name), members in sorted(counts.items()):
        template = _template(members[0])
        controller = name.rsplit("-", 1)[0] if kind == "Deployment" else name
        obj: Obj = {
            "kind": kind,
            "metadata": {"name": controller, "namespace": namespace, "labels": dict(template["metadata"]["labels"])},
            "spec": {"replicas": len(members), "selector": {"matchLabels": dict(template["metadata"]["labels"])},
                     "template": template, **({"serviceName": controller} if kind == "StatefulSet" else {})},
        }  # fmt: skip
        workloads.add(obj)
        if kind == "Deployment":
            workloads.replicasets[(namespace, name)] = controller


def owned(pods: dict[Key, Obj], workloads: Workloads, kind: str, key: Key) -> list[Key]:
    """The live pods of a Deployment or StatefulSet, in the order they go on a scale-down (last first)."""
    found = []
    for pod_key, pod in pods.items():
        if pod_key[0] != key[0] or is_terminal(pod):
            continue
        reference = owner(pod) or {}
        name = str(reference.get("name", ""))
        if kind == "Deployment" and reference.get("kind") == "ReplicaSet":
            if workloads.replicasets.get((key[0], name)) == key[1]:
                found.append(pod_key)
        elif kind == "StatefulSet" and reference.get("kind") == "StatefulSet" and name == key[1]:
            found.append(pod_key)
    if kind == "StatefulSet":
        return sorted(found, key=lambda k: int(k[1].rsplit("-", 1)[-1]) if k[1].rsplit("-", 1)[-1].isdigit() else 0)
    return sorted(found, key=lambda k: str(pods[k]["metadata"].get("uid", "")))


def autoscale(workloads: Workloads) -> None:
    """HPAs and KEDA act on their targets' spec.replicas, as their controllers do."""
    for (namespace, _), hpa in workloads.hpas.items():
        target = _target(workloads, namespace, hpa["spec"].get("scaleTargetRef") or {})
        if target is None or int(target["spec"].get("replicas", 1)) == 0:
            continue  # autoscaling is disabled while the target is at zero
        low, high = int(hpa["spec"].get("minReplicas") or 1), int(hpa["spec"]["maxReplicas"])
        target["spec"]["replicas"] = min(max(int(target["spec"]["replicas"]), low), high)
    for (namespace, _), scaled in workloads.scaledobjects.items():
        target = _target(workloads, namespace, scaled["spec"].get("scaleTargetRef") or {})
        notes = scaled["metadata"].get("annotations") or {}
        if target is None or str(notes.get(PAUSED, "")).lower() == "true":
            continue
        if PAUSED_REPLICAS in notes:
            target["spec"]["replicas"] = int(notes[PAUSED_REPLICAS])
            continue
        low = int(scaled["spec"].get("minReplicaCount") or 0)
        high = int(scaled["spec"].get("maxReplicaCount") or 100)
        target["spec"]["replicas"] = min(max(int(target["spec"].get("replicas", 0)), low), high)


def _target(workloads: Workloads, namespace: str, reference: dict[str, Any]) -> Obj | None:
    kind = reference.get("kind", "Deployment")
    if kind not in ("Deployment", "StatefulSet"):
        return None
    return workloads.table(kind).get((namespace, str(reference.get("name"))))


def new_pod(obj: Obj, serial: int, ordinal: int | None = None) -> Obj:
    """A pod of `obj`'s template, unscheduled: `<rs>-<suffix>` of a Deployment, `<name>-<ordinal>` of a StatefulSet."""
    meta, template = obj["metadata"], obj["spec"]["template"]
    if obj["kind"] == "Deployment":
        rs = f"{meta['name']}-{_hash(meta['name'])}"
        reference = {"kind": "ReplicaSet", "name": rs, "uid": f"emulated-replicaset-{meta['namespace']}-{rs}"}
        name = f"{rs}-{suffix(serial)}"
    else:
        name = f"{meta['name']}-{ordinal}"
        reference = {"kind": "StatefulSet", "name": meta["name"], "uid": str(meta["uid"])}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name, "namespace": meta["namespace"], "labels": dict(template["metadata"].get("labels") or {}),
            "uid": f"emulated-{serial:012d}", "creationTimestamp": now_iso(),
            "ownerReferences": [{"apiVersion": "apps/v1", "controller": True, **reference}],
        },
        "spec": copy.deepcopy(template.get("spec") or {}),
        "status": {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False"}]},
    }  # fmt: skip


def with_status(obj: Obj, pods: dict[Key, Obj], workloads: Workloads) -> Obj:
    """A copy with the status a controller would report (replicas and ready replicas counted now)."""
    shown = copy.deepcopy(obj)
    if obj["kind"] in ("Deployment", "StatefulSet"):
        key = (obj["metadata"]["namespace"], obj["metadata"]["name"])
        live = owned(pods, workloads, obj["kind"], key)
        ready = sum(1 for k in live if is_ready(pods[k]))
        generation = obj["metadata"].get("generation", 1)
        shown["status"] = {"replicas": len(live), "readyReplicas": ready, "availableReplicas": ready,
                           "updatedReplicas": len(live), "observedGeneration": generation}  # fmt: skip
    return shown
