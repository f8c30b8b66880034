"""Feedback (S7): the interruptions we recorded in a pool adjust its risk, as far as the evidence behind them goes.

The seed's rule: no weight below 10,000 observed instance-hours, rising linearly to 0.25 at 500,000. The observed
risk is the recorded interruption rate per instance-month placed on the Spot Advisor's scale (<5%, 5-10%, 10-15%,
15-20%, >20%), the same scores the heuristic gives the advisor's own buckets, so both speak one language:

    risk' = (1 - weight) x risk + weight x observed

>>> fb = pool_feedback(PoolEvidence("eu-west-1#euw1-az1#m5.large", instance_hours=255_000, interruptions=42))
>>> fb.weight, fb.observed, round(fb.adjust(0.3), 3)
(0.125, 0.5, 0.325)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from engines.interruption.hive import Flag, HivePool
from engines.interruption.replacement import zone_id
from engines.spot.offerings import Offering
from engines.spot.risk import ADVISOR_RATE_SCORE, RiskPart, RiskScore, RiskStrategy

MIN_EVIDENCE_HOURS = 10_000.0
FULL_EVIDENCE_HOURS = 500_000.0
MAX_WEIGHT = 0.25
HOURS_PER_MONTH = 730.0
_BUCKET_WIDTH = 0.05  # the advisor's buckets are 5 points wide; the last one is open (>20%)


def evidence_weight(instance_hours: float) -> float:
    """How much the recorded rate counts against the pool's own risk.

    >>> evidence_weight(9_999), evidence_weight(10_000), evidence_weight(500_000), evidence_weight(9e9)
    (0.0, 0.0, 0.25, 0.25)
    """
    if instance_hours < MIN_EVIDENCE_HOURS:
        return 0.0
    share = (instance_hours - MIN_EVIDENCE_HOURS) / (FULL_EVIDENCE_HOURS - MIN_EVIDENCE_HOURS)
    return MAX_WEIGHT * min(1.0, share)


def rate_score(monthly_rate: float) -> float:
    """A share of instances interrupted per month on the advisor's scale (0.1 for <5% ... 1.0 for >20%)."""
    last = len(ADVISOR_RATE_SCORE) - 1
    # compare before dividing: a handful of hours makes the rate huge (or infinite), still the last bucket
    bucket = last if monthly_rate >= last * _BUCKET_WIDTH else int(max(0.0, monthly_rate) / _BUCKET_WIDTH)
    return ADVISOR_RATE_SCORE[bucket]


@dataclass(frozen=True, slots=True)
class PoolEvidence:
    """What we saw of one pool over the feedback window: instance-hours run there and interruptions recorded."""

    pool: str
    instance_hours: float
    interruptions: int

    @property
    def monthly_rate(self) -> float:
        """Interruptions per instance-month (0 when nothing ran)."""
        months = self.instance_hours / HOURS_PER_MONTH
        return self.interruptions / months if months > 0 else 0.0


@dataclass(frozen=True, slots=True)
class PoolFeedback:
    pool: str
    weight: float
    observed: float
    reason: str

    def adjust(self, risk: float) -> float:
        return min(1.0, max(0.0, (1.0 - self.weight) * risk + self.weight * self.observed))


def pool_feedback(evidence: PoolEvidence) -> PoolFeedback:
    """The pool's feedback, with the reason the choice shows (weight 0 says why it does not count yet)."""
    weight = evidence_weight(evidence.instance_hours)
    observed = rate_score(evidence.monthly_rate)
    seen = (
        f"{evidence.interruptions} interruption(s) recorded over {evidence.instance_hours:,.0f} observed "
        f"instance-hours ({evidence.monthly_rate:.1%} per instance-month, scored {observed:.2f})"
    )
    if weight == 0.0:
        why = f"{seen}: below {MIN_EVIDENCE_HOURS:,.0f} instance-hours, weight 0"
    else:
        why = f"{seen}: weight {weight:.3f}"
    return PoolFeedback(evidence.pool, weight, observed, f"feedback: {why}")


def region_feedback(hours: Mapping[str, float], records: Iterable[Flag]) -> dict[tuple[str, str], PoolFeedback]:
    """Feedback of every pool with observed hours or recorded interruptions, keyed (AZ ID, instance type) as the
    choice looks pools up. `hours`: pool key -> instance-hours observed over the records' span (a week).

    >>> pool = HivePool("eu-west-1", "euw1-az1", "m5.large")
    >>> fb = region_feedback({pool.key: 255_000.0}, [])
    >>> fb[("euw1-az1", "m5.large")].weight
    0.125
    """
    counts: dict[str, int] = {}
    for record in records:
        counts[record.pool.key] = counts.get(record.pool.key, 0) + 1
    found = {}
    for key in sorted(set(hours) | set(counts)):
        pool = HivePool.parse(key)
        found[(pool.az_id, pool.instance_type)] = pool_feedback(
            PoolEvidence(key, hours.get(key, 0.0), counts.get(key, 0))
        )
    return found


@dataclass(frozen=True)
class FeedbackRisk:
    """A risk strategy whose pools' risk is adjusted by their feedback, the adjustment one explained part more."""

    base: RiskStrategy
    feedback: Mapping[tuple[str, str], PoolFeedback]  # (AZ ID, instance type) -> feedback

    @property
    def name(self) -> str:
        return self.base.name

    def score(self, offering: Offering, at: int) -> RiskScore:
        score = self.base.score(offering, at)
        fb = self.feedback.get((zone_id(offering) or "", offering.instance_type))
        if fb is None:
            return score
        value = fb.adjust(score.value)
        part = RiskPart("feedback", fb.weight, fb.observed, f"{fb.reason}: risk {score.value:.3f} -> {value:.3f}")
        return dataclasses.replace(score, value=value, parts=(*score.parts, part))


def with_feedback(strategy: RiskStrategy, feedback: Mapping[tuple[str, str], PoolFeedback]) -> RiskStrategy:
    return FeedbackRisk(strategy, feedback) if feedback else strategy
