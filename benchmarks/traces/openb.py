"""Alibaba OpenB (2023) to realistic EKS clusters, as `kubectl get nodes,pods,pdb -A -o json` documents.

Run: .venv/bin/python -m benchmarks.traces.openb --nodes 100 --seed 1 [--fill 0.55] [--pods N] --out PATH
     .venv/bin/python -m benchmarks.traces.openb --standard    # build or reuse the benchmark set, print summaries
API: build_cluster(nodes, seed, fill, pods) -> dict; cluster_path(...) and standard_clusters() cache the JSON under
benchmarks/results/clusters/. Everything is drawn from one numpy generator seeded with `seed`: same seed, same bytes.

Real (../shared/data/workload-traces/alibaba-openb-k8s-2023, PROVENANCE 4a; Weng et al., USENIX ATC'23):
- the node shape mix: N nodes drawn from the 1,523 production nodes (with replacement only when N > 1,523), so
  about 80% are GPU nodes (8 x G2, 2 x T4, ...) as in the trace;
- the pod request shapes: every workload takes cpu_milli, memory_mib and num_gpu of one uniformly drawn row of the
  8,152 pods (any phase: requests do not depend on it). Memory 0 becomes 256Mi. GPU-sharing pods (gpu_milli < 1000)
  request one whole GPU: the NVIDIA device plugin on EKS offers whole GPUs only.
Synthetic (the trace has no owners, constraints, budgets, AWS types or placement), chosen to look like an EKS cluster
run by Karpenter that drifted under-used, because the engines need such objects to be exercised:
- EC2 type: the cheapest current-generation x86_64, non-metal type covering the node's vCPUs, memory and GPUs
  (CPU nodes: no GPU; GPU nodes: NVIDIA, so no dl1/g4ad; never hpc*, which cannot run Spot). Prices: eu-west-1
  On-Demand from the shipped Day-Zero data; that list excludes accelerated types, so GPU types are ranked by their
  us-east-1 price x the median eu-west-1/us-east-1 ratio.
  Allocatable follows the EKS AMI (kube-reserved cpu 6/1/0.5/0.25% by core, memory 255Mi + 11Mi x max pods,
  eviction 100Mi). Capacity memory is the nominal size (kubelet would report slightly less).
- labels, zones (balanced), Spot for ~40% of CPU nodes, the GPU taint, ~2% do-not-disrupt nodes; 4 DaemonSets and
  coredns; workloads, their grouping, constraints, annotations and PDBs (openb_placement.draw_workload); the
  objects themselves in openb_render.
- placement: a kube-scheduler model (openb_placement.Scheduler), LeastAllocated scoring over every feasible node
  (no percentageOfNodesToScore, no preferred terms or other score plugins).
- fill: the trace is GPU bound and EC2 GPU types carry about twice the vCPUs of the OpenB nodes, so the CPU requests
  of the whole cluster can never reach 55%. The target is therefore applied per Karpenter pool to its binding
  resource: `default` by cpu requests (DaemonSets included), `gpu` by GPUs. A pool is also closed after 100
  workloads in a row failed to fit (saturated). With `pods`, fill is ignored: workloads are added (the last one cut
  to size) until that many pods exist in total, or until both pools are saturated.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._shared import ROOT, SHARED, require
from benchmarks.traces.openb_placement import DAEMONSETS, Ids, Obj, Scheduler, Workload, draw_workload
from benchmarks.traces.openb_render import Host, render_daemon_pod, render_node, render_pdb, render_pod
from cloudoptim.adapters.day_zero import load_day_zero
from engines.spot.model import InstanceType

OPENB = SHARED / "workload-traces" / "alibaba-openb-k8s-2023"
NODES_CSV, PODS_CSV = OPENB / "openb_node_list_all_node.csv", OPENB / "openb_pod_list_default.csv"
CACHE = ROOT / "benchmarks" / "results" / "clusters"
FORMAT = 2  # bump when the output changes, so cached clusters are rebuilt (2: no pod names shared in a namespace)
REGION, ZONES = "eu-west-1", ("eu-west-1a", "eu-west-1b", "eu-west-1c")
SKIPPED_FAMILIES = {"dl1", "g4ad", "hpc6a", "hpc6id", "hpc7a"}  # Gaudi and Radeon (no nvidia.com/gpu); HPC: no Spot
PATIENCE = 100
NOW = int(datetime(2025, 6, 1, tzinfo=UTC).timestamp())
STANDARD = {f"openb-100-s{s}": (100, s, None) for s in range(1, 6)} | {
    "openb-1000-s1": (1000, 1, None),
    "openb-1000-s2": (1000, 2, None),
    "openb-5000-s1": (5000, 1, None),
    "openb-1000-10kpods": (1000, 1, 10000),
}


@dataclass(frozen=True, slots=True)
class Offer:
    type: InstanceType
    price: float  # eu-west-1 On-Demand USD/h, or the us-east-1 proxy
    proxy: bool


@lru_cache(maxsize=1)
def _trace() -> tuple[np.ndarray[Any, np.dtype[np.int64]], np.ndarray[Any, np.dtype[np.int64]]]:
    def read(path: Path, columns: tuple[str, ...]) -> np.ndarray[Any, np.dtype[np.int64]]:
        with path.open(newline="") as f:
            return np.array([[int(row[c]) for c in columns] for row in csv.DictReader(f)], dtype=np.int64)

    return read(NODES_CSV, ("cpu_milli", "memory_mib", "gpu")), read(PODS_CSV, ("cpu_milli", "memory_mib", "num_gpu"))


@lru_cache(maxsize=1)
def _offers() -> tuple[Offer, ...]:
    data = load_day_zero()
    prices = {
        t.name: (data.on_demand.get(REGION, t.name), data.on_demand.get("us-east-1", t.name)) for t in data.catalog
    }
    ratio = float(np.median([eu / us for eu, us in prices.values() if eu and us]))
    offers = []
    for t in data.catalog:
        eu, us = prices[t.name]
        usable = t.arch == "x86_64" and t.current_generation and not t.bare_metal and t.family not in SKIPPED_FAMILIES
        if usable and (eu is not None or us is not None):
            offers.append(Offer(t, eu if eu is not None else float(us or 0) * ratio, eu is None))
    return tuple(offers)


@lru_cache(maxsize=64)
def instance_type(cpu_m: int, mem_mi: int, gpus: int) -> tuple[Offer, bool]:
    """The cheapest type covering the shape and True; else the biggest (then cheapest) of its class and False."""
    pool = [o for o in _offers() if (o.type.gpus > 0) == (gpus > 0)]
    fits = [
        o for o in pool if o.type.vcpus * 1000 >= cpu_m and o.type.memory_gib * 1024 >= mem_mi and o.type.gpus >= gpus
    ]
    if fits:
        return min(fits, key=lambda o: (o.price, o.type.name)), True
    return max(pool, key=lambda o: (o.type.gpus, o.type.vcpus, o.type.memory_gib, -o.price)), False


def allocatable(t: InstanceType) -> tuple[int, int, int, int]:
    """cpu m, memory MiB, GPUs and pods a kubelet started by the EKS AMI bootstrap advertises."""
    total, reserved = t.vcpus * 1000, 0
    for start, end, per_10k in ((0, 1000, 600), (1000, 2000, 100), (2000, 4000, 50), (4000, t.vcpus * 1000, 25)):
        if total >= start:
            reserved += (min(end, total) - start) * per_10k // 10000
    pods = t.max_pods or 110
    return total - reserved, round(t.memory_gib * 1024) - 255 - 11 * pods - 100, t.gpus, pods


def _stamp(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_cluster(nodes: int, seed: int, fill: float = 0.55, pods: int | None = None) -> dict[str, Any]:
    """The cluster as a kubectl `List` (Nodes, Pods, PodDisruptionBudgets); see the module docstring."""
    return _build(nodes, seed, fill, pods)[0]


def _build(nodes: int, seed: int, fill: float, pods: int | None) -> tuple[Obj, Obj]:
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    ids = Ids(rng)
    node_shapes, pod_shapes = _trace()
    picked = node_shapes[rng.choice(len(node_shapes), size=nodes, replace=nodes > len(node_shapes))]
    zone = rng.permutation(np.arange(nodes, dtype=np.int64) % 3)
    free_ips = [iter(rng.permutation(np.arange(4, 32767))) for _ in ZONES]  # each zone a /17: 10.0.0, 10.0.128, 10.1.0

    def ip(z: int) -> str:
        a = (10 << 24) + z * 32768 + int(next(free_ips[z]))
        return ".".join(str(a >> s & 255) for s in (24, 16, 8, 0))

    hosts, offers, created, unfitted = [], [], [], 0
    for i, (c, m, g) in enumerate(picked.tolist()):
        offer, fitted = instance_type(c, m, g)
        address = ip(int(zone[i]))
        hosts.append(Host(f"ip-{address.replace('.', '-')}.{REGION}.compute.internal", address, ZONES[zone[i]]))
        offers.append(offer)
        created.append(NOW - int(rng.integers(3600, 60 * 86400)))
        unfitted += not fitted
    gpu_node = np.array([o.type.gpus > 0 for o in offers])
    spot = ~gpu_node & (rng.random(nodes) < 0.4)
    alloc = np.array([allocatable(o.type) for o in offers], dtype=np.int64).reshape(nodes, 4)
    sched = Scheduler(alloc, zone, gpu_node, ~spot, rng)
    sched.free -= np.array([sum(d.cpu_m for d in DAEMONSETS), sum(d.mem_mi for d in DAEMONSETS), 0, len(DAEMONSETS)])
    assert (sched.free >= 0).all(), "a node cannot hold the DaemonSets"
    placed, dropped, cpu_pool = _place_workloads(sched, ids, pod_shapes, fill, pods)
    items = [
        render_node(h, o.type, allocatable(o.type), bool(s), rng.random() < 0.02, _stamp(t), _stamp(NOW), REGION, ids)
        for h, o, s, t in zip(hosts, offers, spot, created, strict=True)
    ]
    pod_items = []

    def start(node: int) -> str:
        return _stamp(created[node] + int(rng.integers(60, max(61, NOW - created[node]))))

    for ds in DAEMONSETS:
        owner = (ids.uid(), ids.token(10))
        for i, h in enumerate(hosts):
            pod_ip = h.ip if ds.host_network else ip(int(zone[i]))
            pod_items.append(render_daemon_pod(ds, owner, h, pod_ip, start(i), ids))
    pdbs = []
    for w, where in placed:
        pod_items += [render_pod(w, k, hosts[n], ip(int(zone[n])), start(n), ids) for k, n in enumerate(where)]
        if w.pdb is not None:
            pdbs.append(render_pdb(w, start(where[0]), ids))
    items.sort(key=lambda o: o["metadata"]["name"])
    items += sorted(
        pod_items + pdbs, key=lambda o: (o["kind"] != "Pod", o["metadata"]["namespace"], o["metadata"]["name"])
    )
    used = (sched.alloc - sched.free).sum(axis=0) / np.maximum(sched.alloc.sum(axis=0), 1)
    summary = {
        "nodes": nodes,
        "gpu_nodes": int(gpu_node.sum()),
        "pods": len(pod_items),
        "daemonset_pods": nodes * len(DAEMONSETS),
        "pdbs": len(pdbs),
        "workloads": len(placed),
        "dropped_workloads": dropped,
        "instance_types": len({o.type.name for o in offers}),
        "cpu_requested": round(float(used[0]), 4),
        "memory_requested": round(float(used[1]), 4),
        "gpu_requested": round(float(used[2]), 4),
        "default_pool_cpu_requested": round(cpu_pool, 4),
        "nodes_without_fitting_type": unfitted,
        "seconds": round(time.perf_counter() - started, 2),
    }
    return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}, summary


def _place_workloads(
    sched: Scheduler, ids: Ids, shapes: np.ndarray[Any, np.dtype[np.int64]], fill: float, pods: int | None
) -> tuple[list[tuple[Workload, list[int]]], int, float]:
    """coredns, then workloads until each pool's target (or `pods` pods) is reached or the pool is saturated.

    Returns the placed workloads with their nodes, the number dropped and the CPU pool's cpu request share.
    """
    gpu_node, nodes = sched.gpu_node, len(sched.zone)
    core_labels = {"eks.amazonaws.com/component": "coredns", "k8s-app": "kube-dns"}
    coredns = Workload("kube-system", "coredns", "Deployment", 2, 100, 70, 0, core_labels, ids.token(10), ids.uid())
    coredns.pdb = ("maxUnavailable", 1)
    placed: list[tuple[Workload, list[int]]] = []
    if (where := sched.place(coredns)) is not None:
        placed.append((coredns, where))
    dropped = 1 - len(placed)
    total = nodes * len(DAEMONSETS) + 2 * len(placed)
    done = [not (~gpu_node).any(), not gpu_node.any()]  # the pools: default (CPU nodes) and gpu
    misses = [0, 0]
    capacity = [int(sched.alloc[~gpu_node, 0].sum()), int(sched.alloc[gpu_node, 2].sum())]  # binding resources
    taken = [capacity[0] - int(sched.free[~gpu_node, 0].sum()), 0]
    while not all(done) and (pods is None or total < pods):
        c, m, g = (int(v) for v in shapes[ids.rng.integers(len(shapes))])
        pool = int(g > 0)
        if done[pool]:
            continue
        w = draw_workload(ids, c, m, g, 10 if pods is None else pods - total)
        if (where := sched.place(w)) is None:
            dropped += 1
            misses[pool] += 1
            done[pool] = misses[pool] >= PATIENCE
            continue
        placed.append((w, where))
        total, misses[pool] = total + len(where), 0
        taken[pool] += (g if pool else int(w.requests()[0])) * len(where)
        done[pool] = pods is None and taken[pool] >= fill * capacity[pool]
    return placed, dropped, taken[0] / max(capacity[0], 1)


def summary_line(s: Obj) -> str:
    line = (
        f"{s['nodes']} nodes ({s['gpu_nodes']} GPU, {s['instance_types']} instance types), {s['pods']} pods "
        f"({s['daemonset_pods']} DaemonSet), {s['pdbs']} PDBs; requests cpu {s['cpu_requested']:.1%} "
        f"memory {s['memory_requested']:.1%} gpu {s['gpu_requested']:.1%} of allocatable (CPU nodes: cpu "
        f"{s['default_pool_cpu_requested']:.1%}); "
        f"{s['workloads']} workloads, {s['dropped_workloads']} dropped; {s['seconds']} s"
    )
    if s["nodes_without_fitting_type"]:
        line += f"\nwarning: {s['nodes_without_fitting_type']} nodes had no fitting EC2 type (biggest one used)"
    return line


def _write(path: Path, data: Obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # concurrent builders never share it
    tmp.write_text(json.dumps(data, separators=(",", ":"), sort_keys=True))
    tmp.replace(path)


def cluster_path(nodes: int, seed: int, fill: float = 0.55, pods: int | None = None) -> Path:
    """The cached JSON of build_cluster(...), built on first use; its summary sits beside it (`.summary.json`)."""
    path = CACHE / f"openb-v{FORMAT}-n{nodes}-s{seed}-f{fill:g}-p{pods or 0}.json"
    if not path.exists():
        cluster, summary = _build(nodes, seed, fill, pods)
        _write(path.with_suffix(".summary.json"), summary)
        _write(path, cluster)
    return path


def cached_summary(path: Path) -> Obj:
    result: Obj = json.loads(path.with_suffix(".summary.json").read_text())
    return result


def standard_clusters() -> dict[str, Path]:
    """The benchmark set: 100 nodes seeds 1-5, 1,000 seeds 1-2, 5,000 seed 1, and 1,000 nodes with 10,000 pods."""
    return {name: cluster_path(n, seed, pods=pods) for name, (n, seed, pods) in STANDARD.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fill", type=float, default=0.55)
    parser.add_argument("--pods", type=int)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--standard", action="store_true", help="build or reuse the benchmark set")
    args = parser.parse_args()
    require(NODES_CSV, PODS_CSV)
    if args.standard:
        for name, path in standard_clusters().items():
            print(f"{name}: {summary_line(cached_summary(path))}")
        return
    if args.nodes is None or args.out is None:
        parser.error("--nodes and --out are required (or --standard)")
    cluster, summary = _build(args.nodes, args.seed, args.fill, args.pods)
    _write(args.out, cluster)
    print(summary_line(summary))


if __name__ == "__main__":
    main()
