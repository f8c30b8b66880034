"""Karpenter's consolidation scheduling simulation (`SimulateScheduling`), run on our Placement.

Used by benchmarks/karpenter_baseline.py; the faithfulness notes are in that module's docstring. In short: the
candidates' pods are sorted CPU then memory descending; each pod tries the existing live nodes first fit in name
order (Karpenter's scheduler sorts its existing nodes initialized-first, then by name), then an in-flight new
NodeClaim, then a new NodeClaim from a template; a NodeClaim keeps every launchable type that still holds its pods
plus the DaemonSets, cheapest first. Pods that fit nowhere are retried while others make progress (Karpenter's queue).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

from engines.cluster.capacity import PriceBook
from engines.cluster.model import HOSTNAME_KEY, ON_DEMAND, SPOT, Node, NodeOffer, Pod, Resources
from engines.cluster.resources import BASE
from engines.consolidation.daemons import DaemonSets
from engines.consolidation.groups import (
    GroupKey,
    accelerator_family,
    group_key,
    may_replace,
    new_node_template,
    node_arch,
    policy_allows,
)
from engines.consolidation.placement import Placement
from engines.consolidation.policy import ConsolidationPolicy

Mask = npt.NDArray[np.bool_]
DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"


def launch_node(seed: Node, offer: NodeOffer, name: str) -> Node:
    """A new node of `offer` templated on `seed`, exactly as our planner's replacements are."""
    node = new_node_template(seed, offer, 0)
    return replace(node, name=name, labels={**node.labels, HOSTNAME_KEY: name})


@dataclass
class Template:
    """What a new NodeClaim may be: the seed's zone, capacity type, pool, taints and arch, any offered type."""

    seed: Node
    offers: list[NodeOffer]  # cheapest first
    capacity: npt.NDArray[np.int64]  # per offer: allocatable minus the DaemonSets the node would run
    prices: npt.NDArray[np.float64]
    fits: dict[tuple[object, ...], Mask] = field(default_factory=dict)  # pod class -> offers it may run on
    by_pod: dict[str, Mask] = field(default_factory=dict)  # the same, by pod key (the class key is slow to build)

    def compatible(self, pod: Pod) -> Mask:
        found = self.by_pod.get(pod.key)
        if found is None:
            key = (tuple(sorted(pod.node_selector.items())), pod.node_affinity, pod.tolerations)
            if key not in self.fits:
                nodes = (launch_node(self.seed, o, "claim") for o in self.offers)
                self.fits[key] = np.array([pod.static_fit(n) is None for n in nodes], dtype=bool)
            found = self.by_pod[pod.key] = self.fits[key]
        return found


class Catalogue:
    """Templates per replacement group of our planner (zone, capacity type, taints, pool, arch, GPU family), with
    the offers our planner may launch for it (groups.policy_allows and groups.may_replace), cached."""

    def __init__(
        self,
        prices: PriceBook,
        policy: ConsolidationPolicy,
        daemons: DaemonSets,
        zones: tuple[str, ...],
        extras: tuple[str, ...] = (),
    ):
        self.daemons, self.prices, self.extras = daemons, prices, extras
        self.offers: dict[tuple[str, str], list[NodeOffer]] = {}
        for offer in prices.offers(zones, (ON_DEMAND, SPOT)):
            if policy_allows(policy, prices.instance_types.get(offer.instance_type)):
                self.offers.setdefault((offer.zone, offer.capacity_type), []).append(offer)
        self._templates: dict[GroupKey, Template] = {}

    def template(self, node: Node) -> Template:
        key = group_key(node)
        if key not in self._templates:
            types = self.prices.instance_types
            offers = [
                o
                for o in self.offers.get((node.zone, node.capacity_type), [])
                if may_replace(node, o, types.get(o.instance_type))
            ]
            width = 4 + len(self.extras)
            nodes = [launch_node(node, o, "claim") for o in offers]  # the allocatable a replacement of `node` has
            alloc = np.array([n.allocatable.vector(self.extras) for n in nodes], dtype=np.int64).reshape(-1, width)
            overhead = np.array([self.daemons.overhead(n).vector(self.extras) for n in nodes], dtype=np.int64).reshape(
                -1, width
            )
            prices = np.array([o.price_per_hour for o in offers], dtype=np.float64)
            self._templates[key] = Template(node, offers, alloc - overhead, prices)
        return self._templates[key]

    def templates(self, nodes: list[Node]) -> list[Template]:
        """The distinct templates of `nodes`, in their order."""
        found: list[Template] = []
        for node in nodes:
            template = self.template(node)
            if all(t is not template for t in found):
                found.append(template)
        return found


@dataclass
class Claim:
    """An in-flight NodeClaim of the simulation: its pods and the offers that still hold them all."""

    template: Template
    slot: int  # its index in the Placement (opened with the largest capacity, for the topology counts)
    options: Mask
    need: Callable[[Pod], npt.NDArray[np.int64]]  # a pod's requests as a placement row (Placement.need)
    total: npt.NDArray[np.int64] | int = 0
    pods: list[Pod] = field(default_factory=list)

    def narrowed(self, pod: Pod) -> Mask:
        need = self.total + self.need(pod)
        fits: Mask = self.options & self.template.compatible(pod) & (self.template.capacity >= need).all(axis=1)
        return fits


@dataclass
class Outcome:
    targets: dict[str, int]  # pod key -> Placement index (the claim's slot for pods on the new node)
    claim: Claim | None


def kind(node: Node) -> tuple[str, ...]:
    """What a new node keeps of the nodes whose pods it takes: zone, capacity type, arch and GPU family."""
    return (node.zone, node.capacity_type, node_arch(node), accelerator_family(node))


def schedule(
    placement: Placement,
    templates: list[Template],
    pods: list[Pod],
    order: npt.NDArray[np.int64],
    origin: dict[str, tuple[str, ...]],
) -> Outcome | None:
    """Place `pods` (already unplaced, their nodes closed) as Karpenter would; None when the result is not a
    consolidation: a pod fits nowhere, or more than one new NodeClaim is needed. A pod joins a NodeClaim only if
    its node (`origin`: pod key -> kind()) is of the claim's kind. The caller rolls back."""
    queue = sorted(pods, key=lambda p: (-p.requests.cpu_m, -p.requests.memory, p.key))
    targets: dict[str, int] = {}
    claims: list[Claim] = []
    while queue:
        waiting: list[Pod] = []
        for pod in queue:
            target = _first_fit(placement, pod, order)
            if target is None:
                target = _add_to_claims(placement, claims, pod, origin[pod.key])
            if target is None:
                if claims:  # a second NodeClaim: Karpenter's consolidation rejects M->2 and more
                    return None
                target = _open_claim(placement, templates, claims, pod, origin[pod.key])
            if target is None:
                waiting.append(pod)
                continue
            placement.place(pod, target)
            targets[pod.key] = target
        if len(waiting) == len(queue):
            return None  # no progress: some pod cannot be scheduled
        queue = waiting
    return Outcome(targets, claims[0] if claims else None)


def _first_fit(placement: Placement, pod: Pod, order: npt.NDArray[np.int64]) -> int | None:
    n = placement.count
    need = placement.need(pod)
    mask = placement.static_mask(pod, placement.home_zone(pod))[:n] & placement.accepts[:n]
    mask &= (placement.free[:n] >= need).all(axis=1)
    for index in order[mask[order]]:
        node = int(index)
        if placement.topology.empty or placement.topology.violation(pod, node, placement.domain_count) is None:
            return node
    return None


def _allowed_on_claim(placement: Placement, claim: Claim, pod: Pod, source: tuple[str, ...]) -> bool:
    home = placement.home_zone(pod)
    if source != kind(claim.template.seed) or (home is not None and home != claim.template.seed.zone):
        return False
    return placement.topology.empty or placement.topology.violation(pod, claim.slot, placement.domain_count) is None


def _add_to_claims(placement: Placement, claims: list[Claim], pod: Pod, source: tuple[str, ...]) -> int | None:
    for claim in sorted(claims, key=lambda c: len(c.pods)):  # least loaded first, as Karpenter
        options = claim.narrowed(pod)
        if options.any() and _allowed_on_claim(placement, claim, pod, source):
            claim.options, claim.total = options, claim.total + placement.need(pod)
            claim.pods.append(pod)
            return claim.slot
    return None


def _open_claim(
    placement: Placement, templates: list[Template], claims: list[Claim], pod: Pod, source: tuple[str, ...]
) -> int | None:
    for template in templates:
        if not template.offers or kind(template.seed) != source:
            continue
        largest = template.capacity.max(axis=0)
        biggest = Resources.named(dict(zip(BASE + placement.extras, (int(v) for v in largest), strict=True)))
        probe = Claim(template, -1, np.ones(len(template.offers), dtype=bool), placement.need)
        options = probe.narrowed(pod)
        if not options.any():
            continue
        seed_offer = template.offers[int(np.flatnonzero(options)[0])]
        node = launch_node(template.seed, seed_offer, f"claim:{placement.count}")  # unique per slot
        slot = placement.open(
            Node(node.name, node.instance_type, node.zone, node.capacity_type, biggest, None, node.labels, node.taints),
            np.zeros(placement.width, dtype=np.int64),
        )
        probe.slot = slot
        if not _allowed_on_claim(placement, probe, pod, source):
            placement.close(slot)  # not a topology domain any more; the caller's rollback removes it
            continue
        probe.options, probe.total = options, probe.total + placement.need(pod)
        probe.pods.append(pod)
        claims.append(probe)
        return slot
    return None


def eviction_cost(pod: Pod) -> float:
    """Karpenter's EvictionCost: 1 + pod-deletion-cost / 2^27 + priority / 2^25, clamped to [-10, 10]."""
    cost = 1.0
    with contextlib.suppress(ValueError):  # the API server rejects non-integers; be lenient like Karpenter
        cost += float(pod.annotations.get(DELETION_COST, "0")) / 2**27
    return min(10.0, max(-10.0, cost + pod.priority / 2**25))


def same_type_limit(candidates: list[tuple[str, float]], template: Template, options: Mask) -> float:
    """filterOutSameInstanceType: if a remaining option is the type of a candidate (type, price), every option
    must be cheaper than the cheapest such candidate (else deleting fewer nodes is the better command)."""
    cheapest: dict[str, float] = {}
    for instance_type, price in candidates:
        cheapest[instance_type] = min(price, cheapest.get(instance_type, math.inf))
    offered = {template.offers[int(i)].instance_type for i in np.flatnonzero(options)}
    return min((p for t, p in cheapest.items() if t in offered), default=math.inf)


def ensure_room(placement: Placement, spare: int = 64) -> None:
    """Placement keeps a fixed number of spare slots for new nodes (512); Karpenter's loop launches and keeps more
    than that on large clusters, and each probe opens a claim slot, so grow the arrays before they run out."""
    if placement.count + spare < len(placement.alloc):
        return
    extra, width = len(placement.alloc), placement.width
    placement.alloc = np.concatenate([placement.alloc, np.zeros((extra, width), dtype=np.int64)])
    placement.free = np.concatenate([placement.free, np.zeros((extra, width), dtype=np.int64)])
    placement.accepts = np.concatenate([placement.accepts, np.zeros(extra, dtype=bool)])
    placement.alive = np.concatenate([placement.alive, np.zeros(extra, dtype=bool)])
    placement.tier = np.concatenate([placement.tier, np.full(extra, placement.tier.max(), dtype=np.int8)])


def name_order(placement: Placement) -> npt.NDArray[np.int64]:
    """Live nodes by name: the order Karpenter's scheduler tries existing nodes in (initialized first, then name)."""
    alive = [int(i) for i in np.flatnonzero(placement.alive[: placement.count])]
    return np.array(sorted(alive, key=lambda i: placement.nodes[i].name), dtype=np.int64)


def room_for_any(placement: Placement, slots: list[int], pods: list[Pod]) -> bool:
    """Whether one of `slots` has room (resources only) for one of `pods`."""
    needs = np.array([placement.need(p) for p in pods], dtype=np.int64).reshape(-1, placement.width)
    return bool((placement.free[slots][:, None, :] >= needs[None, :, :]).all(axis=2).any())
