"""ChooseReplacement: the Spot engine picks the interrupted node's replacement, hive-mind filtered."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from cloudoptim.interruptions.execution import iso
from cloudoptim.interruptions.launch import AZ_ID_RE, node_group
from cloudoptim.interruptions.models import DrainState, Replacement
from cloudoptim.interruptions.ports import HiveMind, NodeGroup, Registry
from cloudoptim.models.ports import HEURISTIC, ShadowEntry
from cloudoptim.observability import logger
from engines.interruption.feedback import region_feedback, with_feedback
from engines.interruption.hive import verdicts_for
from engines.interruption.replacement import ReplacementChoice, ReplacementRequest, Zone, choose_replacement
from engines.pricing.freshness import PriceAge
from engines.spot.model import Catalog, PoolKey
from engines.spot.offerings import Offerings, RejectionCode
from engines.spot.risk import RiskStrategy, get_strategy

MAX_EXCLUDED_REPORTED = 20  # keep the state well under Step Functions' 256 KB
# The exclusions this workflow makes and reports: the hive mind's flags and the interrupted pool itself.
_OURS = frozenset({RejectionCode.HIVE_MIND_FLAGGED, RejectionCode.INTERRUPTED_POOL})


class Market(Protocol):
    """Spot offerings of a region at a moment (Day-Zero data in the Lambda, synthetic markets in tests)."""

    @property
    def catalog(self) -> Catalog: ...
    def offerings(self, region: str, now: int) -> tuple[Offerings, int]: ...
    def price_age(self, region: str, now: int) -> PriceAge:
        """How old the newest Spot price known at `now` is, and where it came from."""
        ...


@dataclass(frozen=True)
class ModelScores:
    """A registry model's probabilities for a region's pools at one price snapshot."""

    model_id: str
    probabilities: Mapping[PoolKey, float]


class RiskModels(Protocol):
    """The model registry as choices see it: the active model and the shadow candidate, if any."""

    def active(self, region: str, at: int, now: int) -> ModelScores | None: ...
    def shadow(self, region: str, at: int, now: int) -> ModelScores | None: ...
    def record_shadow(self, entry: ShadowEntry) -> None: ...


class NoModels:
    """No registry wired (tests, the CLI): every choice uses the heuristic."""

    def active(self, region: str, at: int, now: int) -> ModelScores | None:
        return None

    def shadow(self, region: str, at: int, now: int) -> ModelScores | None:
        return None

    def record_shadow(self, entry: ShadowEntry) -> None:
        return None


@dataclass(frozen=True)
class ChooseDeps:
    registry: Registry
    hive: HiveMind
    market: Market
    models: RiskModels = field(default_factory=NoModels)


def _zones(group: NodeGroup | None, state: DrainState) -> tuple[Zone, ...]:
    if group is None:
        return ()
    zones = []
    for key in group.subnets:
        if AZ_ID_RE.match(key):
            zones.append(Zone(key, az_id=key))
        else:  # an AZ name: its ID comes from the node group, or from the node for its own zone
            own = state.az_id if key == state.availability_zone else None
            zones.append(Zone(key, az_id=group.az_ids.get(key) or own, name=key))
    return tuple(zones)


def choose(state: DrainState, deps: ChooseDeps, now: int) -> Replacement:
    """The replacement for the interrupted node; never the interrupted pool, nor a pool the hive mind excludes for
    this tenant (its own flags, or three customers confirming it risky); other flags add risk."""
    offerings, at = deps.market.offerings(state.region, now)
    seen = deps.hive.recent_in_region(state.region, now)
    hive = verdicts_for(state.tenant_id, seen.flags, now, records=seen.records)
    request = ReplacementRequest(
        region=state.region,
        instance_type=state.instance_type,
        availability_zone=state.availability_zone,
        az_id=state.az_id,
        capacity_type=state.capacity_type,
        zones=_zones(node_group(deps.registry, state), state),
    )
    active = deps.models.active(state.region, at, now)
    evidence = deps.hive.evidence_in_region(state.region, now)
    feedback = region_feedback(evidence.hours, evidence.records)  # S7: recorded interruptions, evidence-weighted
    strategy = with_feedback(_strategy(active), feedback)
    choice = choose_replacement(request, offerings, deps.market.catalog, hive, strategy, at)
    try:  # the candidate scores beside the active model, is stored, and never decides: nor may its failure
        candidate = deps.models.shadow(state.region, at, now)
        if candidate is not None:  # with the same feedback, so the two differ by the model only
            shadow_strategy = with_feedback(_strategy(candidate), feedback)
            shadow = choose_replacement(request, offerings, deps.market.catalog, hive, shadow_strategy, at)
            entry = _shadow_entry(state.region, at, active, choice, candidate, shadow)
            deps.models.record_shadow(entry.model_copy(update={"chosen_at": now}))
    except Exception as exc:  # any failure of the shadow path: logged, and the choice goes on
        logger().warning("shadow scoring failed", extra={"error": f"{type(exc).__name__}: {exc}"})
    model_id = active.model_id if active else HEURISTIC
    ours = [r.describe() for r in choice.rejections if r.code in _OURS]
    excluded = sum(1 for v in hive.values() if v.exclude)
    reasons = [
        *choice.reasons,
        f"risk model {model_id}" if active else f"risk: {HEURISTIC} (no model active in the registry)",
        f"{len(hive)} pool(s) flagged in {state.region}, {excluded} excluded for this tenant; "
        f"Spot prices as of {iso(at)}",
        deps.market.price_age(state.region, now).reason,
    ]
    return Replacement(
        capacity_type=choice.capacity_type,
        instance_type=choice.instance_type,
        zone_key=choice.zone_key,
        az_id=choice.az_id,
        hourly_price=choice.hourly_price,
        reasons=reasons,
        excluded=ours[:MAX_EXCLUDED_REPORTED],
        model=model_id,
    )


def _strategy(scores: ModelScores | None) -> RiskStrategy:
    if scores is None:
        return get_strategy()
    return get_strategy("model", {"probabilities": scores.probabilities, "model": scores.model_id})


def _pool(choice: ReplacementChoice) -> str:
    """The hive mind's name of the pool (AZ ID: the same zone in every account), so outcomes can be matched."""
    return f"{choice.instance_type}@{choice.az_id or choice.zone_key}" if choice.capacity_type == "spot" else ""


def _risk(scores: ModelScores | None, choice: ReplacementChoice) -> float | None:
    if scores is None or choice.capacity_type != "spot":
        return None
    return scores.probabilities.get(PoolKey(choice.instance_type, choice.zone_key))


def _shadow_entry(
    region: str,
    at: int,
    active: ModelScores | None,
    choice: ReplacementChoice,
    candidate: ModelScores,
    shadow: ReplacementChoice,
) -> ShadowEntry:
    return ShadowEntry(
        at=at,
        region=region,
        active=active.model_id if active else HEURISTIC,
        candidate=candidate.model_id,
        active_pool=_pool(choice),
        candidate_pool=_pool(shadow),
        active_risk=_risk(candidate, choice),  # both picks judged by the candidate's and the outcome's eyes
        candidate_risk=_risk(candidate, shadow),
        active_scores=_scores(active, choice, shadow),
        candidate_scores=_scores(candidate, choice, shadow),
    )


def _scores(scores: ModelScores | None, *picks: ReplacementChoice) -> dict[str, float]:
    found = {_pool(pick): _risk(scores, pick) for pick in picks}
    return {pool: risk for pool, risk in found.items() if pool and risk is not None}
