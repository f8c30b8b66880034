"""Property: for any cluster file, no plan removes a node hosting a pod whose requests, in any resource, the plan's
destinations cannot meet.

Hypothesis writes kubectl-format documents whose nodes offer, and whose pods request, any mix of cpu, memory,
nvidia.com/gpu, EFA, Neuron, hugepages, ephemeral storage and an unknown device plugin's resource. The file goes
through the real adapter and planner; the oracle below reads the documents itself (quantities aside) and the
catalogue's device fields, sharing nothing with the planner or the validator.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudoptim.adapters.kube.cluster import parse_cluster
from cloudoptim.adapters.kube.quantity import cpu_millicores, memory_bytes
from engines.cluster.capacity import PriceBook, eks_allocatable
from engines.consolidation.plan import Plan
from engines.consolidation.planner import plan_consolidation
from engines.consolidation.validate import validate_plan
from engines.spot.model import InstanceType

ZONE = "eu-west-1a"
EFA, NEURON, HUGE, DONGLE, DISK = (
    "vpc.amazonaws.com/efa", "aws.amazon.com/neuron", "hugepages-2Mi", "example.com/dongle", "ephemeral-storage",
)  # fmt: skip
GIB = 2**30
# name: (vcpus, GiB, On-Demand $/h, EFA interfaces (None: unknown), Neuron devices, NVIDIA GPUs)
TYPES: dict[str, tuple[int, int, float, int | None, int, int]] = {
    "m5.large": (2, 8, 0.107, 0, 0, 0),
    "m5.xlarge": (4, 16, 0.214, 0, 0, 0),
    "m5.2xlarge": (8, 32, 0.428, 0, 0, 0),
    "c5n.2xlarge": (8, 21, 0.488, 0, 0, 0),
    "c5n.9xlarge": (36, 96, 2.196, 1, 0, 0),
    "c6in.8xlarge": (32, 64, 2.0, None, 0, 0),  # a type the catalogue knows from a price list only
    "inf2.xlarge": (4, 16, 0.84, 0, 1, 0),
    "inf2.8xlarge": (32, 128, 2.18, 0, 1, 0),
    "g4dn.xlarge": (4, 16, 0.587, 0, 0, 1),
    "g4dn.2xlarge": (8, 32, 0.838, 0, 0, 1),
}


def catalogue() -> dict[str, InstanceType]:
    return {
        name: InstanceType(name, c, m, "x86_64", gpus=g, max_pods=58, gpu_vendor="nvidia" if g else "",
                           efa_interfaces=e, neuron_devices=n, neuron_cores=2 * n)
        for name, (c, m, _, e, n, g) in TYPES.items()
    }  # fmt: skip


def book() -> PriceBook:
    return PriceBook("eu-west-1", catalogue(), {n: spec[2] for n, spec in TYPES.items()}, {})


def offered(instance: InstanceType, resource: str, template: dict[str, int]) -> int:
    """What a new node of this type offers, from the catalogue's fields (and the replaced node's root volume)."""
    if resource == DISK:
        return template.get(DISK, 0)
    return {
        EFA: instance.efa_interfaces or 0,
        NEURON: instance.neuron_devices or 0,
        "nvidia.com/gpu": instance.gpus,
    }.get(resource, 0)


def quantity(name: str, raw: str) -> int:
    if name == "cpu":
        return cpu_millicores(raw)
    return memory_bytes(raw)


@st.composite
def cluster_files(draw: st.DrawFn) -> dict[str, Any]:
    catalog = catalogue()
    nodes, pods, free = [], [], {}
    for i in range(draw(st.integers(1, 6))):
        name = draw(st.sampled_from(sorted(TYPES)))
        allocatable = eks_allocatable(catalog[name])
        offers = {"cpu": allocatable.cpu_m, "memory": allocatable.memory, "pods": 58}
        offers |= {k: v for k, v in allocatable.extended if k in (EFA, NEURON)}
        if allocatable.gpu:
            offers["nvidia.com/gpu"] = allocatable.gpu
        for extra, amount in ((HUGE, GIB), (DONGLE, 2), (DISK, 20 * GIB)):
            if draw(st.integers(0, 3)) == 0:
                offers[extra] = amount
        node_name = f"node-{i}"
        labels = {"kubernetes.io/hostname": node_name, "node.kubernetes.io/instance-type": name,
                  "topology.kubernetes.io/zone": ZONE, "topology.kubernetes.io/region": "eu-west-1",
                  "eks.amazonaws.com/capacityType": "ON_DEMAND", "eks.amazonaws.com/nodegroup": "general"}  # fmt: skip
        shown = {k: str(v) if k != "cpu" else f"{v}m" for k, v in offers.items()}
        nodes.append({"kind": "Node", "metadata": {"name": node_name, "labels": labels},
                      "status": {"allocatable": shown}})  # fmt: skip
        free[node_name] = dict(offers)
    for j in range(draw(st.integers(0, 12))):
        host = draw(st.sampled_from(sorted(free)))
        want = {"cpu": draw(st.sampled_from((100, 500, 1000, 3000))), "memory": draw(st.sampled_from((1, 4))) * GIB}
        for extra, amount in ((EFA, 1), (NEURON, 1), ("nvidia.com/gpu", 1), (HUGE, GIB // 2), (DONGLE, 1),
                              (DISK, 5 * GIB)):  # fmt: skip
            if draw(st.integers(0, 4)) == 0:
                want[extra] = amount
        if any(free[host].get(k, 0) < v for k, v in want.items()) or free[host]["pods"] < 1:
            continue
        for k, v in want.items():
            free[host][k] -= v
        free[host]["pods"] -= 1
        requests = {k: f"{v}m" if k == "cpu" else str(v) for k, v in want.items()}
        pods.append({
            "kind": "Pod",
            "metadata": {"name": f"app-{j}", "namespace": "shop", "labels": {"app": f"app-{j}"},
                         "ownerReferences": [{"kind": "ReplicaSet", "name": f"app-{j}-5d8f", "controller": True}]},
            "spec": {"nodeName": host, "containers": [{"name": "app", "resources": {"requests": requests}}]},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]},
        })  # fmt: skip
    return {"apiVersion": "v1", "kind": "List", "items": nodes + pods}


def unmet(document: dict[str, Any], plan: Plan) -> list[str]:
    """Every request (pod, resource) a plan's destination does not offer, and every pod left behind."""
    catalog = catalogue()
    nodes = {n["metadata"]["name"]: n for n in document["items"] if n["kind"] == "Node"}
    offers = {name: {k: quantity(k, v) for k, v in n["status"]["allocatable"].items()} for name, n in nodes.items()}
    where, needs = {}, {}
    for pod in (p for p in document["items"] if p["kind"] == "Pod"):
        key = f"shop/{pod['metadata']['name']}"
        where[key] = pod["spec"]["nodeName"]
        needs[key] = {k: quantity(k, v) for k, v in pod["spec"]["containers"][0]["resources"]["requests"].items()}
    problems, launched = [], 0
    for action in plan.actions:
        template = offers[action.nodes[0]]
        for replacement in action.launches:
            instance = catalog[replacement.instance_type]
            offers[f"new:{launched}"] = {r: offered(instance, r, template) for r in (EFA, NEURON, HUGE, DONGLE, DISK,
                                                                                     "nvidia.com/gpu")}  # fmt: skip
            offers[f"new:{launched}"] |= {"cpu": instance.vcpus * 1000, "memory": int(instance.memory_gib * GIB)}
            launched += 1
        moved = {m.pod: m.to for m in action.moves}
        for key, host in list(where.items()):
            if host in action.nodes and key not in moved:
                problems.append(f"{key} left on removed {host}")
        where.update(moved)
    load: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for key, host in where.items():
        for resource, amount in needs[key].items():
            load[host][resource] += amount
    for host, used in load.items():
        for resource, amount in used.items():
            if amount > offers[host].get(resource, 0):
                problems.append(f"{host} offers {offers[host].get(resource, 0)} {resource}, its pods need {amount}")
    return problems


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cluster_files())
def test_no_plan_removes_a_node_whose_pods_need_what_the_destinations_lack(document: dict[str, Any]) -> None:
    prices = book()
    state = parse_cluster(document, prices)
    plan = plan_consolidation(state, prices)
    assert unmet(document, plan) == []
    assert validate_plan(state, plan, prices) == []
