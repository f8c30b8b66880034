"""Build localmode/data/local-cluster.json, the cluster local mode's Kubernetes emulator starts with.

    .venv/bin/python scripts/build_local_cluster.py [--out localmode/data/local-cluster.json] [--check]

Source: the OpenB cluster `build_cluster(120, seed=1, fill=0.7)` of benchmarks/traces/openb.py (node and pod
request shapes from the Alibaba OpenB 2023 trace; owners, budgets, zones and placement synthetic, see that module).
Derivation, deterministic (same inputs, same bytes):
- keep the CPU nodes (GPU workloads spread over dozens of GPU nodes, so any small subset would cut them);
- keep a workload (pods of one controller) only when all its pods sit on kept nodes, DaemonSet pods of kept nodes,
  and the budgets that still select a kept pod;
- DaemonSet pods keep only their catch-all toleration; nodes keep only the Ready condition;
- relabel the Karpenter nodes as EKS managed node groups (`eks.amazonaws.com/nodegroup`, `.../capacityType`
  SPOT or ON_DEMAND) and point pods' capacity-type nodeSelector at the EKS label;
- drop fields the API server defaults or the kubelet reports (container statuses, probe times), to stay small.
`--check` rebuilds in memory and fails if the shipped file differs.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "layers")]

from benchmarks._shared import require  # noqa: E402
from benchmarks.traces.openb import NODES_CSV, PODS_CSV, build_cluster  # noqa: E402

Obj = dict[str, Any]
OUT = ROOT / "localmode" / "data" / "local-cluster.json"
# 120 nodes hold 24 CPU nodes. Fill 0.7 gives more pods and budgets than the benchmark's 0.55 while leaving
# room for evicted pods (OpenB pods ask up to 32 cores) on the other nodes; the 300 KB cap rules out more nodes.
SOURCE_NODES, SOURCE_SEED, SOURCE_FILL = 120, 1, 0.7
GPU = "nvidia.com/gpu"
KARPENTER_CAPACITY = "karpenter.sh/capacity-type"
EKS_CAPACITY, EKS_NODEGROUP = "eks.amazonaws.com/capacityType", "eks.amazonaws.com/nodegroup"
POD_SPEC_DEFAULTS = (
    "dnsPolicy",
    "enableServiceLinks",
    "preemptionPolicy",
    "restartPolicy",
    "schedulerName",
    "securityContext",
    "serviceAccount",
    "serviceAccountName",
    "terminationGracePeriodSeconds",
)
CONTAINER_DEFAULTS = ("imagePullPolicy", "terminationMessagePath", "terminationMessagePolicy")


def _is_gpu(node: Obj) -> bool:
    return GPU in node["status"]["allocatable"]


def _controller_uid(pod: Obj) -> str:
    owners = pod["metadata"].get("ownerReferences") or []
    return str(next((o["uid"] for o in owners if o.get("controller")), pod["metadata"]["name"]))


def _owner_kind(pod: Obj) -> str:
    owners = pod["metadata"].get("ownerReferences") or []
    return str(owners[0]["kind"]) if owners else ""


def select(items: list[Obj]) -> list[Obj]:
    """The kept nodes, complete workloads on them, and the budgets still guarding something."""
    nodes = sorted((i for i in items if i["kind"] == "Node"), key=lambda n: n["metadata"]["name"])
    # GPU workloads spread over dozens of GPU nodes: a small subset would cut them, so the seed is CPU only.
    kept = {n["metadata"]["name"] for n in nodes if not _is_gpu(n)}
    pods = [i for i in items if i["kind"] == "Pod"]
    by_workload: dict[str, list[Obj]] = defaultdict(list)
    for pod in pods:
        by_workload[_controller_uid(pod)].append(pod)
    chosen = [
        p
        for p in pods
        if p["spec"].get("nodeName") in kept
        and (
            _owner_kind(p) == "DaemonSet"
            or all(q["spec"].get("nodeName") in kept for q in by_workload[_controller_uid(p)])
        )
    ]
    budgets = [i for i in items if i["kind"] == "PodDisruptionBudget" and _guards_any(i, chosen)]
    return [n for n in nodes if n["metadata"]["name"] in kept] + chosen + budgets


def _guards_any(pdb: Obj, pods: list[Obj]) -> bool:
    wanted = pdb["spec"]["selector"].get("matchLabels", {}).items()
    namespace = pdb["metadata"]["namespace"]
    return any(
        p["metadata"]["namespace"] == namespace and wanted <= p["metadata"].get("labels", {}).items() for p in pods
    )


def as_managed_node_group(node: Obj) -> Obj:
    labels = node["metadata"]["labels"]
    spot = labels.pop(KARPENTER_CAPACITY) == "spot"
    pool = labels.pop("karpenter.sh/nodepool")
    for key in [k for k in labels if k.startswith("karpenter.")]:
        del labels[key]
    labels[EKS_CAPACITY] = "SPOT" if spot else "ON_DEMAND"
    labels[EKS_NODEGROUP] = f"{'general' if pool == 'default' else pool}-{'spot' if spot else 'on-demand'}"
    annotations = node["metadata"].get("annotations", {})
    annotations.pop("karpenter.sh/do-not-disrupt", None)
    for key in [k for k in labels if k.startswith(("beta.kubernetes.io/", "failure-domain.beta."))]:
        del labels[key]  # deprecated duplicates of the kubernetes.io and topology labels
    node["metadata"].pop("resourceVersion", None)
    for key in ("daemonEndpoints", "nodeInfo"):
        node["status"].pop(key, None)
    node["status"]["conditions"] = [c for c in node["status"]["conditions"] if c["type"] == "Ready"]
    return node


def slim_pod(pod: Obj) -> Obj:
    pod["metadata"].pop("resourceVersion", None)
    spec = pod["spec"]
    for key in POD_SPEC_DEFAULTS:
        spec.pop(key, None)
    for container in spec.get("containers", []):
        for key in CONTAINER_DEFAULTS:
            container.pop(key, None)
    selector = spec.get("nodeSelector") or {}
    if KARPENTER_CAPACITY in selector:
        selector[EKS_CAPACITY] = "ON_DEMAND" if selector.pop(KARPENTER_CAPACITY) == "on-demand" else "SPOT"
    if _owner_kind(pod) == "DaemonSet":
        spec["tolerations"] = [{"operator": "Exists"}]  # the chart's catch-all covers what the controller adds
    status = pod["status"]
    for key in ("containerStatuses", "qosClass", "hostIPs", "podIPs"):
        status.pop(key, None)
    status["conditions"] = [
        {k: v for k, v in c.items() if v is not None}
        for c in status.get("conditions", [])
        if c["type"] in ("Ready", "PodScheduled")
    ]
    return pod


def slim_budget(pdb: Obj) -> Obj:
    pdb["metadata"].pop("resourceVersion", None)
    pdb.pop("status", None)  # the emulator's disruption controller computes it
    return pdb


def derive(source: Obj) -> Obj:
    items = select(source["items"])
    shaped = {"Node": as_managed_node_group, "Pod": slim_pod, "PodDisruptionBudget": slim_budget}
    return {
        "apiVersion": "v1",
        "kind": "List",
        "metadata": {"resourceVersion": ""},
        "items": [shaped[i["kind"]](i) for i in items],
    }


def render(document: Obj) -> str:
    return json.dumps(document, separators=(",", ":"), sort_keys=True) + "\n"


def summary(document: Obj) -> str:
    items = document["items"]
    nodes = [i for i in items if i["kind"] == "Node"]
    pods = [i for i in items if i["kind"] == "Pod"]
    groups = Counter(n["metadata"]["labels"][EKS_NODEGROUP] for n in nodes)
    owners = Counter(_owner_kind(p) for p in pods)
    budgets = Counter(
        next(k for k in ("minAvailable", "maxUnavailable") if k in b["spec"])
        for b in items
        if b["kind"] == "PodDisruptionBudget"
    )
    return f"{len(nodes)} nodes {dict(groups)}, {len(pods)} pods {dict(owners)}, budgets {dict(budgets)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--check", action="store_true", help="fail if the shipped file is not what a rebuild gives")
    args = parser.parse_args()
    require(NODES_CSV, PODS_CSV)
    document = derive(build_cluster(SOURCE_NODES, SOURCE_SEED, fill=SOURCE_FILL))
    text = render(document)
    if args.check:
        same = args.out.exists() and args.out.read_text() == text
        print(("up to date: " if same else "DIFFERS: ") + summary(document))
        sys.exit(0 if same else 1)
    args.out.write_text(text)
    print(f"{args.out} ({len(text.encode()):,} bytes): {summary(document)}")


if __name__ == "__main__":
    main()
