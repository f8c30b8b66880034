"""Spot placement for the nodes the consolidation leaves: which On-Demand nodes become Spot, and why not.

A node goes Spot in its own type and zone (its pods keep their zone, volumes and spread), replacing it by a Spot
twin, when
- its pool passes the Spot engine's gates (`rank_pools` for exactly that type: Spot Advisor bucket, 7-day price
  move, below its On-Demand price, risk under the policy's limit) and is not flagged (hive mind);
- every pod it will hold may run on Spot (a nodeSelector or affinity on the capacity-type label says otherwise)
  and fits the twin, whose allocatable is the one EKS gives the type;
- an existing node may be disrupted at all (the consolidation's eligibility: do-not-disrupt, bare pods, ...);
- the fleet rules still hold: at least `min_on_demand_share` of the nodes stay On-Demand and at most
  `max_pool_share` of them share one Spot pool. Conversions are taken largest saving first.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace

from engines.cluster.capacity import INHERITED, PriceBook, eks_allocatable
from engines.cluster.model import ON_DEMAND, SPOT, Node, Pod, Resources, relabelled
from engines.consolidation.daemons import DaemonSets
from engines.spot.model import InstanceType, PoolKey
from engines.spot.offerings import Exclusion, Offering, Offerings, RejectionCode
from engines.spot.ranking import RankedPool, RankPolicy, rank_pools
from engines.spot.requirements import Requirements
from engines.spot.risk import RiskStrategy
from engines.sweep.policy import SpotPlacementPolicy


@dataclass(frozen=True)
class PoolSafety:
    """Per (type, zone): the ranked pool when the gates pass, else the reason it was refused."""

    safe: Mapping[tuple[str, str], RankedPool]
    refused: Mapping[tuple[str, str], str]

    def why_not(self, instance_type: str, zone: str) -> str | None:
        if (instance_type, zone) in self.safe:
            return None
        return self.refused.get((instance_type, zone), "no Spot price history for the pool, so no gate can pass it")


@dataclass(frozen=True, slots=True)
class Candidate:
    """A node of the cluster after consolidation: `ref` is an existing node's name or "new:<k>" for a launch."""

    ref: str
    node: Node  # as it would run On-Demand (a launch: its template's labels, the launched type and zone)
    pods: tuple[Pod, ...]  # the non-DaemonSet pods it holds after consolidation
    disruptable: str | None  # why an existing node may not be replaced; None when it may

    @property
    def label(self) -> str:
        """How reasons name it: a launch is numbered differently once Spot actions go first."""
        if self.ref.startswith("new:"):
            return f"the {self.node.instance_type} the consolidation launches in {self.node.zone}"
        return self.ref


@dataclass(frozen=True, slots=True)
class SpotChoice:
    candidate: Candidate
    spot_price: float
    pool: RankedPool


def pool_safety(
    offerings: Offerings,
    risk: RiskStrategy,
    at: int,
    region: str,
    policy: RankPolicy,
    flagged: Mapping[PoolKey, str],
) -> PoolSafety:
    """Each pool ranked against exactly its own type, so "below On-Demand" compares with that type's price."""
    by_type: dict[str, list[Offering]] = defaultdict(list)
    for offering in offerings:
        by_type[offering.instance_type].append(offering)
    exclusions = {k: Exclusion(RejectionCode.HIVE_MIND_FLAGGED, f"flagged: {why}") for k, why in flagged.items()}
    safe: dict[tuple[str, str], RankedPool] = {}
    refused: dict[tuple[str, str], str] = {}
    for items in by_type.values():
        result = rank_pools(Offerings(tuple(items)), _exactly(items[0].instance), risk, at, region, policy, exclusions)
        safe.update({(p.offering.instance_type, p.offering.availability_zone): p for p in result.pools})
        refused.update({(r.instance_type, r.availability_zone): r.reason for r in result.rejected})
    return PoolSafety(safe, refused)


def _exactly(t: InstanceType) -> Requirements:
    return Requirements(
        vcpus=t.vcpus,
        memory_gib=t.memory_gib,
        gpus=t.gpus,
        allowed_types=frozenset({t.name}),
        allow_previous_generation=True,
        allow_bare_metal=True,
    )


def spot_twin(node: Node, instance: InstanceType) -> Node:
    """The node relaunched as Spot: same type, zone, pool labels and taints; EKS's allocatable for the type."""
    fresh = eks_allocatable(instance)
    kept = tuple((n, v) for n, v in node.allocatable.extended if n in INHERITED)
    rest = tuple((n, v) for n, v in fresh.extended if n not in INHERITED)
    allocatable = Resources(fresh.cpu_m, fresh.memory, fresh.gpu, fresh.pods, tuple(sorted(rest + kept)))
    return replace(node, capacity_type=SPOT, labels=relabelled(node.labels, SPOT), allocatable=allocatable)


def choose_spot(
    candidates: list[Candidate],
    prices: PriceBook,
    safety: PoolSafety,
    daemons: DaemonSets,
    policy: SpotPlacementPolicy,
) -> tuple[list[SpotChoice], list[str]]:
    """The conversions to make, largest saving first within the fleet rules, and why the others stay."""
    total = len(candidates)
    on_demand = sum(1 for c in candidates if c.node.capacity_type == ON_DEMAND)
    room = on_demand - math.ceil(total * policy.min_on_demand_share - 1e-9)
    cap = max(1, math.floor(total * policy.max_pool_share + 1e-9))
    per_pool = Counter((c.node.instance_type, c.node.zone) for c in candidates if c.node.capacity_type == SPOT)
    possible: list[SpotChoice] = []
    reasons: list[str] = []
    for candidate in candidates:
        if candidate.node.capacity_type != ON_DEMAND:
            continue
        choice, why = _possible(candidate, prices, safety, daemons, policy)
        if choice is None:
            reasons.append(f"{candidate.label} stays On-Demand: {why}")
        else:
            possible.append(choice)
    possible.sort(key=lambda s: (s.spot_price - (s.candidate.node.price_per_hour or 0.0), s.candidate.ref))
    chosen: list[SpotChoice] = []
    for choice in possible:
        pool = (choice.candidate.node.instance_type, choice.candidate.node.zone)
        if len(chosen) >= room:
            reasons.append(f"{choice.candidate.label} stays On-Demand: the {policy.min_on_demand_share:.0%} buffer")
        elif per_pool[pool] >= cap:
            reasons.append(
                f"{choice.candidate.label} stays On-Demand: pool {pool[0]} {pool[1]} holds {cap} nodes already"
            )
        else:
            per_pool[pool] += 1
            chosen.append(choice)
    return chosen, reasons


def _possible(
    candidate: Candidate, prices: PriceBook, safety: PoolSafety, daemons: DaemonSets, policy: SpotPlacementPolicy
) -> tuple[SpotChoice | None, str]:
    node = candidate.node
    if candidate.disruptable is not None:
        return None, candidate.disruptable
    unsafe = safety.why_not(node.instance_type, node.zone)
    spot_price = prices.price(node.instance_type, node.zone, SPOT)
    instance = prices.instance_types.get(node.instance_type)
    if unsafe is not None or spot_price is None or instance is None:
        return None, unsafe or f"no Spot price or catalogue entry for {node.instance_type} in {node.zone}"
    saving = (node.price_per_hour or 0.0) - spot_price
    if saving < policy.min_savings_per_hour:
        return None, f"Spot would save ${saving:.4f}/h, under the ${policy.min_savings_per_hour}/h minimum"
    twin = spot_twin(node, instance)
    for pod in candidate.pods:
        why = pod.static_fit(twin)
        if why is not None:
            return None, f"pod {pod.key} may not run on Spot ({why})"
    load = sum((p.requests for p in candidate.pods), daemons.overhead(twin))
    short = load.shortfall(twin.allocatable)
    if short is not None:
        return None, f"its pods would not fit a fresh {node.instance_type}: {short}"
    return SpotChoice(candidate, spot_price, safety.safe[(node.instance_type, node.zone)]), ""
