"""Value objects of a Kubernetes cluster as the efficiency engines see it: nodes, pods, PDBs, prices.

Resources (resources.py) are integers in the units Kubernetes accounts in (millicores, bytes, whole devices, pod
slots), over every resource a pod requests, so a plan's capacity checks are exact: a pod either fits a node or
it does not, with no float rounding.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from engines.cluster.resources import Resources as Resources
from engines.cluster.resources import extra_names
from engines.cluster.selectors import LabelSelector, NodeSelectorTerm, Taint, Toleration, node_terms_match

ON_DEMAND = "on-demand"
SPOT = "spot"
HOSTNAME_KEY = "kubernetes.io/hostname"
ZONE_KEY = "topology.kubernetes.io/zone"
# The labels that say a node's capacity type, with each one's words for it (Karpenter, EKS managed node groups,
# the older lifecycle labels). A node launched at another capacity type carries its own words, not its template's.
CAPACITY_LABEL_VALUES = {
    "karpenter.sh/capacity-type": {SPOT: "spot", ON_DEMAND: "on-demand"},
    "eks.amazonaws.com/capacityType": {SPOT: "SPOT", ON_DEMAND: "ON_DEMAND"},
    "node.kubernetes.io/lifecycle": {SPOT: "spot", ON_DEMAND: "normal"},
    "lifecycle": {SPOT: "Ec2Spot", ON_DEMAND: "OnDemand"},
}


def relabelled(labels: Mapping[str, str], capacity_type: str) -> dict[str, str]:
    """`labels` with every capacity-type label the node carries saying `capacity_type` (others untouched).

    >>> relabelled({"karpenter.sh/capacity-type": "on-demand", "app": "x"}, SPOT)["karpenter.sh/capacity-type"]
    'spot'
    """
    out = dict(labels)
    for key, words in CAPACITY_LABEL_VALUES.items():
        if key in out and capacity_type in words:
            out[key] = words[capacity_type]
    return out


@dataclass(frozen=True, slots=True)
class AntiAffinityTerm:
    """Required pod anti-affinity: no pod matching `selector` (in `namespaces`) in the same topology domain."""

    selector: LabelSelector
    topology_key: str
    namespaces: frozenset[str]


@dataclass(frozen=True, slots=True)
class AffinityTerm:
    """Required pod affinity: some pod matching `selector` must run in the same topology domain."""

    selector: LabelSelector
    topology_key: str
    namespaces: frozenset[str]


@dataclass(frozen=True, slots=True)
class SpreadConstraint:
    """A topology spread constraint; only `hard` ones (DoNotSchedule) restrict where a pod may move."""

    max_skew: int
    topology_key: str
    selector: LabelSelector
    hard: bool


@dataclass(frozen=True, slots=True)
class Pod:
    namespace: str
    name: str
    node: str | None
    requests: Resources  # the sum of app containers, or the largest init container if larger (as the scheduler)
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    owner_kind: str | None = None
    owner_name: str | None = None
    node_selector: Mapping[str, str] = field(default_factory=dict)
    node_affinity: tuple[NodeSelectorTerm, ...] = ()  # required terms, ORed
    tolerations: tuple[Toleration, ...] = ()
    anti_affinity: tuple[AntiAffinityTerm, ...] = ()
    affinity: tuple[AffinityTerm, ...] = ()
    spread: tuple[SpreadConstraint, ...] = ()
    local_storage: bool = False  # emptyDir / hostPath: the data dies with the node
    persistent_volume: bool = False  # a PVC: EBS volumes are zonal, so the pod stays in its zone
    phase: str = "Running"
    priority: int = 0
    # "namespace/name", computed once: the planner reads it hundreds of thousands of times on a large cluster
    key: str = field(init=False, repr=False, compare=False, default="")

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", f"{self.namespace}/{self.name}")

    @property
    def is_daemon(self) -> bool:
        return self.owner_kind == "DaemonSet"

    @property
    def is_active(self) -> bool:
        return self.phase not in ("Succeeded", "Failed")

    def static_fit(self, node: Node) -> str | None:
        """Why the pod may not run on `node` for reasons independent of other pods; None when it may."""
        for key, value in self.node_selector.items():
            if node.labels.get(key) != value:
                return f"node selector {key}={value}"
        if self.node_affinity and not node_terms_match(self.node_affinity, node.labels, node.name):
            return "required node affinity"
        for taint in node.taints:
            if taint.effect in ("NoSchedule", "NoExecute") and not any(t.tolerates(taint) for t in self.tolerations):
                return f"untolerated taint {taint.key}:{taint.effect}"
        return None


@dataclass(frozen=True, slots=True)
class Node:
    name: str
    instance_type: str
    zone: str
    capacity_type: str
    allocatable: Resources
    price_per_hour: float | None  # None: the type/zone/capacity type has no known price
    labels: Mapping[str, str] = field(default_factory=dict)
    taints: tuple[Taint, ...] = ()
    annotations: Mapping[str, str] = field(default_factory=dict)
    unschedulable: bool = False

    def topology_value(self, key: str) -> str | None:
        if key == HOSTNAME_KEY:
            return self.labels.get(key, self.name)
        if key == ZONE_KEY:
            return self.zone
        return self.labels.get(key)


@dataclass(frozen=True, slots=True)
class Pdb:
    namespace: str
    name: str
    selector: LabelSelector
    disruptions_allowed: int

    def covers(self, pod: Pod) -> bool:
        return pod.namespace == self.namespace and self.selector.matches(pod.labels)


@dataclass(frozen=True, slots=True)
class NodeOffer:
    """A node the planner may launch: a type in a zone at a capacity type, with its hourly price."""

    instance_type: str
    zone: str
    capacity_type: str
    price_per_hour: float
    allocatable: Resources
    arch: str = "x86_64"


@dataclass(frozen=True)
class ClusterState:
    region: str
    nodes: tuple[Node, ...]
    pods: tuple[Pod, ...]
    pdbs: tuple[Pdb, ...] = ()

    def node(self, name: str) -> Node | None:
        return self._by_name().get(name)

    def _by_name(self) -> dict[str, Node]:
        cached: dict[str, Node] | None = self.__dict__.get("_node_index")
        if cached is None:
            cached = {n.name: n for n in self.nodes}
            object.__setattr__(self, "_node_index", cached)
        return cached

    def pods_on(self) -> dict[str, list[Pod]]:
        """Active pods per node name (every node present, possibly with an empty list)."""
        placed: dict[str, list[Pod]] = {n.name: [] for n in self.nodes}
        for pod in self.pods:
            if pod.node in placed and pod.is_active:
                placed[pod.node].append(pod)
        return placed

    def cost_per_hour(self) -> float:
        """The priced nodes' cost: an unpriced node is left out (`unpriced` says which), never counted as free."""
        return sum(n.price_per_hour or 0.0 for n in self.nodes)

    @property
    def unpriced(self) -> tuple[str, ...]:
        return tuple(n.name for n in self.nodes if n.price_per_hour is None)

    @property
    def extra_resources(self) -> tuple[str, ...]:
        """Resources beyond cpu, memory, nvidia.com/gpu and pods that some active pod requests (sorted)."""
        cached: tuple[str, ...] | None = self.__dict__.get("_extras")
        if cached is None:
            cached = extra_names(p.requests for p in self.pods if p.is_active)
            object.__setattr__(self, "_extras", cached)
        return cached

    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes)
