"""Replacement groups: which nodes one new node may stand in for, which offers it may be, and what it inherits.

The planner (replace.py) searches replacements group by group and the lower bound (bound.py) relaxes the same
groups, so both read the rules here: a bound over other groups than the planner's would not bound its plans.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace

from engines.cluster.capacity import ACCELERATORS, INHERITED
from engines.cluster.model import HOSTNAME_KEY, Node, NodeOffer, Resources
from engines.cluster.selectors import Taint
from engines.consolidation.policy import ConsolidationPolicy
from engines.spot.model import InstanceType

NODE_POOL_LABELS = ("karpenter.sh/nodepool", "eks.amazonaws.com/nodegroup")
# Labels that describe one machine, not the pool: the new node gets its own values.
PER_MACHINE_LABELS = (
    HOSTNAME_KEY,
    "node.kubernetes.io/instance-type",
    "beta.kubernetes.io/instance-type",
    "nvidia.com/gpu.present",
)


@dataclass(frozen=True, slots=True)
class GroupKey:
    """What a replacement inherits from the nodes it replaces: nodes with equal keys are interchangeable."""

    zone: str
    capacity_type: str
    taints: tuple[Taint, ...]
    pool: str
    arch: str
    accelerator_family: str


def group_key(node: Node) -> GroupKey:
    return GroupKey(
        node.zone, node.capacity_type, node.taints, pool_of(node), node_arch(node), accelerator_family(node)
    )


def inherited(node: Node) -> tuple[tuple[str, int], ...]:
    """The resources a replacement takes from the node it replaces (its seed), not from its type: the launch
    template's root volume gives ephemeral-storage. Every pod moved onto the new node is checked against it."""
    return tuple((name, value) for name, value in node.allocatable.extended if name in INHERITED)


def group_nodes(nodes: Iterable[Node]) -> dict[GroupKey, list[Node]]:
    """Nodes by replacement group, groups and their members in the order of `nodes`."""
    groups: dict[GroupKey, list[Node]] = defaultdict(list)
    for node in nodes:
        groups[group_key(node)].append(node)
    return groups


def pool_of(node: Node) -> str:
    """The node pool (Karpenter) or managed node group (EKS) the node belongs to ("" if neither)."""
    return next((node.labels[k] for k in NODE_POOL_LABELS if k in node.labels), "")


def policy_allows(policy: ConsolidationPolicy, instance: InstanceType | None) -> bool:
    """The policy's node template: catalogue types only, current generation, allowed families."""
    if instance is None or (policy.replacement_current_generation_only and not instance.current_generation):
        return False
    return not policy.replacement_families or instance.family in policy.replacement_families


def accelerator_family(node: Node) -> str:
    """The instance family of a node with accelerators (GPUs, Neuron, Gaudi; "" for others): replacements stay
    within it."""
    accelerated = node.allocatable.gpu > 0 or any(name in ACCELERATORS for name in node.allocatable.extended_names)
    return node.instance_type.split(".", 1)[0] if accelerated else ""


def node_arch(node: Node) -> str:
    return "arm64" if node.labels.get("kubernetes.io/arch") == "arm64" else "x86_64"


def may_replace(seed: Node, offer: NodeOffer, instance: InstanceType | None) -> bool:
    """Same architecture (images are built for one). A node with accelerators only by its own family, because
    the family fixes the device model and a pod asking for `nvidia.com/gpu` or `aws.amazon.com/neuron` was
    tested on that model, not on any. A node without accelerators never by an accelerated type: those are
    priced for the accelerator, usually tainted, and their Spot capacity is scarce."""
    if instance is None or offer.arch != node_arch(seed):
        return False
    family = accelerator_family(seed)
    if not family:
        return instance.gpus == 0 and not _accelerated(instance)
    return instance.family == family


def _accelerated(instance: InstanceType) -> bool:
    # AMD (g4ad), Inferentia, Trainium and FPGA types carry no `nvidia.com/gpu` but are accelerator-priced
    return instance.family.startswith(("g", "p", "inf", "trn", "f1", "f2", "dl", "vt"))


def new_node_template(seed: Node, offer: NodeOffer, index: int) -> Node:
    """The node a replacement becomes: the pool's labels and taints, the offer's type, zone and capacity."""
    labels = {k: v for k, v in seed.labels.items() if k not in PER_MACHINE_LABELS}
    labels |= {HOSTNAME_KEY: f"new:{index}", "node.kubernetes.io/instance-type": offer.instance_type}
    if offer.allocatable.gpu > 0:
        labels["nvidia.com/gpu.present"] = "true"
    return Node(
        name=f"new:{index}",
        instance_type=offer.instance_type,
        zone=offer.zone,
        capacity_type=offer.capacity_type,
        allocatable=with_inherited(offer.allocatable, seed),
        price_per_hour=offer.price_per_hour,
        labels=labels,
        taints=seed.taints,
    )


def with_inherited(allocatable: Resources, seed: Node) -> Resources:
    """A type's allocatable plus what the seed's launch template gives (replacing any the type claims)."""
    kept = inherited(seed)
    if not kept:
        return allocatable
    rest = tuple((n, v) for n, v in allocatable.extended if n not in INHERITED)
    return replace(allocatable, extended=tuple(sorted(rest + kept)))
