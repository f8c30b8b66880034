"""Repacks onto several new nodes: the pods of one or more nodes onto N smaller ones (1->N, M->N).

Karpenter only ever replaces many nodes by one. Yet a half-used 8-GPU node whose pods each need one GPU costs
about twice what the 1-GPU nodes holding the same pods cost, and no merge finds that. A repack packs the pods
first-fit-decreasing into nodes of the few types with the lowest fluid cost (what the pods' total demand would
cost in that type), then shrinks each new node to the cheapest type that still holds it. Every placement goes
through the Placement simulation, so selectors, taints, anti-affinity and spread hold as for any other move.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engines.cluster.model import Node, NodeOffer, Pod
from engines.consolidation.placement import Placement, largest_first

_TYPES_TRIED = 1
Template = Callable[[NodeOffer, int], Node]  # (offer, new-node number) -> the node it becomes
Overhead = Callable[[Node], npt.NDArray[np.int64]]  # DaemonSet requests on that node, as a placement row


@dataclass(frozen=True)
class Repack:
    offers: tuple[NodeOffer, ...]  # one per new node, in launch order
    bins: tuple[tuple[Pod, ...], ...]  # the pods of each new node

    @property
    def cost(self) -> float:
        return sum(o.price_per_hour for o in self.offers)


@dataclass
class Repacker:
    placement: Placement
    offers: list[NodeOffer]
    usable: npt.NDArray[np.int64]  # per offer: allocatable minus its DaemonSets, in the placement's columns
    template: Template
    overhead: Overhead
    max_new_nodes: int

    def best(self, nodes: Sequence[Node], pods: Sequence[Pod], budget: float, first: int) -> Repack | None:
        """The cheapest repack found that costs less than `budget` $/h, new nodes numbered from `first`."""
        if not pods or not self.offers:
            return None
        prices = np.array([o.price_per_hour for o in self.offers])
        estimate = self._fluid_cost(pods, prices)
        best: Repack | None = None
        for t in np.argsort(estimate, kind="stable")[:_TYPES_TRIED]:
            if estimate[t] >= min(budget, best.cost if best else budget):
                break
            bins = self._fill(nodes, pods, self.offers[int(t)], first)
            if bins is None:
                continue
            found = self._shrink(bins, self.offers[int(t)], first)
            if found.cost < budget and (best is None or found.cost < best.cost - 1e-9):
                best = found
        return best

    def apply(self, nodes: Sequence[Node], repack: Repack, first: int) -> bool:
        """Close `nodes` and place their pods on the repack's new nodes; False (and nothing changed) if any
        rule breaks, which can happen only through a DaemonSet or spread rule that depends on the type."""
        placement = self.placement
        mark = placement.checkpoint()
        self._close(nodes, [p for b in repack.bins for p in b])
        for number, (offer, pods) in enumerate(zip(repack.offers, repack.bins, strict=True)):
            node = self.template(offer, first + number)
            target = placement.open(node, self.overhead(node))
            for pod in pods:
                if not self.placement.fits(pod, target):
                    placement.rollback(mark)
                    return False
                placement.place(pod, target)
        return True

    def _fluid_cost(self, pods: Sequence[Pod], prices: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Per offer: whole nodes of that type the pods' total demand needs at least, times its price."""
        sizes = np.array([self.placement.need(p) for p in pods], dtype=np.int64)
        need, biggest, usable = sizes.sum(axis=0), sizes.max(axis=0), self.usable
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(need > 0, need / np.maximum(usable, 1), 0.0).max(axis=1)
        ratio[(usable < biggest).any(axis=1)] = np.inf  # the largest pod does not fit one node of this type
        return np.asarray(np.ceil(ratio) * prices, dtype=np.float64)

    def _fill(self, nodes: Sequence[Node], pods: Sequence[Pod], offer: NodeOffer, first: int) -> list[list[Pod]] | None:
        placement = self.placement
        mark = placement.checkpoint()
        self._close(nodes, pods)
        opened: list[int] = []
        bins: list[list[Pod]] = []
        ok = True
        for pod in sorted(pods, key=largest_first, reverse=True):
            need = placement.need(pod)
            room = [opened[i] for i in np.flatnonzero((placement.free[opened] >= need).all(axis=1))] if opened else []
            target = next((b for b in room if self.placement.fits(pod, b)), None)
            if target is None:
                if len(opened) >= self.max_new_nodes:
                    ok = False
                    break
                node = self.template(offer, first + len(opened))
                target = placement.open(node, self.overhead(node))
                opened.append(target)
                bins.append([])
                if not self.placement.fits(pod, target):
                    ok = False
                    break
            placement.place(pod, target)
            bins[opened.index(target)].append(pod)
        placement.rollback(mark)
        return bins if ok else None

    def _shrink(self, bins: list[list[Pod]], offer: NodeOffer, first: int) -> Repack:
        """Each new node becomes the cheapest type that holds its pods and DaemonSets and suits every pod."""
        prices = np.array([o.price_per_hour for o in self.offers])
        chosen = []
        for number, pods in enumerate(bins):
            need = np.sum([self.placement.need(p) for p in pods], axis=0, dtype=np.int64)
            picky = [p for p in pods if p.node_selector or p.node_affinity]  # the rest fit any type of the pool
            pick = offer
            cheaper = np.flatnonzero((self.usable >= need).all(axis=1) & (prices < offer.price_per_hour))
            for i in cheaper[np.argsort(prices[cheaper], kind="stable")]:
                node = self.template(self.offers[int(i)], first + number) if picky else None
                if node is None or all(p.static_fit(node) is None for p in picky):
                    pick = self.offers[int(i)]
                    break
            chosen.append(pick)
        return Repack(tuple(chosen), tuple(tuple(b) for b in bins))

    def _close(self, nodes: Sequence[Node], pods: Sequence[Pod]) -> None:
        for node in nodes:
            self.placement.close(self.placement.index[node.name])
        for pod in pods:
            self.placement.unplace(pod)
