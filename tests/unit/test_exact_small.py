"""The exact consolidation model against the planner on tiny random clusters.

lower bound <= exact optimum <= our plan's cost: the bound relaxes the exact problem (fluid pods), and the exact
problem relaxes the planner's (no spread, affinity or per-action PDB limits, any packing), so our plan is one of
its solutions. Clusters: at most 6 nodes and 15 pods, drawn from a seeded generator, with what the exact model
does honour (selectors, taints, GPUs, zonal volumes, hostname anti-affinity, DaemonSets, blocked nodes).
"""

from __future__ import annotations

import random

import pytest

pytest.importorskip("ortools")

from benchmarks.exact_consolidation import ExactSettings, solve_exact
from benchmarks.karpenter_baseline import KARPENTER_RULES, karpenter_consolidation
from engines.cluster.capacity import GIB, PriceBook, eks_allocatable
from engines.cluster.model import (
    HOSTNAME_KEY,
    ON_DEMAND,
    SPOT,
    ZONE_KEY,
    AntiAffinityTerm,
    ClusterState,
    Node,
    Pdb,
    Pod,
    Resources,
)
from engines.cluster.selectors import LabelSelector, Taint, Toleration
from engines.consolidation.planner import plan_consolidation
from engines.consolidation.policy import ConsolidationPolicy
from engines.consolidation.validate import validate_plan
from engines.spot.model import InstanceType

MIB = 2**20
ZONES = ("eu-west-1a", "eu-west-1b")
TYPES = {  # name: (vcpus, memory GiB, GPUs, On-Demand $/h)
    "m5.large": (2, 8, 0, 0.107),
    "m5.xlarge": (4, 16, 0, 0.214),
    "m5.2xlarge": (8, 32, 0, 0.428),
    "c5.xlarge": (4, 8, 0, 0.192),
    "r5.large": (2, 16, 0, 0.141),
    "r5.xlarge": (4, 32, 0, 0.282),
    "g4dn.xlarge": (4, 16, 1, 0.587),
    "g4dn.2xlarge": (8, 32, 1, 0.838),
    "g4dn.12xlarge": (48, 192, 4, 4.377),
}
GPU_TAINT = Taint("nvidia.com/gpu", "true", "NoSchedule")
GPU_TOLERATION = Toleration("nvidia.com/gpu", "Equal", "true", "NoSchedule")
SEEDS = range(40)


def price_book() -> PriceBook:
    types = {name: InstanceType(name, c, m, "x86_64", gpus=g, max_pods=29) for name, (c, m, g, _) in TYPES.items()}
    on_demand = {name: spec[3] for name, spec in TYPES.items()}
    spot = {
        (name, zone): round(spec[3] * (0.3 + 0.1 * i), 4)
        for name, spec in TYPES.items()
        for i, zone in enumerate(ZONES)
    }
    return PriceBook("eu-west-1", types, on_demand, spot)


def cluster(seed: int, prices: PriceBook) -> ClusterState:
    rng = random.Random(seed)
    nodes: list[Node] = []
    for i in range(rng.randint(2, 6)):
        name = rng.choice(list(TYPES))
        gpu = TYPES[name][2] > 0
        zone, capacity = rng.choice(ZONES), SPOT if rng.random() < 0.25 else ON_DEMAND
        labels = {
            HOSTNAME_KEY: f"n{i}",
            "node.kubernetes.io/instance-type": name,
            ZONE_KEY: zone,
            "karpenter.sh/capacity-type": capacity,
            "karpenter.sh/nodepool": "gpu" if gpu else "default",
            "kubernetes.io/arch": "amd64",
        } | ({"nvidia.com/gpu.present": "true"} if gpu else {})
        annotations = {"karpenter.sh/do-not-disrupt": "true"} if rng.random() < 0.1 else {}
        nodes.append(
            Node(
                f"n{i}", name, zone, capacity, eks_allocatable(prices.instance_types[name]),
                prices.price(name, zone, capacity), labels, (GPU_TAINT,) if gpu else (), annotations,
            )
        )  # fmt: skip
    daemon = Resources(cpu_m=100, memory=128 * MIB, pods=1)
    pods = [
        Pod("default", f"ds-{n.name}", n.name, daemon, owner_kind="DaemonSet", owner_name="ds",
            tolerations=(Toleration(None, "Exists", None, None),))
        for n in nodes
    ]  # fmt: skip
    free = {n.name: n.allocatable - daemon for n in nodes}
    apps = [f"app{k}" for k in range(4)]
    for j in range(rng.randint(1, 15)):
        app = rng.choice(apps)
        gpu = rng.random() < 0.3
        requests = Resources(rng.choice((250, 500, 1000, 2000)), rng.choice((512, 1024, 4096)) * MIB, int(gpu), 1)
        spread_out = app == "app0"  # required anti-affinity on the hostname among its own pods
        holders = {p.node for p in pods if p.labels.get("app") == app} if spread_out else set()
        fits = [
            n for n in nodes
            if requests.fits_in(free[n.name]) and n.name not in holders and (n.allocatable.gpu > 0) == gpu
        ]  # fmt: skip
        if not fits:
            continue
        node = rng.choice(fits)
        free[node.name] = free[node.name] - requests
        pods.append(
            Pod(
                "default", f"{app}-{j}", node.name, requests, labels={"app": app}, owner_kind="ReplicaSet",
                owner_name=app, node_selector={"nvidia.com/gpu.present": "true"} if gpu else {},
                tolerations=(GPU_TOLERATION,) if gpu else (),
                anti_affinity=(
                    AntiAffinityTerm(LabelSelector((("app", app),)), HOSTNAME_KEY, frozenset({"default"})),
                ) if spread_out else (),
                persistent_volume=rng.random() < 0.2,
            )
        )  # fmt: skip
    pdbs = (Pdb("default", "app1", LabelSelector((("app", "app1"),)), 1),)
    return ClusterState("eu-west-1", tuple(nodes), tuple(pods), pdbs)


@pytest.mark.parametrize("seed", SEEDS)
def test_bound_exact_and_plan_are_ordered(seed: int) -> None:
    prices = price_book()
    state = cluster(seed, prices)
    plan = plan_consolidation(state, prices)
    assert validate_plan(state, plan, prices) == []
    # Uncapped bins and the whole menu: the model is exact (up to its documented relaxations)
    exact = solve_exact(state, prices, settings=ExactSettings(time_limit=20, bins_per_group=100, menu_size=None))
    assert exact.status == "OPTIMAL" and exact.objective is not None
    assert not exact.capped
    assert exact.bound <= exact.objective + 1e-6
    assert plan.lower_bound_cost_per_hour <= exact.objective + 1e-4
    assert exact.objective <= plan.cost_after_per_hour + 1e-4


@pytest.mark.parametrize("seed", SEEDS[:20])
def test_karpenter_baseline_plans_validate(seed: int) -> None:
    prices = price_book()
    state = cluster(seed, prices)
    plan, stats = karpenter_consolidation(state, prices)
    assert validate_plan(state, plan, prices, KARPENTER_RULES) == []  # checked under Karpenter's candidate rules
    assert plan.cost_after_per_hour <= plan.cost_before_per_hour
    assert sum(stats.commands.values()) >= len([a for a in plan.actions if a.type == "replace"])


def test_exact_finds_the_obvious_merge() -> None:
    """Two m5.xlarge holding one 1-CPU pod each: both go, one c5.xlarge ($0.192/h) takes the two pods."""
    prices = price_book()
    nodes = tuple(
        Node(
            f"n{i}", "m5.xlarge", ZONES[0], ON_DEMAND, eks_allocatable(prices.instance_types["m5.xlarge"]), 0.214,
            {HOSTNAME_KEY: f"n{i}", "karpenter.sh/nodepool": "default"},
        )
        for i in range(2)
    )  # fmt: skip
    pods = tuple(
        Pod("default", f"web-{i}", f"n{i}", Resources(1000, 2 * GIB, 0, 1), owner_kind="ReplicaSet") for i in range(2)
    )
    state = ClusterState("eu-west-1", nodes, pods)
    exact = solve_exact(state, prices, settings=ExactSettings(time_limit=10, menu_size=None))
    assert exact.status == "OPTIMAL"
    assert exact.objective == pytest.approx(0.192)  # cheaper than keeping one m5.xlarge ($0.214/h)
    assert (exact.nodes_removed, exact.new_nodes, exact.pods_moved) == (2, 1, 2)
    assert exact.launched == ("eu-west-1a/on-demand/c5.xlarge",)


@pytest.mark.parametrize("seed", SEEDS[:15])
def test_bound_holds_for_replace_only_plans_and_under_other_candidate_rules(seed: int) -> None:
    """Node rightsizing (no deletes) once printed a bound above its own plan; and the bound only holds under its
    assumptions: the exact optimum under Karpenter's candidate rules (more nodes may go) is bounded by the bound
    computed under those rules, not necessarily by ours."""
    prices = price_book()
    state = cluster(seed, prices)
    rightsizing = ConsolidationPolicy(allow_delete=False, max_nodes_per_replace=1)
    plan = plan_consolidation(state, prices, rightsizing)
    assert plan.lower_bound_cost_per_hour <= plan.cost_after_per_hour + 1e-6
    exact = solve_exact(
        state, prices, KARPENTER_RULES, ExactSettings(time_limit=20, bins_per_group=100, menu_size=None)
    )
    assert exact.status == "OPTIMAL" and exact.objective is not None
    assert plan_consolidation(state, prices, KARPENTER_RULES).lower_bound_cost_per_hour <= exact.objective + 1e-4


def test_a_plan_breaking_an_assumption_can_go_below_the_bound() -> None:
    """A node kept by our rules (its pod is in kube-system) is assumed to stay: a sequential drain that evicts the
    kube-system pod anyway ends below our bound, and the plan names the assumption it broke."""
    prices = price_book()
    nodes = tuple(
        Node(f"n{i}", "m5.xlarge", ZONES[0], ON_DEMAND, eks_allocatable(prices.instance_types["m5.xlarge"]), 0.214,
             {HOSTNAME_KEY: f"n{i}", "karpenter.sh/nodepool": "default"})
        for i in range(2)
    )  # fmt: skip
    pods = (
        Pod("kube-system", "coredns-0", "n0", Resources(100, 128 * MIB, 0, 1), owner_kind="ReplicaSet"),
        Pod("default", "web-0", "n1", Resources(100, 128 * MIB, 0, 1), owner_kind="ReplicaSet"),
    )
    state = ClusterState("eu-west-1", nodes, pods)
    ours = plan_consolidation(state, prices)
    theirs = plan_consolidation(state, prices, KARPENTER_RULES)  # kube-system pods may move
    assert ours.lower_bound_cost_per_hour == pytest.approx(0.214)  # n0 stays: it is blocked
    assert theirs.cost_after_per_hour < ours.lower_bound_cost_per_hour  # one node cheaper than that is possible
    assert validate_plan(state, theirs, prices, KARPENTER_RULES) == []
    assert "nodes a rule keeps (the blocked list) stay" in ours.bound_assumptions[0]
