"""Diversified fleet plans (S4, S5): N nodes over safe pools, with an On-Demand buffer and fallback.

Rules (all in `FleetPolicy`): Spot nodes spread over at least `min_azs` zones, at most `max_pool_share` of the
nodes in any one pool, at least `min_on_demand_share` of the nodes On-Demand. When the rules cannot be met
with safe pools, the nodes that cannot be placed safely go On-Demand and the plan says why.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from engines.spot.model import PoolKey
from engines.spot.offerings import Offering
from engines.spot.ranking import RankedPool, RankResult

CapacityType = Literal["spot", "on-demand"]


class FleetPolicy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    min_azs: int = Field(3, ge=1)
    max_pool_share: float = Field(0.20, gt=0, le=1)
    min_on_demand_share: float = Field(0.15, ge=0, le=1)
    revert_after_hours: float = Field(2.0, ge=0, description="safe Spot must last this long before leaving On-Demand")

    def pool_cap(self, nodes: int) -> int:
        return max(1, math.floor(nodes * self.max_pool_share + 1e-9))

    def on_demand_floor(self, nodes: int) -> int:
        return math.ceil(nodes * self.min_on_demand_share - 1e-9)


@dataclass(frozen=True, slots=True)
class Slot:
    """One node of the plan."""

    capacity_type: CapacityType
    offering: Offering
    pool: RankedPool | None  # the ranked Spot pool, None for On-Demand slots
    reasons: tuple[str, ...]

    @property
    def hourly_price(self) -> float:
        return self.offering.spot_price if self.capacity_type == "spot" else self.offering.on_demand_price


@dataclass(frozen=True)
class FleetPlan:
    nodes: int
    slots: tuple[Slot, ...]
    reasons: tuple[str, ...]

    @property
    def feasible(self) -> bool:
        return len(self.slots) == self.nodes

    @property
    def spot_slots(self) -> list[Slot]:
        return [s for s in self.slots if s.capacity_type == "spot"]

    def pool_counts(self) -> Counter[PoolKey]:
        return Counter(s.offering.key for s in self.spot_slots)

    def spot_zones(self) -> set[str]:
        return {s.offering.availability_zone for s in self.spot_slots}

    def hourly_cost(self) -> float:
        return sum(s.hourly_price for s in self.slots)


def plan_fleet(result: RankResult, nodes: int, policy: FleetPolicy | None = None) -> FleetPlan:
    """Place `nodes` nodes: Spot on the best safe pools within the rules, the rest On-Demand."""
    policy = policy or FleetPolicy()
    if nodes < 1:
        raise ValueError(f"a fleet needs at least 1 node, got {nodes}")
    od_offering = result.compatible.cheapest_on_demand()
    if od_offering is None:
        return FleetPlan(nodes, (), ("no instance type meets the requirements in this region",))
    od_floor = policy.on_demand_floor(nodes)
    spot_target = nodes - od_floor
    spot, shortfall_reason = _place_spot(result.pools, spot_target, policy.pool_cap(nodes), policy.min_azs)
    reasons = [
        f"{nodes} nodes: at most {policy.pool_cap(nodes)} per pool, Spot across at least "
        f"{min(policy.min_azs, max(spot_target, 1))} zones, at least {od_floor} On-Demand "
        f"({policy.min_on_demand_share:.0%} buffer)"
    ]
    if shortfall_reason:
        reasons.append(shortfall_reason)
    od_count = nodes - len(spot)
    od_zones = sorted({o.availability_zone for o in result.compatible if o.instance_type == od_offering.instance_type})
    od_reason = (
        f"On-Demand {od_offering.instance_type}: the cheapest type that fits, ${od_offering.on_demand_price:.4f}/h"
    )
    od_slots = [
        Slot(
            "on-demand",
            _in_zone(result, od_offering, od_zones[i % len(od_zones)]),
            None,
            (od_reason, "On-Demand buffer required by policy" if i < od_floor else shortfall_reason or ""),
        )
        for i in range(od_count)
    ]
    return FleetPlan(nodes, tuple(spot + od_slots), tuple(reasons))


def _place_spot(pools: tuple[RankedPool, ...], target: int, cap: int, min_azs: int) -> tuple[list[Slot], str | None]:
    if target <= 0:
        return [], None
    if not pools:
        return [], "On-Demand fallback: no safe Spot pool for these requirements"
    needed_zones = min(min_azs, target)
    seeds: dict[str, RankedPool] = {}
    for pool in pools:  # best pool of each zone, in yield order, until enough zones are covered
        seeds.setdefault(pool.offering.availability_zone, pool)
        if len(seeds) == needed_zones:
            break
    if len(seeds) < needed_zones:
        return [], (
            f"On-Demand fallback: safe Spot pools exist in {len(seeds)} zone(s), the policy needs {needed_zones}"
        )
    counts: Counter[PoolKey] = Counter(p.offering.key for p in seeds.values())
    order = list(seeds.values()) + [p for p in pools if p.offering.key not in counts]
    remaining = target - len(seeds)
    for pool in order:
        take = min(cap - counts[pool.offering.key], remaining)
        counts[pool.offering.key] += take
        remaining -= take
        if remaining == 0:
            break
    by_key = {p.offering.key: p for p in pools}
    slots = [
        Slot("spot", by_key[key].offering, by_key[key], (f"Spot pool {n} of {target} nodes", *by_key[key].reasons))
        for key, n in counts.items()
        for _ in range(n)
    ]
    shortfall = None
    if remaining:
        shortfall = (
            f"only {len(pools)} safe Spot pools with at most {cap} node(s) each: "
            f"{remaining} node(s) go On-Demand instead"
        )
    return slots, shortfall


def _in_zone(result: RankResult, offering: Offering, zone: str) -> Offering:
    for candidate in result.compatible:
        if candidate.instance_type == offering.instance_type and candidate.availability_zone == zone:
            return candidate
    return offering


def capacity_after(
    current: CapacityType, safe_spot_since: int | None, at: int, policy: FleetPolicy
) -> tuple[CapacityType, str]:
    """Hysteresis for S5: leave On-Demand only after Spot has been safe for `revert_after_hours`."""
    if safe_spot_since is None:
        return "on-demand", "no safe Spot pool now: stay on (or fall back to) On-Demand"
    if current == "spot":
        return "spot", "safe Spot pools available"
    safe_hours = (at - safe_spot_since) / 3600.0
    if safe_hours >= policy.revert_after_hours:
        return "spot", f"Spot has been safe for {safe_hours:.1f} h: revert to Spot"
    return "on-demand", (
        f"Spot safe for only {safe_hours:.1f} h of the {policy.revert_after_hours:g} h required "
        "before reverting: stay On-Demand to avoid flapping"
    )
