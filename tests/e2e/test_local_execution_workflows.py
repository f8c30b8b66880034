"""One Execute workflow per kind on the local stack, each from a recommendation written as the sweep writes it:
consolidation removing a node through its node group's Auto Scaling group (desired capacity decremented), node
rightsizing (a smaller replacement launched first), a Spot move (a Spot twin), workload rightsizing (the owner
patched, its pods rolled out by the emulator's controllers) and OOM remediation (the seeded OOM-killed sidecar gets
its memory raised). Every pod stays placed and no disruption budget is broken. (The stale re-plan, the GitOps-managed
owner and the savings guard's rollback: test_local_executions.py.)"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from cloudoptim.adapters.day_zero import load_day_zero
from cloudoptim.adapters.kube.quantity import cpu_millicores, memory_bytes
from cloudoptim.adapters.node_prices import price_book
from engines.cluster.model import Resources
from localmode.hibernate_drill import pods_pending
from localmode.kube_emulator.objects import allocatable_for, is_ready
from localmode.kube_emulator.scheduling import allocatable_of, is_terminal, owner_kind, requests_of
from localmode.stack import LocalStack
from tests.e2e.support import execution_deps, registered_as_the_api_does, run_recommendation

GROUP = "general-on-demand"
CAPACITY, NODE_GROUP = "eks.amazonaws.com/capacityType", "eks.amazonaws.com/nodegroup"
# instance types a node may be rightsized to: the cheapest one (Day-Zero On-Demand price) its pods fit on is chosen
TYPES = (
    "r6a.large",
    "r6a.xlarge",
    "r6a.2xlarge",
    "r6a.4xlarge",
    "m5a.4xlarge",
    "r6a.8xlarge",
    "m5a.8xlarge",
    "r6a.12xlarge",
    "m5a.12xlarge",
    "c5a.16xlarge",
    "r6a.16xlarge",
    "m5a.16xlarge",
    "m5a.24xlarge",
    "r6a.24xlarge",
    "c5a.24xlarge",
)


@pytest.fixture(scope="module")
def stack(local_stack: LocalStack) -> Iterator[LocalStack]:
    """The shared stack with its On-Demand node group's Auto Scaling group (the way consolidation removes a node
    of an EKS managed node group), and the cluster document a re-plan needs."""
    assert local_stack.node_groups is not None
    local_stack.node_groups.add_auto_scaling_group(GROUP)
    registered_as_the_api_does(local_stack)
    yield local_stack


def _nodes(stack: LocalStack) -> dict[str, dict[str, Any]]:
    return {n["metadata"]["name"]: n for n in stack.kube.store.list_nodes()}


def _load(stack: LocalStack) -> tuple[dict[str, Resources], dict[str, list[dict[str, Any]]]]:
    """Requests placed on each node, and each node's workload (non-DaemonSet) pods."""
    used: dict[str, Resources] = {}
    pods: dict[str, list[dict[str, Any]]] = {}
    for pod in stack.kube.store.list_pods():
        node = pod["spec"].get("nodeName")
        if node and not is_terminal(pod):
            used[node] = used.get(node, Resources()) + requests_of(pod)
            if owner_kind(pod) != "DaemonSet":
                pods.setdefault(node, []).append(pod)
    return used, pods


def _on_demand(stack: LocalStack, taken: set[str]) -> list[str]:
    """On-Demand nodes in the group's Auto Scaling group (the drills before may have replaced others), schedulable,
    running workload pods but no kube-system one, that no earlier test here used."""
    _, pods = _load(stack)
    asg = f"eks-{GROUP}-{stack.tenant.cluster if stack.tenant else ''}"
    found = stack.aws.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[asg])
    members = {i["InstanceId"] for g in found["AutoScalingGroups"] for i in g.get("Instances", [])}
    return sorted(
        name for name, n in _nodes(stack).items()
        if n["metadata"]["labels"].get(CAPACITY) == "ON_DEMAND" and not n["spec"].get("unschedulable")
        and str(n["spec"].get("providerID", "")).rsplit("/", 1)[-1] in members and is_ready(n)
        and name not in taken and pods.get(name) and not any(p["metadata"]["namespace"] == "kube-system"
                                                             for p in pods[name])
    )  # fmt: skip


def _targets(stack: LocalStack, used: dict[str, Resources], leaving: str) -> str:
    """The Ready, schedulable node with the most free CPU, other than the one leaving."""
    nodes = _nodes(stack)
    ready = [
        n for n, node in nodes.items() if n != leaving and is_ready(node) and not node["spec"].get("unschedulable")
    ]
    return max(ready, key=lambda n: (allocatable_of(nodes[n]) - used.get(n, Resources())).cpu_m)


def _moves(pods: list[dict[str, Any]], to: str) -> list[dict[str, str]]:
    return [{"pod": f"{p['metadata']['namespace']}/{p['metadata']['name']}", "to": to} for p in pods]


def _desired(stack: LocalStack, group: str) -> int:
    found = stack.aws.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[group])
    return int(found["AutoScalingGroups"][0]["DesiredCapacity"])


def _launched(execution: dict[str, Any]) -> list[str]:
    return [r.split("(", 1)[1].split(")", 1)[0] for s in execution["steps"] if s["step"] == "launch"
            for r in s["reasons"] if r.startswith("launched ")]  # fmt: skip


def _settled(stack: LocalStack) -> None:
    """Every pod placed and Ready, counted by polls (each moves the emulator's controllers on), not by time."""
    for _ in range(300):
        pods = [p for p in stack.kube.store.list_pods() if not is_terminal(p)]
        if all(p["spec"].get("nodeName") and is_ready(p) for p in pods):
            return
        time.sleep(0.1)
    raise AssertionError(f"{pods_pending(stack)} pod(s) still pending")


USED: set[str] = set()


# first: a drain that moves the OOM-killed pod replaces it, and its replacement has no OOM kill to remediate
def test_oom_remediation_raises_the_memory_of_the_oom_killed_container(stack: LocalStack) -> None:
    killed = [(p, s["name"]) for p in stack.kube.store.list_pods() for s in p["status"].get("containerStatuses") or []
              if ((s.get("lastState") or {}).get("terminated") or {}).get("reason") == "OOMKilled"]  # fmt: skip
    assert killed, "local mode seeds one OOM-killed container (localmode.cluster_seed.with_oom_kill)"
    pod, container = killed[0]
    namespace = pod["metadata"]["namespace"]
    name = pod["metadata"]["ownerReferences"][0]["name"].rsplit("-", 1)[0]
    spec = next(c for c in pod["spec"]["containers"] if c["name"] == container)
    limit = memory_bytes(spec["resources"]["limits"]["memory"])
    bump = max(limit + 100 * 2**20, int(limit * 1.2))
    patch = {"type": "patch_requests", "namespace": namespace, "owner_kind": "Deployment", "owner_name": name,
             "container": container, "cpu_request_cores": None, "memory_request_bytes": bump,
             "memory_limit_bytes": bump}  # fmt: skip
    done = run_recommendation(stack, execution_deps(stack), "local.e2e.105", "oom", [patch], 0.0)
    assert done["execution"]["status"] == "succeeded", done["execution"]
    pods = _rolled(stack, namespace, name, container, lambda r: memory_bytes(r["requests"]["memory"]) == bump
                   and memory_bytes(r["limits"]["memory"]) == bump)  # fmt: skip
    assert pod["metadata"]["name"] not in {p["metadata"]["name"] for p in pods}  # the killed pod was replaced


def test_consolidation_removes_a_node_through_its_auto_scaling_group(stack: LocalStack) -> None:
    used, pods = _load(stack)
    nodes = _nodes(stack)
    gone = min(_on_demand(stack, USED), key=lambda n: used[n].cpu_m)
    target = _targets(stack, used, gone)
    free = allocatable_of(nodes[target]) - used.get(target, Resources())
    moving = sum((requests_of(p) for p in pods[gone]), Resources())
    assert moving.fits_in(free), "the shipped cluster has an On-Demand node whose pods fit on another"
    USED.add(gone)
    asg, violations = f"eks-{GROUP}-{stack.tenant.cluster if stack.tenant else ''}", stack.kube.stats().pdb_violations
    desired = _desired(stack, asg)
    action = {"type": "delete", "nodes": [gone], "launches": [], "moves": _moves(pods[gone], target)}
    done = run_recommendation(stack, execution_deps(stack), "local.e2e.101", "consolidation", [action], 0.01)
    assert done["execution"]["status"] == "succeeded", done["execution"]
    assert gone not in _nodes(stack)
    assert _desired(stack, asg) == desired - 1  # terminated in its group with the desired capacity decremented
    assert any("desired capacity decremented" in r for s in done["execution"]["steps"] for r in s["reasons"])
    _settled(stack)
    assert stack.kube.stats().pdb_violations == violations and done["execution"]["realised_savings_per_hour"] > 0


def _replace(stack: LocalStack, id: str, kind: str, capacity: str, smaller: bool) -> dict[str, Any]:
    _, pods = _load(stack)
    nodes = _nodes(stack)
    daemons = sum((requests_of(p) for p in stack.kube.store.list_pods() if owner_kind(p) == "DaemonSet"
                   and p["spec"].get("nodeName") == next(iter(nodes))), Resources())  # fmt: skip
    book = price_book(load_day_zero(), stack.aws.region)
    for name in _on_demand(stack, USED):
        labels = nodes[name]["metadata"]["labels"]
        now, zone = labels["node.kubernetes.io/instance-type"], labels["topology.kubernetes.io/zone"]
        need = sum((requests_of(p) for p in pods[name]), Resources()) + daemons
        priced = {t: book.price(t, zone, "on-demand") for t in (TYPES if smaller else (now,))}
        fitting = sorted((price, t) for t, price in priced.items() if price is not None and need.fits_in(
            allocatable_of({"status": {"allocatable": allocatable_for(t)}})))  # fmt: skip
        cheaper = [t for price, t in fitting if not smaller or price < (book.price(now, zone, "on-demand") or 0)]
        if cheaper:
            break
    else:
        raise AssertionError(f"no On-Demand node to replace among {_on_demand(stack, USED)}")
    USED.add(name)
    launch = {"instance_type": cheaper[0], "availability_zone": zone,
              "capacity_type": capacity, "price_per_hour": 0.1}  # fmt: skip
    action = {"type": "replace", "nodes": [name], "launches": [launch], "moves": _moves(pods[name], "new:0")}
    violations = stack.kube.stats().pdb_violations
    done = run_recommendation(stack, execution_deps(stack), id, kind, [action], 0.01)
    assert done["execution"]["status"] == "succeeded", done["execution"]
    assert name not in _nodes(stack)
    _settled(stack)
    assert stack.kube.stats().pdb_violations == violations
    [new] = _launched(done["execution"])
    return _nodes(stack)[new]


def test_node_rightsizing_launches_a_cheaper_node_first_then_removes_the_old_one(stack: LocalStack) -> None:
    node = _replace(stack, "local.e2e.102", "node_rightsizing", "on-demand", smaller=True)
    assert node["metadata"]["labels"][CAPACITY] == "ON_DEMAND"
    assert node["metadata"]["labels"]["node.kubernetes.io/instance-type"] in TYPES and is_ready(node)


def test_a_spot_move_replaces_an_on_demand_node_by_its_spot_twin(stack: LocalStack) -> None:
    node = _replace(stack, "local.e2e.103", "spot", "spot", smaller=False)
    assert node["metadata"]["labels"][CAPACITY] == "SPOT" and is_ready(node)
    instance = node["spec"]["providerID"].rsplit("/", 1)[-1]
    [found] = [i for r in stack.aws.client("ec2").describe_instances(InstanceIds=[instance])["Reservations"]
               for i in r["Instances"]]  # fmt: skip
    assert found.get("InstanceLifecycle") == "spot"


def _deployment_pods(stack: LocalStack, namespace: str, name: str) -> list[dict[str, Any]]:
    with stack.kube.store.operation():
        rs = {k[1] for k, v in stack.kube.store.state.workloads.replicasets.items() if k[0] == namespace and v == name}
    return [p for p in stack.kube.store.list_pods(namespace) if not is_terminal(p)
            and (p["metadata"].get("ownerReferences") or [{}])[0].get("name") in rs]  # fmt: skip


def _rolled(stack: LocalStack, namespace: str, name: str, container: str, check: Any) -> list[dict[str, Any]]:
    with stack.kube.store.operation():
        replicas = int(stack.kube.store.state.workloads.deployments[(namespace, name)]["spec"]["replicas"])
    for _ in range(300):  # bounded by polls: each moves the controllers on
        pods = _deployment_pods(stack, namespace, name)
        mine = [next(c for c in p["spec"]["containers"] if c["name"] == container) for p in pods]
        if len(pods) == replicas and all(is_ready(p) for p in pods) and all(check(c["resources"]) for c in mine):
            return pods
        time.sleep(0.1)
    raise AssertionError(f"Deployment {namespace}/{name} was not rolled out")


def test_workload_rightsizing_patches_the_owner_and_the_emulator_rolls_its_pods(stack: LocalStack) -> None:
    with stack.kube.store.operation():
        table = stack.kube.store.state.workloads.deployments
        namespace, name = next(k for k, v in sorted(table.items(), reverse=True)
                               if k[0] != "kube-system" and int(v["spec"]["replicas"]) >= 2)  # fmt: skip
        container = table[(namespace, name)]["spec"]["template"]["spec"]["containers"][0]
    before = {p["metadata"]["name"] for p in _deployment_pods(stack, namespace, name)}
    cores = cpu_millicores(container["resources"]["requests"]["cpu"]) / 2000
    rolled, violations = stack.kube.stats().pods_rolled, stack.kube.stats().pdb_violations
    patch = {"type": "patch_requests", "namespace": namespace, "owner_kind": "Deployment", "owner_name": name,
             "container": container["name"], "cpu_request_cores": cores}  # fmt: skip
    done = run_recommendation(stack, execution_deps(stack), "local.e2e.104", "workload_rightsizing", [patch], 0.0001)
    assert done["execution"]["status"] == "succeeded", done["execution"]
    pods = _rolled(stack, namespace, name, container["name"],
                   lambda r: cpu_millicores(r["requests"]["cpu"]) == round(cores * 1000))  # fmt: skip
    assert not before & {p["metadata"]["name"] for p in pods}  # every pod replaced, none patched in place
    assert stack.kube.stats().pods_rolled >= rolled + len(pods)
    assert stack.kube.stats().pdb_violations == violations  # a rollout is no eviction
