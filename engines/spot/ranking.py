"""Yield ranking (S2, S3): which safe pools give the most value for a node shape, and why.

TCO = price x (1 + unused share of the node); yield = 100 x (1 - TCO / max TCO) x (1 - risk).
"max TCO" is the TCO of the cheapest On-Demand node that fits: the most anyone should pay. Pools whose Spot
price exceeds that On-Demand price are rejected (as Karpenter does), so yield compares savings x survival.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from engines.spot.model import InstanceType, PoolKey
from engines.spot.offerings import Exclusion, Offering, Offerings, Rejection, RejectionCode
from engines.spot.requirements import Requirements
from engines.spot.risk import RiskScore, RiskStrategy

REJECTED_BUCKET_REASON = "Spot Advisor interruption rate >20%: rejected whatever the price"


class RankPolicy(BaseModel):
    """Safety limits applied before ranking."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_advisor_bucket: int = Field(3, ge=0, le=4, description="3 keeps 15-20%, rejects >20%")
    max_risk: float = Field(0.8, gt=0, le=1, description="pools riskier than this are rejected")
    # On eu-west-1 Dec 2021 - Mar 2022, pool-moments whose price moved >= 10% in the past week rose >= 3% within
    # 12 h 9.1% of the time, against 0.19% for the others (decision 14).
    max_weekly_move: float = Field(0.10, gt=0, description="pools whose price moved more in 7 days are rejected")
    max_model_probability: float = Field(
        0.85, gt=0, le=1, description="pools the interruption-risk model scores above this are rejected"
    )


@dataclass(frozen=True, slots=True)
class RankedPool:
    """A safe pool with its risk, cost and yield, and the reasons behind each."""

    offering: Offering
    risk: RiskScore
    unused_share: float
    tco: float
    yield_score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class RankResult:
    """Safe pools best first, rejected pools with reasons, and the compatible set for On-Demand choices."""

    region: str
    at: int
    pools: tuple[RankedPool, ...]
    rejected: tuple[Rejection, ...]
    compatible: Offerings

    def top(self, k: int | None) -> tuple[RankedPool, ...]:
        return self.pools if k is None else self.pools[:k]


def unused_share(instance: InstanceType, requirements: Requirements) -> float:
    """Share of the node's capacity the required shape leaves idle, averaged over CPU and memory."""
    cpu_used = min(1.0, requirements.vcpus / instance.vcpus)
    memory_used = min(1.0, requirements.memory_gib / instance.memory_gib)
    return 1.0 - (cpu_used + memory_used) / 2.0


def rank_pools(
    offerings: Offerings,
    requirements: Requirements,
    strategy: RiskStrategy,
    at: int,
    region: str,
    policy: RankPolicy | None = None,
    exclusions: Mapping[PoolKey, Exclusion | str] | None = None,
) -> RankResult:
    """Rank every compatible, safe pool by yield, best first. An exclusion given as bare words is the caller's
    own (`RejectionCode.EXCLUDED`)."""
    policy = policy or RankPolicy()
    compatible = offerings.compatible(requirements)
    ceiling = compatible.cheapest_on_demand()
    candidates = compatible.excluding(_coded(exclusions)) if exclusions else compatible
    rejected = list(candidates.rejected)  # `excluding` keeps the earlier rejections and adds its own
    if ceiling is None:
        return RankResult(region, at, (), tuple(rejected), compatible)
    max_tco = ceiling.on_demand_price * (1.0 + unused_share(ceiling.instance, requirements))
    ranked: list[RankedPool] = []
    for offering in candidates:
        unsafe = _safety_rejection(offering, ceiling, policy)
        if unsafe is not None:
            rejected.append(Rejection(offering.instance_type, offering.availability_zone, unsafe.reason, unsafe.code))
            continue
        risk = strategy.score(offering, at)
        limit = policy.max_model_probability if risk.source == "model" else policy.max_risk
        if risk.value > limit:
            what = "model probability" if risk.source == "model" else "risk"
            rejected.append(
                Rejection(
                    offering.instance_type,
                    offering.availability_zone,
                    f"{what} {risk.value:.2f} is above the {limit:g} limit",
                    RejectionCode.RISK_TOO_HIGH,
                )
            )
            continue
        ranked.append(_ranked(offering, risk, requirements, max_tco, ceiling))
    ranked.sort(key=lambda p: (-p.yield_score, p.tco, p.offering.instance_type, p.offering.availability_zone))
    return RankResult(region, at, tuple(ranked), tuple(rejected), compatible)


def _coded(exclusions: Mapping[PoolKey, Exclusion | str]) -> dict[PoolKey, Exclusion]:
    return {
        key: Exclusion(RejectionCode.EXCLUDED, why) if isinstance(why, str) else why for key, why in exclusions.items()
    }


def _safety_rejection(offering: Offering, ceiling: Offering, policy: RankPolicy) -> Exclusion | None:
    advisor = offering.advisor
    if advisor is not None and advisor.bucket > policy.max_advisor_bucket:
        if advisor.bucket == 4:
            return Exclusion(RejectionCode.ADVISOR_RATE_TOO_HIGH, REJECTED_BUCKET_REASON)
        return Exclusion(
            RejectionCode.ADVISOR_RATE_TOO_HIGH,
            f"Spot Advisor interruption rate {advisor.label} is above the policy's limit",
        )
    stats = offering.stats
    if stats is not None and stats.relative_range >= policy.max_weekly_move:
        return Exclusion(
            RejectionCode.PRICE_UNSTABLE,
            f"price moved {stats.relative_range:.0%} within 7 days (limit {policy.max_weekly_move:.0%}): unstable pool",
        )
    if offering.spot_price >= ceiling.on_demand_price:
        return Exclusion(
            RejectionCode.NOT_BELOW_ON_DEMAND,
            f"Spot ${offering.spot_price:.4f}/h is not below the cheapest On-Demand fit "
            f"({ceiling.instance_type} at ${ceiling.on_demand_price:.4f}/h)",
        )
    return None


def _ranked(
    offering: Offering, risk: RiskScore, requirements: Requirements, max_tco: float, ceiling: Offering
) -> RankedPool:
    waste = unused_share(offering.instance, requirements)
    tco = offering.spot_price * (1.0 + waste)
    value = 100.0 * max(0.0, 1.0 - tco / max_tco) * (1.0 - risk.value)
    t = offering.instance
    reasons = (
        f"Spot ${offering.spot_price:.4f}/h, {offering.discount:.0%} below On-Demand ${offering.on_demand_price:.4f}/h",
        f"{t.vcpus} vCPUs / {t.memory_gib:g} GiB leaves {waste:.0%} unused for {requirements.vcpus:g} vCPUs / "
        f"{requirements.memory_gib:g} GiB: TCO ${tco:.4f}/h",
        *risk.reasons(),
        f"yield {value:.1f} = 100 x (1 - TCO ${tco:.4f} / max TCO ${max_tco:.4f} of On-Demand "
        f"{ceiling.instance_type}) x (1 - risk {risk.value:.3f})",
        *offering.notes,
    )
    return RankedPool(offering, risk, waste, tco, value, reasons)
