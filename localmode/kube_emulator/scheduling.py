"""The controllers a drain relies on, reduced to what makes drills honest.

A ReplicaSet (StatefulSet, Job) replaces a pod that was evicted or deleted; kube-scheduler binds pending pods to a
Ready, schedulable node whose selector, taints and free requests fit, preferring the least allocated one.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterable, Mapping

from cloudoptim.adapters.kube.objects import pod_requests, resources, taints, tolerations
from cloudoptim.errors import InputFileError
from engines.cluster.model import Resources
from localmode.kube_emulator.objects import Obj, is_ready, now_iso

REPLACED_KINDS = frozenset({"ReplicaSet", "StatefulSet", "Job", "ReplicationController"})
_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # what apimachinery's rand.String draws from


def owner(pod: Obj) -> Obj | None:
    references = pod.get("metadata", {}).get("ownerReferences") or []
    return next((r for r in references if r.get("controller")), references[0] if references else None)


def owner_kind(pod: Obj) -> str | None:
    reference = owner(pod)
    return str(reference.get("kind")) if reference else None


def is_terminal(pod: Obj) -> bool:
    return pod.get("status", {}).get("phase") in ("Succeeded", "Failed")


def requests_of(pod: Obj) -> Resources:
    try:
        return pod_requests(pod.get("spec") or {}, "pod")
    except InputFileError:
        return Resources(pods=1)


def allocatable_of(node: Obj) -> Resources:
    try:
        return resources(node.get("status", {}).get("allocatable") or {}, "node", pods=110)
    except InputFileError:
        return Resources()


def suffix(serial: int, length: int = 5) -> str:
    digest = hashlib.sha256(str(serial).encode()).digest()
    return "".join(_SUFFIX_ALPHABET[b % len(_SUFFIX_ALPHABET)] for b in digest[:length])


def replacement(pod: Obj, serial: int) -> Obj:
    """The controller's new pod for `pod`: same template and owner, new identity, not yet scheduled.

    A StatefulSet keeps the ordinal name; other controllers generate `<owner>-<suffix>`.
    """
    meta = pod["metadata"]
    reference = owner(pod) or {}
    if reference.get("kind") == "StatefulSet":
        name = meta["name"]
    else:
        base = meta.get("generateName") or f"{reference.get('name', meta['name'])}-"
        name = f"{base}{suffix(serial)}"
    fresh: Obj = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            **{k: copy.deepcopy(v) for k, v in meta.items() if k in ("namespace", "labels", "annotations")},
            "name": name,
            "uid": f"emulated-{serial:012d}",
            "creationTimestamp": now_iso(),
            "ownerReferences": copy.deepcopy(meta.get("ownerReferences") or []),
        },
        "spec": {k: copy.deepcopy(v) for k, v in (pod.get("spec") or {}).items() if k != "nodeName"},
        "status": {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False"}]},
    }
    if meta.get("generateName"):
        fresh["metadata"]["generateName"] = meta["generateName"]
    return fresh


def feasible(node: Obj, pod: Obj) -> bool:
    """Node-level filters: Ready, not cordoned, nodeSelector, NoSchedule/NoExecute taints tolerated."""
    if not is_ready(node) or node.get("spec", {}).get("unschedulable"):
        return False
    spec = pod.get("spec") or {}
    labels = node.get("metadata", {}).get("labels") or {}
    if any(labels.get(k) != v for k, v in (spec.get("nodeSelector") or {}).items()):
        return False
    try:
        node_taints = taints(node.get("spec", {}).get("taints"), "node.taints")
        pod_tolerations = tolerations(spec.get("tolerations"), "pod.tolerations")
    except InputFileError:
        return False
    hard = [t for t in node_taints if t.effect in ("NoSchedule", "NoExecute")]
    return all(any(tol.tolerates(t) for tol in pod_tolerations) for t in hard)


def choose_node(nodes: Iterable[Obj], used: Mapping[str, Resources], pod: Obj) -> str | None:
    """The feasible node with room for the pod's requests and the most free CPU after placing it."""
    need = requests_of(pod)
    candidates: list[tuple[int, str]] = []
    for node in nodes:
        name = node["metadata"]["name"]
        free = allocatable_of(node) - used.get(name, Resources())
        if feasible(node, pod) and need.fits_in(free):
            candidates.append((-(free - need).cpu_m, name))
    return min(candidates)[1] if candidates else None
