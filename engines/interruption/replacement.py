"""Replacement choice: the best safe Spot pool for a node shaped like the interrupted one, or On-Demand.

The Spot engine ranks and plans; this module only says what the replacement must look like, which pools are
off limits (the interrupted pool itself, pools the hive mind's verdicts exclude, zones where the node group has
no subnet) and how much risk other customers' flags add to the rest.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from engines.interruption.hive import HivePool, PoolVerdict
from engines.spot.fleet import FleetPolicy, plan_fleet
from engines.spot.model import Catalog, InstanceType, PoolKey
from engines.spot.offerings import Exclusion, Offering, Offerings, Rejection, RejectionCode
from engines.spot.ranking import RankPolicy, rank_pools
from engines.spot.requirements import Requirements
from engines.spot.risk import RiskPart, RiskScore, RiskStrategy

CapacityType = Literal["spot", "on-demand"]
_AZ_ID_RE = re.compile(r"^[a-z]+\d+-(?:[a-z]+\d+-)?az\d+$")
# One node, anywhere safe: the fleet rules for diversification do not apply to a single replacement.
SINGLE_NODE = FleetPolicy(min_azs=1, max_pool_share=1.0, min_on_demand_share=0.0)


@dataclass(frozen=True, slots=True)
class Zone:
    """A zone the node group can launch into: its subnet key, and its AZ ID and/or name where known."""

    key: str
    az_id: str | None = None
    name: str | None = None

    def holds(self, offering: Offering) -> bool:
        oid = zone_id(offering)
        return (self.az_id is not None and self.az_id == oid) or self.name == offering.availability_zone


@dataclass(frozen=True, slots=True)
class ReplacementRequest:
    region: str
    instance_type: str
    availability_zone: str
    az_id: str | None
    capacity_type: CapacityType = "spot"
    zones: tuple[Zone, ...] = ()  # empty: the node group does not restrict zones


@dataclass(frozen=True, slots=True)
class ReplacementChoice:
    capacity_type: CapacityType
    instance_type: str
    zone_key: str  # the node group's subnet key to launch into
    az_id: str | None
    hourly_price: float | None
    reasons: tuple[str, ...]
    rejections: tuple[Rejection, ...] = ()

    @property
    def rejected(self) -> tuple[str, ...]:
        """The pools left out, one line each: "<type> <zone>: <reason>"."""
        return tuple(r.describe() for r in self.rejections)


def zone_id(offering: Offering) -> str | None:
    if offering.az_id:
        return offering.az_id
    return offering.availability_zone if _is_az_id(offering.availability_zone) else None


@functools.lru_cache(maxsize=512)
def _is_az_id(zone: str) -> bool:  # a region has a handful of zones; every choice asks for each offering
    return _AZ_ID_RE.match(zone) is not None


def shape_of(instance: InstanceType) -> Requirements:
    """At least the interrupted node's vCPUs and memory, same architecture and GPUs."""
    return Requirements(
        vcpus=instance.vcpus,
        memory_gib=instance.memory_gib,
        arch="arm64" if instance.arch == "arm64" else "x86_64",
        gpus=instance.gpus,
        allow_burstable=instance.burstable,  # a burstable node must not replace a steady one
        allow_previous_generation=True,
    )


def _here(request: ReplacementRequest, hive: Mapping[HivePool, PoolVerdict]) -> dict[tuple[str, str], PoolVerdict]:
    return {(p.az_id, p.instance_type): v for p, v in hive.items() if p.region == request.region}


def _exclusions(
    offerings: Offerings, request: ReplacementRequest, hive: Mapping[HivePool, PoolVerdict]
) -> dict[PoolKey, Exclusion]:
    verdicts = _here(request, hive)
    excluded: dict[PoolKey, Exclusion] = {}
    outside: dict[tuple[str, str | None], bool] = {}  # (zone, AZ ID) -> no subnet there: a few zones, many offerings
    for o in offerings:
        oid = zone_id(o)
        same_zone = (oid is not None and oid == request.az_id) or o.availability_zone == request.availability_zone
        verdict = verdicts.get((oid or "", o.instance_type))
        if o.instance_type == request.instance_type and same_zone:
            excluded[o.key] = Exclusion(RejectionCode.INTERRUPTED_POOL, "the interrupted pool itself")
        elif verdict is not None and verdict.exclude:
            excluded[o.key] = Exclusion(RejectionCode.HIVE_MIND_FLAGGED, f"excluded by the hive mind: {verdict.reason}")
        elif request.zones:
            where = (o.availability_zone, oid)
            if where not in outside:
                outside[where] = not any(z.holds(o) for z in request.zones)
            if outside[where]:
                why = "the node group has no subnet in this zone"
                excluded[o.key] = Exclusion(RejectionCode.NO_SUBNET_IN_ZONE, why)
    return excluded


@dataclass(frozen=True)
class HiveRisk:
    """A risk strategy plus the hive mind's bump for pools other customers flagged (one part more, explained)."""

    base: RiskStrategy
    bumps: Mapping[tuple[str, str], PoolVerdict]  # (AZ ID, instance type) -> verdict

    @property
    def name(self) -> str:
        return self.base.name

    def score(self, offering: Offering, at: int) -> RiskScore:
        score = self.base.score(offering, at)
        verdict = self.bumps.get((zone_id(offering) or "", offering.instance_type))
        if verdict is None or verdict.exclude or not verdict.risk_bump:
            return score
        part = RiskPart("hive mind", 1.0, verdict.risk_bump, verdict.reason)
        value = min(1.0, score.value + verdict.risk_bump)
        return dataclasses.replace(score, value=value, parts=(*score.parts, part))


def _home_zone(request: ReplacementRequest) -> Zone:
    for zone in request.zones:
        if zone.key in (request.availability_zone, request.az_id) or (
            zone.az_id is not None and zone.az_id == request.az_id
        ):
            return zone
    return request.zones[0] if request.zones else Zone(request.availability_zone, request.az_id)


def _on_demand(
    request: ReplacementRequest, offerings: Offerings, shape: Requirements | None, why: str
) -> ReplacementChoice:
    home = _home_zone(request)
    best = offerings.compatible(shape).cheapest_on_demand() if shape is not None else None
    if best is None:
        return ReplacementChoice(
            "on-demand", request.instance_type, home.key, home.az_id, None,
            (why, f"On-Demand {request.instance_type}: the interrupted type, no priced alternative known"),
        )  # fmt: skip
    return ReplacementChoice(
        "on-demand", best.instance_type, home.key, home.az_id, best.on_demand_price,
        (why, f"On-Demand {best.instance_type}: the cheapest type that fits, ${best.on_demand_price:.4f}/h"),
    )  # fmt: skip


def choose_replacement(
    request: ReplacementRequest,
    offerings: Offerings,
    catalog: Catalog,
    hive: Mapping[HivePool, PoolVerdict],
    strategy: RiskStrategy,
    at: int,
    policy: RankPolicy | None = None,
) -> ReplacementChoice:
    """Best safe Spot pool by yield for the interrupted node's shape; On-Demand when none is left.

    `hive` is the hive mind's verdict per flagged pool for this customer (engines.interruption.hive.verdicts_for).
    """
    instance = catalog.get(request.instance_type)
    if instance is None:
        return _on_demand(request, offerings, None, f"{request.instance_type} is not in the catalogue: shape unknown")
    shape = shape_of(instance)
    if request.capacity_type == "on-demand":
        return _on_demand(request, offerings, shape, "the interrupted node was On-Demand: keep its capacity type")
    excluded = _exclusions(offerings, request, hive)
    risk = HiveRisk(strategy, _here(request, hive))
    result = rank_pools(offerings, shape, risk, at, request.region, policy, excluded)
    slot = plan_fleet(result, 1, SINGLE_NODE).spot_slots
    if not slot:
        choice = _on_demand(request, offerings, shape, "On-Demand fallback: no safe Spot pool remains")
        return dataclasses.replace(choice, rejections=result.rejected)
    o = slot[0].offering
    zone = next((z for z in request.zones if z.holds(o)), None)
    zone_key = zone.key if zone is not None else o.availability_zone
    shape_reason = f"fits {instance.name}'s shape: {instance.vcpus} vCPUs / {instance.memory_gib:g} GiB {instance.arch}"
    return ReplacementChoice(
        "spot",
        o.instance_type,
        zone_key,
        zone_id(o),
        o.spot_price,
        (shape_reason, *slot[0].reasons),
        result.rejected,
    )
