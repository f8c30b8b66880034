"""Workloads of the OpenB clusters: how they are drawn, placed (a small kube-scheduler) and rendered as objects.

See the docstring of `benchmarks.traces.openb` for what is real and what is synthetic. The scheduler places one
workload at a time, pod by pod: filter (requests fit allocatable minus what is placed, taint, nodeSelector,
required anti-affinity on the hostname, zone spread with maxSkew 1), score with LeastAllocated in kube-scheduler's
integer arithmetic, pick the best at random among ties. A workload whose pods cannot all be placed is rolled back.
"""

from __future__ import annotations

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

    def workload_name(self, namespace: str, ordinals: int = 0) -> str:
        """A workload name unused in the namespace; `ordinals` > 0 for a StatefulSet, whose pods are
        `<name>-<i>`: those names are reserved too, so no bare pod and no StatefulSet pod ever share a name."""
        a, b = WORDS[0][self.rng.integers(len(WORDS[0]))], WORDS[1][self.rng.integers(len(WORDS[1]))]
        base, n = f"{a}-{b}", 1

        def taken(name: str) -> bool:
            pods = [f"{namespace}/{name}-{i}" for i in range(ordinals)]
            return name in self.used or f"{namespace}/{name}" in self.used or any(p in self.used for p in pods)

        while taken(name := base if n == 1 else f"{base}-{n}"):
            n += 1
        self.used.add(f"{namespace}/{name}")
        self.used.update(f"{namespace}/{name}-{i}" for i in range(ordinals))
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
    name = ids.workload_name(namespace, replicas if kind == "StatefulSet" else 0)
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
