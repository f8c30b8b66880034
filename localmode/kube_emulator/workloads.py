"""Workload controllers of the emulated cluster, with the scale semantics hibernation relies on.

Deployments and StatefulSets keep `spec.replicas` pods (scaling down removes pods for good, newest or highest
ordinal first; scaling up creates them from the template). A changed pod template is a new revision (a new
ReplicaSet of a Deployment, a new `controller-revision-hash` of a StatefulSet) that the controllers roll out
(localmode.kube_emulator.rollout); going back to an earlier template goes back to its revision, as Kubernetes does.
An HPA keeps its target within [min, max] but does nothing to a target at zero replicas (Kubernetes disables
autoscaling then). A KEDA ScaledObject holds its target at `autoscaling.keda.sh/paused-replicas` when set, does
nothing when `autoscaling.keda.sh/paused` is "true", and otherwise scales a target up to its minReplicaCount, from
zero too (which is why hibernation pauses it). CronJobs only carry their suspend flag. A seed with pods but no
controller objects gets them derived from the pods' owners (ReplicaSet `web-5d8f` -> Deployment `web`), so the
shipped OpenB cluster works unchanged.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from localmode.kube_emulator.objects import Obj, is_ready, now_iso
from localmode.kube_emulator.scheduling import is_terminal, owner, suffix

Key = tuple[str, str]
KINDS = {
    "Deployment": ("apps/v1", "deployments"),
    "StatefulSet": ("apps/v1", "statefulsets"),
    "DaemonSet": ("apps/v1", "daemonsets"),
    "CronJob": ("batch/v1", "cronjobs"),
    "HorizontalPodAutoscaler": ("autoscaling/v2", "hpas"),
    "ScaledObject": ("keda.sh/v1alpha1", "scaledobjects"),
}
PAUSED, PAUSED_REPLICAS = "autoscaling.keda.sh/paused", "autoscaling.keda.sh/paused-replicas"


@dataclass
class Workloads:
    deployments: dict[Key, Obj] = field(default_factory=dict)
    statefulsets: dict[Key, Obj] = field(default_factory=dict)
    daemonsets: dict[Key, Obj] = field(default_factory=dict)
    cronjobs: dict[Key, Obj] = field(default_factory=dict)
    hpas: dict[Key, Obj] = field(default_factory=dict)
    scaledobjects: dict[Key, Obj] = field(default_factory=dict)
    replicasets: dict[Key, str] = field(default_factory=dict)  # (namespace, ReplicaSet) -> its Deployment
    # (kind, namespace, name) -> its current revision: a Deployment's ReplicaSet, a StatefulSet's revision label
    revisions: dict[tuple[str, str, str], str] = field(default_factory=dict)
    # (kind, namespace, name, template hash) -> the revision made for that template
    by_template: dict[tuple[str, str, str, str], str] = field(default_factory=dict)

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
        if obj["kind"] in ROLLED:
            labels = ((obj.get("spec") or {}).get("template") or {}).get("metadata", {}).get("labels") or {}
            first = labels.get(REVISION_LABEL) if obj["kind"] != "Deployment" else None
            self.adopt(obj, str(first or f"{meta['name']}-{_hash(meta['name'])}"))

    def adopt(self, obj: Obj, revision: str) -> None:
        """`revision` is the one `obj`'s current template runs as (the pods already there belong to it)."""
        kind, meta = obj["kind"], obj["metadata"]
        key = (kind, meta["namespace"], meta["name"])
        self.revisions[key] = revision
        self.by_template[(*key, template_hash(obj))] = revision
        if kind == "Deployment":
            self.replicasets[(meta["namespace"], revision)] = meta["name"]

    def revision(self, obj: Obj) -> str:
        """The revision of `obj`'s template now: a template not seen before gets a new one."""
        kind, meta = obj["kind"], obj["metadata"]
        key, digest = (kind, meta["namespace"], meta["name"]), template_hash(obj)
        found = self.by_template.get((*key, digest))
        if found is None:
            found = f"{meta['name']}-{suffix(int(digest[:12], 16), 10)}"
            self.by_template[(*key, digest)] = found
            if kind == "Deployment":
                self.replicasets[(meta["namespace"], found)] = meta["name"]
        self.revisions[key] = found
        return found


REVISION_LABEL, TEMPLATE_HASH_LABEL = "controller-revision-hash", "pod-template-hash"
ROLLED = ("Deployment", "StatefulSet", "DaemonSet")  # the controllers that keep pods of a template and roll it


def template_hash(obj: Obj) -> str:
    template = (obj.get("spec") or {}).get("template") or {}
    return hashlib.sha256(json.dumps(template, sort_keys=True, default=str).encode()).hexdigest()


def revision_of(pod: Obj, kind: str) -> str:
    """The revision a pod of a Deployment (its ReplicaSet) or StatefulSet (its label) was made from."""
    if kind == "Deployment":
        return str((owner(pod) or {}).get("name", ""))
    return str((pod["metadata"].get("labels") or {}).get(REVISION_LABEL, ""))


def _hash(name: str) -> str:
    return suffix(sum(ord(c) for c in name), 10)


def _template(pod: Obj) -> Obj:
    labels = {
        k: v
        for k, v in (pod["metadata"].get("labels") or {}).items()
        if k not in (TEMPLATE_HASH_LABEL, "statefulset.kubernetes.io/pod-name", "apps.kubernetes.io/pod-index")
    }
    spec = {k: copy.deepcopy(v) for k, v in (pod.get("spec") or {}).items() if k != "nodeName"}
    annotations = dict(pod["metadata"].get("annotations") or {})
    return {"metadata": {"labels": labels, **({"annotations": annotations} if annotations else {})}, "spec": spec}


def derive(pods: dict[Key, Obj], workloads: Workloads) -> None:
    """Controllers for pods whose owners have none (a seed exported as pods only)."""
    counts: dict[tuple[str, str, str], list[Obj]] = {}
    for (namespace, _), pod in pods.items():
        reference = owner(pod) or {}
        kind, name = reference.get("kind"), str(reference.get("name", ""))
        if kind == "ReplicaSet" and (namespace, name) not in workloads.replicasets:
            counts.setdefault(("Deployment", namespace, name), []).append(pod)
        elif kind in ("StatefulSet", "DaemonSet") and (namespace, name) not in workloads.table(str(kind)):
            counts.setdefault((str(kind), namespace, name), []).append(pod)
    for (kind, namespace, name), members in sorted(counts.items()):
        template = _template(members[0])
        controller = name.rsplit("-", 1)[0] if kind == "Deployment" else name
        extra: Obj = {"replicas": len(members), **({"serviceName": controller} if kind == "StatefulSet" else {})}
        if kind == "DaemonSet":
            extra = {"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}}}
            unpin(template["spec"])
        obj: Obj = {
            "kind": kind,
            "metadata": {"name": controller, "namespace": namespace, "labels": dict(template["metadata"]["labels"])},
            "spec": {"selector": {"matchLabels": dict(template["metadata"]["labels"])}, "template": template, **extra},
        }  # fmt: skip
        workloads.add(obj)
        if kind == "Deployment":
            workloads.adopt(obj, name)  # the seeded pods' ReplicaSet runs the template they were derived from
        else:  # their controller labels every pod with its revision: an exported pod without it is of the first
            for pod in members:
                pod["metadata"].setdefault("labels", {}).setdefault(REVISION_LABEL, workloads.revisions[
                    (kind, namespace, controller)])  # fmt: skip


def unpin(spec: Obj) -> None:
    """A DaemonSet's template without the per-node pin its controller adds to each pod (nodeAffinity on the name)."""
    affinity = spec.get("affinity") or {}
    terms = (((affinity.get("nodeAffinity") or {}).get("requiredDuringSchedulingIgnoredDuringExecution") or {})
             .get("nodeSelectorTerms") or [])  # fmt: skip
    if terms and all(f.get("key") == "metadata.name" for t in terms for f in t.get("matchFields") or []):
        affinity.pop("nodeAffinity")
        if not affinity:
            spec.pop("affinity")


def pinned(pod: Obj, node: str) -> Obj:
    """A DaemonSet pod bound to its node, as the controller makes it (nodeName and the affinity on the name)."""
    pod["spec"]["nodeName"] = node
    pin = {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}
    required = {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [pin]}}
    pod["spec"]["affinity"] = {**(pod["spec"].get("affinity") or {}), "nodeAffinity": required}
    pod["status"] = {"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}]}
    return pod


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
        elif kind in ("StatefulSet", "DaemonSet") and reference.get("kind") == kind and name == key[1]:
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


def new_pod(obj: Obj, serial: int, ordinal: int | None = None, revision: str | None = None) -> Obj:
    """A pod of `obj`'s template at `revision` (default: the Deployment's first ReplicaSet), unscheduled:
    `<rs>-<suffix>` of a Deployment, `<name>-<ordinal>` of a StatefulSet, `<name>-<suffix>` of a DaemonSet."""
    meta, template = obj["metadata"], obj["spec"]["template"]
    labels = dict(template.get("metadata", {}).get("labels") or {})
    if obj["kind"] == "Deployment":
        rs = revision or f"{meta['name']}-{_hash(meta['name'])}"
        reference = {"kind": "ReplicaSet", "name": rs, "uid": f"emulated-replicaset-{meta['namespace']}-{rs}"}
        name = f"{rs}-{suffix(serial)}"
        labels[TEMPLATE_HASH_LABEL] = rs.rsplit("-", 1)[-1]
    elif obj["kind"] == "DaemonSet":
        name = f"{meta['name']}-{suffix(serial)}"
        reference = {"kind": "DaemonSet", "name": meta["name"], "uid": str(meta["uid"])}
        if revision:
            labels[REVISION_LABEL] = revision
    else:
        name = f"{meta['name']}-{ordinal}"
        reference = {"kind": "StatefulSet", "name": meta["name"], "uid": str(meta["uid"])}
        labels.update({"statefulset.kubernetes.io/pod-name": name, "apps.kubernetes.io/pod-index": str(ordinal)})
        if revision:
            labels[REVISION_LABEL] = revision
    annotations = dict(template.get("metadata", {}).get("annotations") or {})
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name, "namespace": meta["namespace"], "labels": labels,
            **({"annotations": annotations} if annotations else {}),
            "uid": f"emulated-{serial:012d}", "creationTimestamp": now_iso(),
            "ownerReferences": [{"apiVersion": "apps/v1", "controller": True, **reference}],
        },
        "spec": copy.deepcopy(template.get("spec") or {}),
        "status": {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False"}]},
    }  # fmt: skip


def with_status(obj: Obj, pods: dict[Key, Obj], workloads: Workloads) -> Obj:
    """A copy with the status a controller would report (replicas and ready replicas counted now)."""
    shown = copy.deepcopy(obj)
    if obj["kind"] in ROLLED:
        key = (obj["metadata"]["namespace"], obj["metadata"]["name"])
        live = owned(pods, workloads, obj["kind"], key)
        ready = sum(1 for k in live if is_ready(pods[k]))
        current = workloads.revision(obj)
        updated = sum(1 for k in live if revision_of(pods[k], obj["kind"]) == current)
        generation = obj["metadata"].get("generation", 1)
        shown["status"] = {"replicas": len(live), "readyReplicas": ready, "availableReplicas": ready,
                           "updatedReplicas": updated, "observedGeneration": generation}  # fmt: skip
        if obj["kind"] == "DaemonSet":
            shown["status"] = {"desiredNumberScheduled": len(live), "currentNumberScheduled": len(live),
                               "numberReady": ready, "numberAvailable": ready, "updatedNumberScheduled": updated,
                               "numberMisscheduled": 0, "observedGeneration": generation}  # fmt: skip
    return shown
