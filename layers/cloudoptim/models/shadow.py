"""The shadow report: how a candidate model would have done against the active one on the live choices it shadowed,
judged by what happened: was the pool each picked interrupted within the horizon after the choice?

For every shadowed choice whose horizon has passed (and whose outcome is still on record), each picked Spot pool is
one sample: label 1 when an interruption of that pool was recorded in (at, at + horizon]. Each model's probability
of the same samples gives its Brier score, log-loss and AUC (paired: only samples both scored, so the heuristic,
which scores nothing, leaves the active side empty); the picks give agreement and how often each side's pick was
interrupted. Pure: the caller reads the entries and the interruptions.

>>> from cloudoptim.models.ports import Interruption, ShadowEntry
>>> entry = ShadowEntry(at=0, region="r", active="a", candidate="c", active_pool="m5.large@z1",
...     candidate_pool="m6i.large@z1", active_risk=0.4, candidate_risk=0.1,
...     active_scores={"m5.large@z1": 0.2, "m6i.large@z1": 0.3},
...     candidate_scores={"m5.large@z1": 0.4, "m6i.large@z1": 0.1})
>>> report = shadow_report("c", [entry], {"r": [Interruption(pool="m5.large@z1", at=60)]}, now=7200, horizon=3600)
>>> report.judged, report.interrupted_picks, report.brier
(1, {'active': 1.0, 'candidate': 0.0}, {'active': 0.365, 'candidate': 0.185})
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from pydantic import BaseModel, ConfigDict

from cloudoptim.models.ports import Interruption, ShadowEntry
from engines.interruption.hive import RECORD_TTL_SECONDS

DEFAULT_HORIZON = 12 * 3600  # the model's own target horizon (ml.contract.TARGET_HORIZON)
EPSILON = 1e-6  # log-loss clips probabilities to [EPSILON, 1 - EPSILON]


class ShadowReport(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    candidate: str
    active: list[str]  # the models (or "heuristic") active while it shadowed
    horizon_hours: float
    entries: int
    judged: int  # horizon passed and the outcome still on record
    pending: int  # horizon not yet passed
    expired: int  # the interruption records of its horizon are no longer kept: no outcome
    agreement: float | None  # share of judged choices where both picked the same pool (On-Demand included)
    interrupted_picks: dict[str, float | None]  # share of each side's judged Spot picks that were interrupted
    samples: dict[str, int]  # pools scored by each side (paired with the other when both scored)
    positives: int  # of the judged pools, how many were interrupted
    brier: dict[str, float | None]
    log_loss: dict[str, float | None]
    auc: dict[str, float | None]
    verdict: str


def shadow_report(
    candidate: str,
    entries: Sequence[ShadowEntry],
    interruptions: Mapping[str, Sequence[Interruption]],
    now: int,
    horizon: int = DEFAULT_HORIZON,
) -> ShadowReport:
    """`interruptions`: per region, what the InterruptionHistory holds at `now`."""
    pending = [e for e in entries if e.when + horizon > now]
    expired = [e for e in entries if e.when + horizon <= now and e.when <= now - RECORD_TTL_SECONDS]
    judged = [e for e in entries if e.when + horizon <= now and e.when > now - RECORD_TTL_SECONDS]
    times: dict[tuple[str, str], list[int]] = {}
    for region, found in interruptions.items():
        for record in found:
            times.setdefault((region, record.pool), []).append(record.at)

    def hit(entry: ShadowEntry, pool: str) -> int:
        return int(any(entry.when < t <= entry.when + horizon for t in times.get((entry.region, pool), ())))

    paired: list[tuple[float | None, float | None, int]] = []
    for entry in judged:
        for pool in sorted({p for p in (entry.active_pool, entry.candidate_pool) if p}):
            paired.append((entry.active_scores.get(pool), entry.candidate_scores.get(pool), hit(entry, pool)))
    both = [(a, c, y) for a, c, y in paired if a is not None and c is not None]
    alone = [(c, y) for _, c, y in paired if c is not None]
    # With an active model, both are judged on the same pools; with the heuristic, the candidate on its own.
    sides = {"active": [(a, y) for a, _, y in both], "candidate": [(c, y) for _, c, y in both] if both else alone}

    def picked(pool_of: str) -> float | None:
        spot = [e for e in judged if getattr(e, pool_of)]
        return _round(sum(hit(e, getattr(e, pool_of)) for e in spot) / len(spot)) if spot else None

    brier = {side: _brier(scored) for side, scored in sides.items()}
    report = ShadowReport(
        candidate=candidate,
        active=sorted({e.active for e in entries}),
        horizon_hours=horizon / 3600,
        entries=len(entries),
        judged=len(judged),
        pending=len(pending),
        expired=len(expired),
        agreement=_round(sum(e.active_pool == e.candidate_pool for e in judged) / len(judged)) if judged else None,
        interrupted_picks={"active": picked("active_pool"), "candidate": picked("candidate_pool")},
        samples={side: len(scored) for side, scored in sides.items()},
        positives=sum(y for *_, y in paired),
        brier=brier,
        log_loss={side: _log_loss(scored) for side, scored in sides.items()},
        auc={side: _auc(scored) for side, scored in sides.items()},
        verdict="",
    )
    return report.model_copy(update={"verdict": _verdict(report)})


def _verdict(report: ShadowReport) -> str:
    if report.judged == 0:
        return "no judged choices yet: nothing to compare"
    active, candidate = report.brier["active"], report.brier["candidate"]
    if active is None or candidate is None:
        return f"the heuristic decided: only the candidate's calibration is measured (Brier {candidate})"
    better = "better" if candidate < active else "not better"
    return f"candidate Brier {candidate} vs active {active} on {report.samples['active']} pools: {better}"


def _round(value: float) -> float:
    return round(value, 4)


def _brier(scored: Sequence[tuple[float, int]]) -> float | None:
    return _round(sum((p - y) ** 2 for p, y in scored) / len(scored)) if scored else None


def _log_loss(scored: Sequence[tuple[float, int]]) -> float | None:
    if not scored:
        return None
    clipped = [(min(max(p, EPSILON), 1 - EPSILON), y) for p, y in scored]
    return _round(-sum(math.log(p) if y else math.log(1 - p) for p, y in clipped) / len(clipped))


def _auc(scored: Sequence[tuple[float, int]]) -> float | None:
    """Probability a random interrupted pool outscored a random other one (ties half); None with one class."""
    positives = [p for p, y in scored if y]
    negatives = [p for p, y in scored if not y]
    if not positives or not negatives:
        return None
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in positives for n in negatives)
    return _round(wins / (len(positives) * len(negatives)))
