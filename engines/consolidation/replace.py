"""Replacements: several under-used nodes into one new node (M->1), or one node into a cheaper one (E2).

Within a group of interchangeable nodes (same zone, capacity type, taints and node pool), nodes are taken
least-used first; for each prefix of 1..max_nodes_per_replace nodes the cheapest offer that holds all their
pods (plus the DaemonSets the new node will run) is simulated, and the prefix that saves most wins.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from engines.cluster.capacity import DEVICE_RESOURCES, PriceBook
from engines.cluster.model import HOSTNAME_KEY, Node, NodeOffer, Pod, Resources
from engines.cluster.resources import BASE, CPU, MEMORY
from engines.consolidation.daemons import DaemonSets
from engines.consolidation.eligibility import Eligibility
from engines.consolidation.groups import (
    PER_MACHINE_LABELS,
    accelerator_family,
    group_nodes,
    inherited,
    may_replace,
    new_node_template,
    node_arch,
    policy_allows,
    with_inherited,
)
from engines.consolidation.placement import Placement, largest_first
from engines.consolidation.plan import Action, BlockCode, BlockReason, Move, Replacement
from engines.consolidation.policy import ConsolidationPolicy
from engines.consolidation.repack import Repack, Repacker

_TRIES_PER_PREFIX = 3
# Repacks onto several nodes are tried for the first few nodes of a group only: most of their gain is in 1->N
# and 2->N, and each try costs a full first-fit simulation.
_SPLIT_PREFIX = 3


@dataclass(frozen=True, slots=True)
class _Candidate:
    """The best replacement found so far for a group: its first `nodes` nodes by `choice`."""

    saving: float  # $/h
    nodes: int
    choice: NodeOffer | Repack


@dataclass(frozen=True, slots=True)
class _OfferArrays:
    """The offers a group may be replaced by, with their capacities and prices as arrays for vector tests."""

    offers: list[NodeOffer]
    capacities: npt.NDArray[np.int64]  # (offers, placement width): allocatable as the seed's replacement
    prices: npt.NDArray[np.float64]  # (offers,): $/h


class Replacer:
    def __init__(
        self,
        placement: Placement,
        prices: PriceBook,
        policy: ConsolidationPolicy,
        eligibility: Eligibility,
        daemons: DaemonSets,
    ):
        self.placement, self.policy, self.eligibility, self.daemons = placement, policy, eligibility, daemons
        self._offers: dict[tuple[str, str], list[NodeOffer]] = defaultdict(list)
        zones = tuple(sorted({n.zone for n in placement.nodes if n.zone}))
        self._prices = prices
        for offer in prices.offers(zones, ("on-demand", "spot")):
            if policy_allows(policy, prices.instance_types.get(offer.instance_type)):
                self._offers[(offer.zone, offer.capacity_type)].append(offer)
        self._new_nodes = 0
        self._arrays: dict[tuple[object, ...], _OfferArrays] = {}
        self._usable: dict[tuple[object, ...], Any] = {}
        self._overheads: dict[tuple[object, ...], npt.NDArray[np.int64]] = {}

    def _offer_arrays(self, seed: Node) -> _OfferArrays:
        key = (seed.zone, seed.capacity_type, node_arch(seed), accelerator_family(seed), inherited(seed))
        if key not in self._arrays:
            offers = [
                o
                for o in self._offers.get((seed.zone, seed.capacity_type), [])
                if may_replace(seed, o, self._prices.instance_types.get(o.instance_type))
            ]
            width, extras = self.placement.width, self.placement.extras
            rows = [with_inherited(o.allocatable, seed).vector(extras) for o in offers]
            capacities = np.array(rows, dtype=np.int64).reshape(-1, width)
            self._arrays[key] = _OfferArrays(offers, capacities, np.array([o.price_per_hour for o in offers]))
        return self._arrays[key]

    def _usable_of(self, seed: Node) -> Any:
        """Per offer of the seed's group: allocatable minus the DaemonSets a new node of that type would run."""
        pool = tuple(sorted((k, v) for k, v in seed.labels.items() if k not in PER_MACHINE_LABELS))
        key = (seed.zone, seed.capacity_type, node_arch(seed), accelerator_family(seed), inherited(seed), pool,
               seed.taints)  # fmt: skip
        if key not in self._usable:
            arrays = self._offer_arrays(seed)
            overheads = [self._overhead(new_node_template(seed, o, 0)) for o in arrays.offers]
            width = self.placement.width
            self._usable[key] = arrays.capacities - np.array(overheads, dtype=np.int64).reshape(-1, width)
        return self._usable[key]

    def run(
        self, nodes: Sequence[Node], actions: list[Action], failures: dict[str, BlockReason], paced: bool = False
    ) -> None:
        """Replacements group by group. `paced`: merges stop before a budget would need a second eviction round
        (a single node is still replaced whatever its rounds): drains stay one round long, and the greedy takes
        smaller steps, which on some clusters leaves better combinations for the nodes after (a search preference,
        not a rule: the planner's other searches merge without it, and the cheapest plan wins)."""
        self._new_nodes = sum(len(a.launches) for a in actions)
        for group in group_nodes(nodes).values():
            group.sort(key=self._used)
            while group:
                action = self._best_action(group, paced)
                if action is None:
                    failures.setdefault(group[0].name, self._why_not(group[0]))
                    group.pop(0)
                    continue
                actions.append(action)
                taken = set(action.nodes)
                group[:] = [n for n in group if n.name not in taken]

    def _used(self, node: Node) -> float:
        need = _sum(self.eligibility.movable[node.name])
        alloc = node.allocatable
        return max(need.cpu_m / max(alloc.cpu_m, 1), need.memory / max(alloc.memory, 1))

    def _best_action(self, group: list[Node], paced: bool) -> Action | None:
        best: _Candidate | None = None
        seed = group[0]
        arrays = self._offer_arrays(seed)
        offers, capacities, prices = arrays.offers, arrays.capacities, arrays.prices
        if not offers:
            return None
        overhead = self._overhead(new_node_template(seed, offers[0], 0))
        repacker = self._repacker(seed, offers)
        need = Resources()
        pods: list[Pod] = []
        spent = 0.0
        for k in range(1, min(self.policy.max_nodes_per_replace, len(group)) + 1):
            taken = self.eligibility.movable[group[k - 1].name]
            if paced and k > 1 and self.eligibility.rounds([*pods, *taken]) > 1:
                break
            need = need + _sum(taken)
            pods.extend(taken)
            spent += group[k - 1].price_per_hour or 0.0
            limit = spent - max(self.policy.min_savings_per_hour, self.policy.min_savings_share * spent)
            room = (capacities - overhead >= self.placement.vector(need)).all(axis=1)
            for i in np.flatnonzero(room & (prices <= limit))[:_TRIES_PER_PREFIX]:
                offer = offers[int(i)]
                saving = spent - offer.price_per_hour
                if (best is None or saving > best.saving + 1e-9) and self._simulate(group[:k], offer, commit=False):
                    best = _Candidate(saving, k, offer)
                    break
            if self.policy.allow_split and repacker is not None and k <= _SPLIT_PREFIX:
                budget = min(limit, spent - best.saving) if best else limit
                repack = repacker.best(group[:k], pods, budget + 1e-9, self._new_nodes)
                if repack is not None and len(repack.offers) > 1:
                    best = _Candidate(spent - repack.cost, k, repack)
            elif not room.any():
                break  # the pods of this prefix fit in no single node: longer prefixes will not either
        if best is None:
            return None
        return self._commit(group[: best.nodes], best.choice, best.saving)

    def _commit(self, nodes: Sequence[Node], choice: NodeOffer | Repack, saving: float) -> Action:
        if isinstance(choice, Repack):
            repacker = self._repacker(nodes[0], self._offer_arrays(nodes[0]).offers)
            assert repacker is not None and repacker.apply(nodes, choice, self._new_nodes)
            moves = [Move(p.key, f"new:{self._new_nodes + i}") for i, b in enumerate(choice.bins) for p in b]
            self._new_nodes += len(choice.offers)
            return self._action(nodes, choice.offers, moves, saving)
        found = self._simulate(nodes, choice, commit=True)
        assert found is not None  # the same simulation succeeded a moment ago
        self._new_nodes += 1
        return self._action(nodes, (choice,), found, saving)

    def _repacker(self, seed: Node, offers: list[NodeOffer]) -> Repacker | None:
        if not offers:
            return None
        return Repacker(
            self.placement,
            offers,
            self._usable_of(seed),
            lambda offer, number: new_node_template(seed, offer, number),
            self._overhead,
            self.policy.max_new_nodes_per_action,
        )

    def _simulate(self, nodes: Sequence[Node], offer: NodeOffer, commit: bool) -> list[Move] | None:
        placement = self.placement
        mark = placement.checkpoint()
        new_node = new_node_template(nodes[0], offer, self._new_nodes)
        pods = sorted((p for n in nodes for p in self.eligibility.movable[n.name]), key=largest_first, reverse=True)
        for node in nodes:
            placement.close(placement.index[node.name])
        for pod in pods:
            placement.unplace(pod)
        target = placement.open(new_node, self._overhead(new_node))
        moves = []
        for pod in pods:
            if not placement.fits(pod, target):
                placement.rollback(mark)
                return None
            placement.place(pod, target)
            moves.append(Move(pod.key, f"new:{self._new_nodes}"))
        if not commit:
            placement.rollback(mark)
        return moves

    def _overhead(self, node: Node) -> npt.NDArray[np.int64]:
        """DaemonSet requests on a new node, memoised: they depend on its type, pool labels and taints only."""
        key = (node.instance_type, node.taints, *sorted((k, v) for k, v in node.labels.items() if k != HOSTNAME_KEY))
        found = self._overheads.get(key)
        if found is None:
            found = self._overheads[key] = self.placement.vector(self.daemons.overhead(node))
        return found

    def _action(self, nodes: Sequence[Node], offers: Sequence[NodeOffer], moves: list[Move], saving: float) -> Action:
        spent = sum(n.price_per_hour or 0.0 for n in nodes)
        old = ", ".join(sorted({n.instance_type for n in nodes}))
        kinds = Counter(o.instance_type for o in offers)
        new = ", ".join(f"{c} x {t}" if c > 1 else t for t, c in sorted(kinds.items()))
        if len(offers) > 1:
            kind = f"{len(nodes)} node(s) by {len(offers)} smaller ones"
        else:
            kind = "one node by a smaller one" if len(nodes) == 1 else f"{len(nodes)} nodes by one"
        evicted = [p for n in nodes for p in self.eligibility.movable[n.name]]
        paced = self.eligibility.rounds_reason(evicted)
        reasons = (
            f"replaces {kind}: {old} -> {new}",
            f"their {len(moves)} pod(s) and the DaemonSets fit on the new node(s) without breaking their rules",
            f"saves ${saving:.4f}/h of ${spent:.4f}/h ({100 * saving / spent:.0f}%)",
            *([paced] if paced else []),
        )
        launches = [Replacement(o.instance_type, o.capacity_type, o.zone, o.price_per_hour) for o in offers]
        names = tuple(n.name for n in nodes)
        rounds = self.eligibility.rounds(evicted)
        return Action("replace", names, launches[0], tuple(moves), saving, reasons, tuple(launches[1:]), rounds)

    def _why_not(self, node: Node) -> BlockReason:
        if not self._offers.get((node.zone, node.capacity_type)):
            return BlockReason(
                BlockCode.NO_REPLACEMENT_OFFERS,
                f"no {node.capacity_type} offers priced in {node.zone} to replace it with",
            )
        return self.missing_resource(node) or BlockReason(
            BlockCode.NO_CHEAPER_REPLACEMENT,
            "its pods cannot be deleted away or replaced by a cheaper node without breaking their rules",
        )

    def missing_resource(self, node: Node) -> BlockReason | None:
        """A pod needs a device or resource that no replacement the node may have is known to offer."""
        arrays = self._offer_arrays(node)
        if not arrays.offers:
            return None
        most = arrays.capacities.max(axis=0)
        names = BASE + self.placement.extras
        for pod in self.eligibility.movable[node.name]:
            short = [names[i] for i in np.flatnonzero(self.placement.need(pod) > most) if names[i] not in (CPU, MEMORY)]
            if not short:
                continue
            name = short[0]
            if name in DEVICE_RESOURCES:
                why = (
                    f"no replacement type it may have offers that much (types whose {name} the catalogue does "
                    "not know are never used)"
                )
            else:
                why = "the catalogue cannot say which instance types offer it, so no replacement is planned"
            return BlockReason(
                BlockCode.RESOURCE_NOT_OFFERED,
                f"pod {pod.key} requests {pod.requests.get(name)} {name}: {why}",
                f"a pod requests {name}: {why}",
            )
        return None


def _sum(pods: Sequence[Pod]) -> Resources:
    total = Resources()
    for pod in pods:
        total = total + pod.requests
    return total
