"""Builders of small synthetic clusters and price books for consolidation tests (no files, no network)."""

from __future__ import annotations

from hypothesis import strategies as st

from engines.cluster.capacity import PriceBook, eks_allocatable
from engines.cluster.model import (
    HOSTNAME_KEY,
    ON_DEMAND,
    AntiAffinityTerm,
    ClusterState,
    Node,
    Pdb,
    Pod,
    Resources,
    SpreadConstraint,
)
from engines.cluster.selectors import LabelSelector
from engines.spot.model import InstanceType

GIB = 2**30
REGION = "eu-west-1"
ZONES = ("eu-west-1a", "eu-west-1b")
# name, vcpus, memory GiB, max pods, On-Demand $/h (the m5 / c5 ladder, real eu-west-1 prices)
TYPES = (
    ("m5.large", 2, 8, 29, 0.107),
    ("m5.xlarge", 4, 16, 58, 0.214),
    ("m5.2xlarge", 8, 32, 58, 0.428),
    ("m5.4xlarge", 16, 64, 234, 0.856),
    ("c5.xlarge", 4, 8, 58, 0.192),
    ("c5.2xlarge", 8, 16, 58, 0.384),
)


def price_book() -> PriceBook:
    types = {n: InstanceType(n, v, m, "x86_64", max_pods=p) for n, v, m, p, _ in TYPES}
    on_demand = {n: price for n, _, _, _, price in TYPES}
    spot = {(n, z): round(price * 0.35, 4) for n, _, _, _, price in TYPES for z in ZONES}
    return PriceBook(REGION, types, on_demand, spot)


def node(name: str, instance_type: str, zone: str = ZONES[0], annotations: dict[str, str] | None = None) -> Node:
    book = price_book()
    instance = book.instance_types[instance_type]
    labels = {
        HOSTNAME_KEY: name,
        "node.kubernetes.io/instance-type": instance_type,
        "topology.kubernetes.io/zone": zone,
        "karpenter.sh/capacity-type": ON_DEMAND,
        "kubernetes.io/arch": "amd64",
    }
    return Node(
        name, instance_type, zone, ON_DEMAND, eks_allocatable(instance), book.on_demand[instance_type], labels,
        annotations=annotations or {},
    )  # fmt: skip


def pod(
    name: str,
    on: str,
    cpu_m: int,
    memory_gib: float,
    app: str | None = None,
    owner: str | None = "ReplicaSet",
    annotations: dict[str, str] | None = None,
    anti_affinity: bool = False,
    spread: bool = False,
    local_storage: bool = False,
) -> Pod:
    app = app or name
    selector = LabelSelector((("app", app),))
    return Pod(
        namespace="shop",
        name=name,
        node=on,
        requests=Resources(cpu_m, int(memory_gib * GIB), 0, 1),
        labels={"app": app},
        annotations=annotations or {},
        owner_kind=owner,
        owner_name=f"{app}-rs" if owner else None,
        anti_affinity=(AntiAffinityTerm(selector, HOSTNAME_KEY, frozenset({"shop"})),) if anti_affinity else (),
        spread=(SpreadConstraint(1, "topology.kubernetes.io/zone", selector, True),) if spread else (),
        local_storage=local_storage,
    )


def daemon(name: str, on: str) -> Pod:
    return Pod("kube-system", name, on, Resources(100, 128 * 2**20, 0, 1), owner_kind="DaemonSet", owner_name="proxy")


def cluster(nodes: list[Node], pods: list[Pod], pdbs: list[Pdb] | None = None) -> ClusterState:
    daemons = [daemon(f"proxy-{n.name}", n.name) for n in nodes]
    return ClusterState(REGION, tuple(nodes), tuple(daemons + pods), tuple(pdbs or ()))


@st.composite
def clusters(draw: st.DrawFn) -> ClusterState:
    """Random small clusters whose pods fit where they run, with every kind of rule sprinkled in."""
    book = price_book()
    count = draw(st.integers(1, 7))
    nodes = [
        node(f"n{i}", draw(st.sampled_from(sorted(book.on_demand))), draw(st.sampled_from(ZONES)),
             {"karpenter.sh/do-not-disrupt": "true"} if draw(st.integers(0, 9)) == 0 else None)
        for i in range(count)
    ]  # fmt: skip
    pods: list[Pod] = []
    free = {n.name: n.allocatable - Resources(100, 128 * 2**20, 0, 1) for n in nodes}
    apps = ["web", "api", "db", "cache"]
    for i in range(draw(st.integers(0, 18))):
        host = draw(st.sampled_from(nodes)).name
        request = Resources(draw(st.integers(50, 3000)), draw(st.integers(64, 6 * 1024)) * 2**20, 0, 1)
        if not request.fits_in(free[host]):
            continue
        app = draw(st.sampled_from(apps))
        anti = app == "web" and not any(p.node == host and p.labels.get("app") == "web" for p in pods)
        created = pod(
            f"p{i}", host, request.cpu_m, request.memory / GIB, app=app,
            owner=draw(st.sampled_from(["ReplicaSet", "ReplicaSet", "ReplicaSet", "StatefulSet", None])),
            annotations={"cloudoptim.io/do-not-disrupt": "true"} if draw(st.integers(0, 14)) == 0 else None,
            anti_affinity=anti, spread=app == "cache", local_storage=draw(st.integers(0, 14)) == 0,
        )  # fmt: skip
        pods.append(created)
        free[host] = free[host] - created.requests
    pdbs = [
        Pdb("shop", f"{app}-pdb", LabelSelector((("app", app),)), draw(st.integers(0, 2)))
        for app in apps
        if draw(st.booleans())
    ]
    return cluster(nodes, pods, pdbs)
