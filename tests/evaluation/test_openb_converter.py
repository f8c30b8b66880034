"""The Alibaba OpenB to EKS cluster converter on the real trace (skipped when ../shared/data is absent).

Checks a 100-node cluster the way the API server and kube-scheduler would: structure, placement, constraints,
PDB status, and that the same seed gives the same bytes.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from benchmarks.traces.openb import allocatable, build_cluster, instance_type

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
OPENB = SHARED / "workload-traces" / "alibaba-openb-k8s-2023"
GPU = "nvidia.com/gpu"
HOSTNAME, ZONE = "kubernetes.io/hostname", "topology.kubernetes.io/zone"
Obj = dict[str, Any]

pytestmark = pytest.mark.evaluation


@pytest.fixture(scope="module")
def cluster() -> Obj:
    for name in ("openb_node_list_all_node.csv", "openb_pod_list_default.csv"):
        if not (OPENB / name).exists():
            pytest.skip(f"../shared/data not found: {OPENB / name}")
    return build_cluster(100, seed=1)


def kind(cluster: Obj, name: str) -> list[Obj]:
    return [item for item in cluster["items"] if item["kind"] == name]


def cpu_m(q: str) -> int:
    return int(q[:-1]) if q.endswith("m") else int(q) * 1000


def mib(q: str) -> float:
    units = {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024}
    return int(q[:-2]) * units[q[-2:]] if q[-2:] in units else int(q) / 2**20


def requests(pod: Obj) -> tuple[int, float, int]:
    total = [0, 0.0, 0]
    for c in pod["spec"]["containers"]:
        r = c["resources"]["requests"]
        total[0] += cpu_m(r["cpu"])
        total[1] += mib(r["memory"])
        total[2] += int(r.get(GPU, 0))
        assert c["resources"]["limits"]["memory"] == r["memory"]
    return int(total[0]), total[1], int(total[2])


def tolerated(tolerations: list[Obj], taint: Obj) -> bool:
    for t in tolerations:
        if t.get("effect") and t["effect"] != taint["effect"]:
            continue
        if t.get("operator", "Equal") == "Exists" and (not t.get("key") or t["key"] == taint["key"]):
            return True
        if t.get("key") == taint["key"] and t.get("value", "") == taint.get("value", ""):
            return True
    return False


def selects(selector: Obj, pod: Obj) -> bool:
    labels = pod["metadata"]["labels"]
    return all(labels.get(k) == v for k, v in selector["matchLabels"].items())


def test_list_structure(cluster: Obj) -> None:
    assert (cluster["apiVersion"], cluster["kind"]) == ("v1", "List")
    kinds = Counter((i["apiVersion"], i["kind"]) for i in cluster["items"])
    assert set(kinds) == {("v1", "Node"), ("v1", "Pod"), ("policy/v1", "PodDisruptionBudget")}
    assert kinds["v1", "Node"] == 100
    names = [(i["kind"], i["metadata"].get("namespace"), i["metadata"]["name"]) for i in cluster["items"]]
    assert len(set(names)) == len(names)
    nodes = kind(cluster, "Node")
    zones = Counter(n["metadata"]["labels"][ZONE] for n in nodes)
    assert set(zones) == {"eu-west-1a", "eu-west-1b", "eu-west-1c"} and max(zones.values()) - min(zones.values()) <= 1
    for node in nodes:
        labels, status = node["metadata"]["labels"], node["status"]
        assert labels[HOSTNAME] == node["metadata"]["name"].split(".")[0] + ".eu-west-1.compute.internal"
        assert labels["kubernetes.io/arch"] == "amd64" and labels["topology.kubernetes.io/region"] == "eu-west-1"
        assert labels["karpenter.sh/capacity-type"] in {"spot", "on-demand"}
        gpu = GPU in status["allocatable"]
        assert labels["karpenter.sh/nodepool"] == ("gpu" if gpu else "default")
        assert (labels.get("nvidia.com/gpu.present") == "true") == gpu == bool(node["spec"].get("taints"))
        assert {"type": "Ready", "status": "True"}.items() <= status["conditions"][-1].items()
        assert cpu_m(status["allocatable"]["cpu"]) < cpu_m(status["capacity"]["cpu"])
    for pod in kind(cluster, "Pod"):
        assert pod["status"]["phase"] == "Running" and pod["spec"]["nodeName"]
        assert all(s["ready"] and s["restartCount"] == 0 for s in pod["status"]["containerStatuses"])
        for owner in pod["metadata"].get("ownerReferences", []):
            assert owner["controller"] and owner["kind"] in {"ReplicaSet", "StatefulSet", "DaemonSet"}


def test_pods_fit_their_nodes(cluster: Obj) -> None:
    nodes = {n["metadata"]["name"]: n for n in kind(cluster, "Node")}
    used: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0, 0])
    for pod in kind(cluster, "Pod"):
        assert pod["spec"]["nodeName"] in nodes
        for i, value in enumerate((*requests(pod), 1)):
            used[pod["spec"]["nodeName"]][i] += value
    for name, node in nodes.items():
        a = node["status"]["allocatable"]
        limit = (cpu_m(a["cpu"]), mib(a["memory"]), int(a.get(GPU, 0)), int(a["pods"]))
        assert all(u <= cap for u, cap in zip(used[name], limit, strict=True)), name
    daemons = Counter(p["spec"]["nodeName"] for p in kind(cluster, "Pod") if "DaemonSet" in json.dumps(p["metadata"]))
    assert set(daemons.values()) == {4} and len(daemons) == 100


def test_taints_tolerated_and_selectors_matched(cluster: Obj) -> None:
    nodes = {n["metadata"]["name"]: n for n in kind(cluster, "Node")}
    for pod in kind(cluster, "Pod"):
        node = nodes[pod["spec"]["nodeName"]]
        for taint in node["spec"].get("taints", []):
            assert tolerated(pod["spec"].get("tolerations", []), taint), pod["metadata"]["name"]
        labels = node["metadata"]["labels"]
        assert all(labels.get(k) == v for k, v in pod["spec"].get("nodeSelector", {}).items())
        if requests(pod)[2]:
            assert pod["spec"]["nodeSelector"]["nvidia.com/gpu.present"] == "true"


def test_anti_affinity_and_zone_spread(cluster: Obj) -> None:
    nodes = {n["metadata"]["name"]: n["metadata"]["labels"] for n in kind(cluster, "Node")}
    pods = kind(cluster, "Pod")
    checked = Counter[str]()
    for pod in pods:
        spec, namespace = pod["spec"], pod["metadata"]["namespace"]
        peers = [p for p in pods if p["metadata"]["namespace"] == namespace]
        for term in (
            spec.get("affinity", {})
            .get("podAntiAffinity", {})
            .get("requiredDuringSchedulingIgnoredDuringExecution", [])
        ):
            assert term["topologyKey"] == HOSTNAME
            same = [p for p in peers if selects(term["labelSelector"], p) and p["spec"]["nodeName"] == spec["nodeName"]]
            assert same == [pod]
            checked["anti-affinity"] += 1
        for constraint in spec.get("topologySpreadConstraints", []):
            selector = spec.get("nodeSelector", {})
            domains = {n[ZONE] for n in nodes.values() if all(n.get(k) == v for k, v in selector.items())}
            zones = Counter(
                nodes[p["spec"]["nodeName"]][ZONE] for p in peers if selects(constraint["labelSelector"], p)
            )
            assert max(zones[z] for z in domains) - min(zones[z] for z in domains) <= constraint["maxSkew"]
            checked["spread"] += 1
    assert checked["anti-affinity"] and checked["spread"]


def test_pdb_status_is_what_kubernetes_computes(cluster: Obj) -> None:
    pods = kind(cluster, "Pod")
    pdbs = kind(cluster, "PodDisruptionBudget")
    assert any("maxUnavailable" in p["spec"] for p in pdbs) and any("minAvailable" in p["spec"] for p in pdbs)
    for pdb in pdbs:
        namespace, spec, status = pdb["metadata"]["namespace"], pdb["spec"], pdb["status"]
        selected = [p for p in pods if p["metadata"]["namespace"] == namespace and selects(spec["selector"], p)]
        assert status["expectedPods"] == status["currentHealthy"] == len(selected) >= 2
        if "maxUnavailable" in spec:
            desired = len(selected) - spec["maxUnavailable"]
        elif isinstance(spec["minAvailable"], str):
            desired = math.ceil(len(selected) * int(spec["minAvailable"].rstrip("%")) / 100)
        else:
            desired = spec["minAvailable"]
        assert status["desiredHealthy"] == desired
        assert status["disruptionsAllowed"] == max(0, len(selected) - desired)


def test_cluster_is_filled_but_not_saturated(cluster: Obj) -> None:
    nodes = {n["metadata"]["name"]: n for n in kind(cluster, "Node")}
    gpus = sum(int(n["status"]["allocatable"].get(GPU, 0)) for n in nodes.values())
    requested = sum(requests(p)[2] for p in kind(cluster, "Pod"))
    assert 0.55 <= requested / gpus < 0.9


def test_every_openb_node_shape_has_a_covering_instance_type() -> None:
    for shape in ((96000, 393216, 8), (104000, 524288, 2), (32000, 262144, 0), (8000, 32768, 1)):
        offer, fitted = instance_type(*shape)
        t = offer.type
        assert fitted and t.vcpus * 1000 >= shape[0] and t.memory_gib * 1024 >= shape[1] and t.gpus >= shape[2]
        assert (t.gpus > 0) == (shape[2] > 0) and t.arch == "x86_64" and t.current_generation and not t.bare_metal
        cpu, memory, gpus, pods = allocatable(t)
        assert 0 < cpu < t.vcpus * 1000 and 0 < memory < t.memory_gib * 1024 and gpus == t.gpus and pods > 0


def test_same_seed_same_json(cluster: Obj) -> None:
    again = build_cluster(100, seed=1)
    assert json.dumps(again, sort_keys=True) == json.dumps(cluster, sort_keys=True)
    assert json.dumps(build_cluster(100, seed=2), sort_keys=True) != json.dumps(cluster, sort_keys=True)
