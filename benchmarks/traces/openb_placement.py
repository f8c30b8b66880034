"""Workloads of the OpenB clusters: how they are drawn, placed (a small kube-scheduler) and rendered as objects.

See the docstring of `benchmarks.traces.openb` for what is real and what is synthetic. The scheduler places one
workload at a time, pod by pod: filter (requests fit allocatable minus what is placed, taint, nodeSelector,
required anti-affinity on the hostname, zone spread with maxSkew 1), score with LeastAllocated in kube-scheduler's
integer arithmetic, pick the best at random among ties. A workload whose pods cannot all be placed is rolled back.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

Obj = dict[str, Any]
Ints = NDArray[np.int64]
Bools = NDArray[np.bool_]
GPU = "nvidia.com/gpu"
HOSTNAME = "kubernetes.io/hostname"
ZONE = "topology.kubernetes.io/zone"
CAPACITY_TYPE = "karpenter.sh/capacity-type"
GPU_PRESENT = "nvidia.com/gpu.present"
NAMESPACES = tuple(f"team-{c}" for c in "abcdef")
ECR = "602401143452.dkr.ecr.eu-west-1.amazonaws.com"  # the EKS add-on registry of eu-west-1
APPS = "111122223333.dkr.ecr.eu-west-1.amazonaws.com"  # AWS's documentation account
ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # k8s.io/apimachinery rand.SafeEncodeString
WORDS = (
    ("api", "web", "ingest", "train", "infer", "etl", "search", "cache", "billing", "auth", "feature", "embed"),
    ("server", "worker", "runner", "service", "engine", "consumer", "gateway", "store", "trainer", "batch"),
)
SIDECAR_CPU_M, SIDECAR_MEM_MI = 50, 64
DAEMON_CONDITIONS = (
    "not-ready:NoExecute unreachable:NoExecute disk-pressure:NoSchedule memory-pressure:NoSchedule "
    "pid-pressure:NoSchedule unschedulable:NoSchedule network-unavailable:NoSchedule"
)
DEFAULT_TOLERATIONS = [  # added to every pod by the DefaultTolerationSeconds admission plugin
    {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists", "tolerationSeconds": 300},
    {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists", "tolerationSeconds": 300},
]
DAEMON_TOLERATIONS = [{"operator": "Exists"}] + [  # the chart's catch-all plus what the DaemonSet controller adds
    {"effect": effect, "key": f"node.kubernetes.io/{key}", "operator": "Exists"}
    for key, effect in (pair.split(":") for pair in DAEMON_CONDITIONS.split())
]
GPU_TOLERATION = {"effect": "NoSchedule", "key": GPU, "operator": "Equal", "value": "true"}


class DaemonSet(NamedTuple):
    namespace: str
    name: str
    cpu_m: int
    mem_mi: int
    host_network: bool
    labels: dict[str, str]
    image: str


EBS_CSI, NODE_EXPORTER = f"{ECR}/eks/aws-ebs-csi-driver:v1.38.1", "quay.io/prometheus/node-exporter:v1.8.2"
DAEMONSETS = (
    DaemonSet("kube-system", "kube-proxy", 100, 128, True, {"k8s-app": "kube-proxy"}, f"{ECR}/eks/kube-proxy:v1.31.3"),
    DaemonSet("kube-system", "aws-node", 25, 64, True, {"k8s-app": "aws-node"}, f"{ECR}/amazon-k8s-cni:v1.19.2"),
    DaemonSet("kube-system", "ebs-csi-node", 10, 40, False, {"app": "ebs-csi-node"}, EBS_CSI),
    DaemonSet("monitoring", "node-exporter", 100, 180, True, {"app": "node-exporter"}, NODE_EXPORTER),
)


class Ids:
    """Deterministic names, uids, hashes and resourceVersions from the cluster's generator; names never repeat."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.used: set[str] = set()
        self.versions = 1000

    def token(self, length: int) -> str:
        return "".join(ALPHABET[i] for i in self.rng.integers(0, len(ALPHABET), length))

    def unique(self, prefix: str, length: int = 5) -> str:
        while (name := f"{prefix}-{self.token(length)}") in self.used:
            pass
        self.used.add(name)
        return name

    def workload_name(self, namespace: str) -> str:
        a, b = WORDS[0][self.rng.integers(len(WORDS[0]))], WORDS[1][self.rng.integers(len(WORDS[1]))]
        base, n = f"{a}-{b}", 1
        while (name := base if n == 1 else f"{base}-{n}") in self.used or f"{namespace}/{name}" in self.used:
            n += 1
        self.used.add(f"{namespace}/{name}")
        return name

    def uid(self) -> str:
        return str(uuid.UUID(bytes=self.rng.bytes(16), version=4))

    def version(self) -> str:
        self.versions += 1
        return str(self.versions)


@dataclass
class Workload:
    """One team workload (or coredns); all replicas share the shape sampled from one OpenB pod row."""

    namespace: str
    name: str
    kind: str  # Deployment, StatefulSet or Pod (bare)
    replicas: int
    cpu_m: int
    mem_mi: int
    gpus: int
    labels: dict[str, str]
    hash: str
    uid: str
    sidecar: bool = False
    on_demand_only: bool = False
    anti_affinity: bool = False
    spread: bool = False
    empty_dir: bool = False
    annotations: dict[str, str] = field(default_factory=dict)
    pdb: tuple[str, int | str] | None = None  # ("maxUnavailable", 1), ("minAvailable", 2) or ("minAvailable", "50%")

    def requests(self) -> Ints:
        """What the scheduler sums per pod: cpu (m), memory (MiB), GPUs, one pod slot."""
        extra = (SIDECAR_CPU_M, SIDECAR_MEM_MI) if self.sidecar else (0, 0)
        return np.array([self.cpu_m + extra[0], self.mem_mi + extra[1], self.gpus, 1], dtype=np.int64)


def draw_workload(ids: Ids, cpu_m: int, mem_mi: int, gpus: int, max_replicas: int) -> Workload:
    """The synthetic part of a workload (kind, replicas, constraints, annotations, PDB) around a real shape."""
    rng = ids.rng
    u = rng.random()
    kind = "Pod" if u < 0.03 else "StatefulSet" if u < 0.11 else "Deployment"
    replicas = min(1 if kind == "Pod" else int(rng.geometric(0.4)), 10, max_replicas)
    namespace = NAMESPACES[rng.integers(len(NAMESPACES))]
    name = ids.workload_name(namespace)
    deployment, multi = kind == "Deployment", kind == "Deployment" and replicas >= 2
    f = rng.random(9)
    w = Workload(namespace, name, kind, replicas, cpu_m, mem_mi or 256, gpus, {"app": name}, ids.token(10), ids.uid())
    w.sidecar, w.on_demand_only, w.empty_dir = (
        deployment and f[0] < 0.15,
        deployment and f[1] < 0.1,
        deployment and f[4] < 0.04,
    )
    w.anti_affinity, w.spread = multi and f[2] < 0.1, multi and f[3] < 0.1
    if f[5] < 0.02:
        w.annotations["karpenter.sh/do-not-disrupt"] = "true"
    if f[6] < 0.01:
        w.annotations["cloudoptim.io/do-not-disrupt"] = "true"
    if kind != "Pod" and replicas >= 2 and f[7] < 0.6:
        w.pdb = ("maxUnavailable", 1) if f[8] < 0.5 else ("minAvailable", "50%" if f[8] > 0.875 else replicas - 1)
    return w


class Scheduler:
    """Free resources per node (columns cpu m, memory MiB, GPUs, pods) and the placement of whole workloads."""

    def __init__(self, alloc: Ints, zone: Ints, gpu_node: Bools, on_demand: Bools, rng: np.random.Generator) -> None:
        self.alloc, self.free, self.zone = alloc, alloc.copy(), zone
        self.gpu_node, self.on_demand, self.rng = gpu_node, on_demand, rng

    def place(self, w: Workload) -> list[int] | None:
        """Node indices of the workload's pods in creation order, or None (nothing placed) if one does not fit."""
        req = w.requests()
        selected = self.gpu_node.copy() if w.gpus else np.ones(len(self.zone), dtype=np.bool_)
        if w.on_demand_only:
            selected &= self.on_demand
        # Spread domains: zones with a node matching the nodeSelector (nodeAffinityPolicy Honor, nodeTaintsPolicy
        # Ignore: the defaults). Taints then filter: only GPU pods tolerate the GPU taint.
        domains = np.bincount(self.zone[selected], minlength=3) > 0
        static = selected if w.gpus else selected & ~self.gpu_node
        if not static.any():
            return None
        per_zone = np.zeros(3, dtype=np.int64)
        used = np.zeros(len(self.zone), dtype=np.bool_)
        placed: list[int] = []
        for _ in range(w.replicas):
            fit = static & (self.free >= req).all(axis=1)
            if w.anti_affinity:
                fit &= ~used
            if w.spread:  # placing in zone z gives skew per_zone[z] + 1 - min over the domains, at most 1
                fit &= (per_zone <= per_zone[domains].min())[self.zone]
            candidates = np.flatnonzero(fit)
            if candidates.size == 0:
                for node in placed:
                    self.free[node] += req
                return None
            # NodeResourcesFit LeastAllocated, cpu and memory weight 1, integer like kube-scheduler
            score = ((self.free[candidates, :2] - req[:2]) * 100 // self.alloc[candidates, :2]).sum(axis=1) // 2
            best = candidates[score == score.max()]
            node = int(best[self.rng.integers(best.size)])
            self.free[node] -= req
            used[node] = True
            per_zone[self.zone[node]] += 1
            placed.append(node)
        return placed


class Host(NamedTuple):
    name: str
    ip: str
    zone: str


def _container(name: str, image: str, cpu_m: int, mem_mi: int, gpus: int = 0, mounts: list[Obj] | None = None) -> Obj:
    requests: Obj = {"cpu": cpu(cpu_m), "memory": memory(mem_mi)}
    limits: Obj = {"memory": memory(mem_mi)}
    if gpus:
        requests[GPU] = limits[GPU] = str(gpus)
    c: Obj = {"name": name, "image": image, "imagePullPolicy": "IfNotPresent"}
    c["resources"] = {"limits": limits, "requests": requests}
    c |= {"terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}
    return c | ({"volumeMounts": mounts} if mounts else {})


def _pod(meta: Obj, containers: list[Obj], spec: Obj, host: Host, pod_ip: str, started: str, ids: Ids) -> Obj:
    meta = {"creationTimestamp": started, "resourceVersion": ids.version(), "uid": ids.uid()} | meta
    spec = {
        "containers": containers,
        "dnsPolicy": "ClusterFirst",
        "enableServiceLinks": True,
        "nodeName": host.name,
        "preemptionPolicy": "PreemptLowerPriority",
        "priority": 0,
        "restartPolicy": "Always",
        "schedulerName": "default-scheduler",
        "securityContext": {},
        "serviceAccount": "default",
        "serviceAccountName": "default",
        "terminationGracePeriodSeconds": 30,
        "tolerations": DEFAULT_TOLERATIONS,
    } | spec
    kinds = ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")
    statuses = [
        {
            "containerID": f"containerd://{ids.rng.bytes(32).hex()}",
            "image": c["image"],
            "imageID": f"{c['image'].split(':')[0]}@sha256:{ids.rng.bytes(32).hex()}",
            "lastState": {},
            "name": c["name"],
            "ready": True,
            "restartCount": 0,
            "started": True,
            "state": {"running": {"startedAt": started}},
        }
        for c in containers
    ]
    status = {
        "conditions": [
            {"lastProbeTime": None, "lastTransitionTime": started, "status": "True", "type": t} for t in kinds
        ],
        "containerStatuses": statuses,
        "hostIP": host.ip,
        "hostIPs": [{"ip": host.ip}],
        "phase": "Running",
        "podIP": pod_ip,
        "podIPs": [{"ip": pod_ip}],
        "qosClass": "Burstable",
        "startTime": started,
    }
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec, "status": status}


def render_pod(w: Workload, index: int, host: Host, pod_ip: str, started: str, ids: Ids) -> Obj:
    """One replica of a team workload (or coredns when the namespace is kube-system)."""
    system = w.namespace == "kube-system"
    meta: Obj = {"labels": dict(w.labels), "namespace": w.namespace}
    owner = {"apiVersion": "apps/v1", "blockOwnerDeletion": True, "controller": True, "kind": w.kind, "uid": w.uid}
    spec: Obj = {}
    mounts: list[Obj] = []
    if w.kind == "Deployment":
        meta["generateName"] = f"{w.name}-{w.hash}-"
        meta["name"] = ids.unique(f"{w.name}-{w.hash}")
        meta["labels"]["pod-template-hash"] = w.hash
        meta["ownerReferences"] = [owner | {"kind": "ReplicaSet", "name": f"{w.name}-{w.hash}"}]
    elif w.kind == "StatefulSet":
        meta["name"] = spec["hostname"] = f"{w.name}-{index}"
        meta["generateName"], spec["subdomain"] = f"{w.name}-", w.name
        meta["labels"] |= {
            "apps.kubernetes.io/pod-index": str(index),
            "controller-revision-hash": f"{w.name}-{w.hash}",
            "statefulset.kubernetes.io/pod-name": meta["name"],
        }
        meta["ownerReferences"] = [owner | {"name": w.name}]
        spec["volumes"] = [{"name": "data", "persistentVolumeClaim": {"claimName": f"data-{meta['name']}"}}]
        mounts.append({"mountPath": "/data", "name": "data"})
    else:
        meta["name"] = w.name
    if w.annotations:
        meta["annotations"] = dict(w.annotations)
    if w.empty_dir:
        spec["volumes"] = [{"emptyDir": {}, "name": "scratch"}]
        mounts.append({"mountPath": "/scratch", "name": "scratch"})
    selector: dict[str, str] = {}
    if w.gpus:
        selector[GPU_PRESENT] = "true"
        spec["tolerations"] = [GPU_TOLERATION, *DEFAULT_TOLERATIONS]
    if w.on_demand_only:
        selector[CAPACITY_TYPE] = "on-demand"
    if selector:
        spec["nodeSelector"] = selector
    term = {"labelSelector": {"matchLabels": dict(w.labels)}, "topologyKey": HOSTNAME}
    if w.anti_affinity:
        spec["affinity"] = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term]}}
    if w.spread:
        spec["topologySpreadConstraints"] = [
            {"labelSelector": {"matchLabels": dict(w.labels)}, "maxSkew": 1, "topologyKey": ZONE}
            | {"whenUnsatisfiable": "DoNotSchedule"}
        ]
    image = f"{ECR}/eks/coredns:v1.11.4" if system else f"{APPS}/{w.namespace}/{w.name}:1.{len(w.name)}.0"
    containers = [_container("coredns" if system else "app", image, w.cpu_m, w.mem_mi, w.gpus, mounts)]
    if w.sidecar:
        containers.append(
            _container("log-shipper", "public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.4", 50, 64)
        )
    if system:
        control_plane = {"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane"}
        critical = [{"key": "CriticalAddonsOnly", "operator": "Exists"}, control_plane, *DEFAULT_TOLERATIONS]
        spec |= {"priorityClassName": "system-cluster-critical", "priority": 2000000000, "tolerations": critical}
        preferred = [{"podAffinityTerm": term, "weight": 100}]
        spec["affinity"] = {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": preferred}}
    return _pod(meta, containers, spec, host, pod_ip, started, ids)


def render_daemon_pod(ds: DaemonSet, owner: tuple[str, str], host: Host, pod_ip: str, started: str, ids: Ids) -> Obj:
    """One DaemonSet pod; `owner` is the DaemonSet's uid and controller-revision-hash."""
    meta: Obj = {
        "generateName": f"{ds.name}-",
        "labels": ds.labels | {"controller-revision-hash": owner[1], "pod-template-generation": "1"},
        "name": ids.unique(ds.name),
        "namespace": ds.namespace,
        "ownerReferences": [
            {"apiVersion": "apps/v1", "blockOwnerDeletion": True, "controller": True, "kind": "DaemonSet"}
            | {"name": ds.name, "uid": owner[0]}
        ],
    }
    pin = {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [host.name]}]}
    spec: Obj = {
        "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [pin]}}},
        "tolerations": DAEMON_TOLERATIONS,
    }
    if ds.namespace == "kube-system":
        spec |= {"priorityClassName": "system-node-critical", "priority": 2000001000}
    if ds.host_network:
        spec["hostNetwork"] = True
    return _pod(meta, [_container(ds.name, ds.image, ds.cpu_m, ds.mem_mi)], spec, host, pod_ip, started, ids)


def render_pdb(w: Workload, created: str, ids: Ids) -> Obj:
    """The workload's PDB with the status the disruption controller computes when every pod is healthy."""
    assert w.pdb is not None
    key, value = w.pdb
    expected = w.replicas
    if key == "maxUnavailable":
        desired = max(0, expected - int(value))
    else:  # a minAvailable percentage rounds up
        desired = math.ceil(expected * int(value[:-1]) / 100) if isinstance(value, str) else int(value)
    allowed = max(0, expected - desired)
    condition = {
        "lastTransitionTime": created,
        "message": "",
        "observedGeneration": 1,
        "reason": "SufficientPods" if allowed else "InsufficientPods",
        "status": "True" if allowed else "False",
        "type": "DisruptionAllowed",
    }
    meta = {"creationTimestamp": created, "generation": 1, "name": w.name, "namespace": w.namespace}
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": meta | {"resourceVersion": ids.version(), "uid": ids.uid()},
        "spec": {key: value, "selector": {"matchLabels": dict(w.labels)}},
        "status": {
            "conditions": [condition],
            "currentHealthy": expected,
            "desiredHealthy": desired,
            "disruptionsAllowed": allowed,
            "expectedPods": expected,
            "observedGeneration": 1,
        },
    }


def cpu(millicores: int) -> str:
    """A cpu quantity in the API server's canonical form ("2", "250m")."""
    return str(millicores // 1000) if millicores % 1000 == 0 else f"{millicores}m"


def memory(mib: int) -> str:
    """A memory quantity in canonical binary-SI form ("16Gi", "70Mi")."""
    return f"{mib // 1024}Gi" if mib % 1024 == 0 else f"{mib}Mi"
