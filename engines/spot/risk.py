"""Pool risk scores (S2): pluggable strategies, registered by name, each explaining its parts.

The default `seed-weighted` strategy is the seed's formula:
0.60 x advisor interruption rate + 0.25 x 7-day price volatility + 0.10 x gap to On-Demand + 0.05 x time of day,
every part scaled to 0..1 so the total is 0..1. The `model` strategy takes per-pool probabilities computed outside
the engine by the interruption-risk model (ml/) and falls back to the heuristic for pools it has no score for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator

from engines.registry import Registry
from engines.spot.model import PoolKey
from engines.spot.offerings import Offering

# Mid-points of the advisor's buckets (<5%, 5-10%, 10-15%, 15-20%, >20%) scaled so that ">20%" is 1.0.
ADVISOR_RATE_SCORE = (0.1, 0.3, 0.5, 0.7, 1.0)

# Standard-time UTC offsets, hours. Daylight saving is ignored: the part only separates busy from quiet hours.
REGION_UTC_OFFSET: dict[str, float] = {
    "us-east-1": -5, "us-east-2": -5, "us-west-1": -8, "us-west-2": -8, "ca-central-1": -5, "ca-west-1": -7,
    "mx-central-1": -6, "sa-east-1": -3, "eu-west-1": 0, "eu-west-2": 0, "eu-west-3": 1, "eu-central-1": 1,
    "eu-central-2": 1, "eu-north-1": 1, "eu-south-1": 1, "eu-south-2": 1, "il-central-1": 2, "me-south-1": 3,
    "me-central-1": 4, "af-south-1": 2, "ap-south-1": 5.5, "ap-south-2": 5.5, "ap-east-1": 8, "ap-east-2": 8,
    "ap-southeast-1": 8, "ap-southeast-2": 10, "ap-southeast-3": 7, "ap-southeast-4": 10, "ap-southeast-5": 8,
    "ap-southeast-7": 7, "ap-northeast-1": 9, "ap-northeast-2": 9, "ap-northeast-3": 9,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class RiskPart:
    """One weighted input of a risk score, with the fact behind it."""

    name: str
    weight: float
    score: float
    detail: str

    @property
    def contribution(self) -> float:
        return self.weight * self.score


@dataclass(frozen=True, slots=True)
class RiskScore:
    """A pool's risk in 0..1 (higher is riskier) and how it was made."""

    value: float
    strategy: str
    parts: tuple[RiskPart, ...]
    source: Literal["heuristic", "model"] = "heuristic"  # which safety limit applies (RankPolicy)
    note: str = ""

    def reasons(self) -> list[str]:
        head = f"risk {self.value:.3f} by the {self.strategy} strategy" + (f" ({self.note})" if self.note else "")
        parts = [f"{p.name} {p.contribution:.3f} (= {p.weight:g} x {p.score:.2f}): {p.detail}" for p in self.parts]
        return [head, *parts]


class RiskStrategy(Protocol):
    @property
    def name(self) -> str: ...

    def score(self, offering: Offering, at: int) -> RiskScore: ...


class SeedWeightedSettings(BaseModel):
    """Weights and scales of the seed's heuristic; weights must add up to 1."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    advisor_weight: float = Field(0.60, ge=0)
    volatility_weight: float = Field(0.25, ge=0)
    on_demand_gap_weight: float = Field(0.10, ge=0)
    time_of_day_weight: float = Field(0.05, ge=0)
    # "range" = (max - min) / mean over the window: a pool that moved 3% this week is the one likely to move 3%
    # again (the instability the backtest and the ML target count); "cv" = time-weighted std / mean.
    volatility_measure: Literal["range", "cv"] = "range"
    volatility_full_scale: float = Field(0.03, gt=0, description="volatility scored as 1.0")
    unknown_advisor_bucket: int = Field(3, ge=0, le=4, description="bucket assumed when the advisor has no entry")
    min_history_hours: float = Field(24.0, ge=0, description="below this the volatility part is assumed, not measured")
    busy_hours: tuple[int, int] = (8, 20)

    @model_validator(mode="after")
    def _weights_sum_to_one(self) -> SeedWeightedSettings:
        total = self.advisor_weight + self.volatility_weight + self.on_demand_gap_weight + self.time_of_day_weight
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"risk weights add up to {total:g}, they must add up to 1")
        return self


@dataclass(frozen=True)
class SeedWeightedRisk:
    """The seed's weighted heuristic."""

    settings: SeedWeightedSettings
    name: str = "seed-weighted"

    def score(self, offering: Offering, at: int) -> RiskScore:
        s = self.settings
        parts = (
            RiskPart("advisor rate", s.advisor_weight, *self._advisor(offering)),
            RiskPart("price volatility", s.volatility_weight, *self._volatility(offering)),
            RiskPart("gap to On-Demand", s.on_demand_gap_weight, *self._gap(offering)),
            RiskPart("time of day", s.time_of_day_weight, *self._time_of_day(offering.region, at)),
        )
        value = min(1.0, max(0.0, sum(p.contribution for p in parts)))
        return RiskScore(value, self.name, parts)

    def _advisor(self, offering: Offering) -> tuple[float, str]:
        if offering.advisor is None:
            bucket = self.settings.unknown_advisor_bucket
            return ADVISOR_RATE_SCORE[bucket], f"no Spot Advisor entry, assumed bucket {bucket} to be safe"
        return ADVISOR_RATE_SCORE[offering.advisor.bucket], f"Spot Advisor interruption rate {offering.advisor.label}"

    def _volatility(self, offering: Offering) -> tuple[float, str]:
        stats = offering.stats
        if stats is None or stats.covered_hours < self.settings.min_history_hours:
            hours = 0.0 if stats is None else stats.covered_hours
            return 0.5, f"only {hours:.0f} h of price history, volatility assumed medium"
        if self.settings.volatility_measure == "range":
            measured, what = stats.relative_range, "moved"
        else:
            measured, what = stats.volatility, "varied (coefficient of variation)"
        score = min(1.0, measured / self.settings.volatility_full_scale)
        return score, (
            f"price {what} {measured:.1%} over {stats.covered_hours:.0f} h, {stats.changes} changes, "
            f"${stats.minimum:.4f}-${stats.maximum:.4f}"
        )

    @staticmethod
    def _gap(offering: Offering) -> tuple[float, str]:
        ratio = offering.spot_price / offering.on_demand_price
        return min(1.0, max(0.0, ratio)), f"Spot costs {ratio:.0%} of On-Demand (a small gap means high demand)"

    def _time_of_day(self, region: str, at: int) -> tuple[float, str]:
        offset = REGION_UTC_OFFSET.get(region, 0.0)
        local = datetime.fromtimestamp(at, tz=UTC) + timedelta(hours=offset)
        start, end = self.settings.busy_hours
        if local.weekday() >= 5:
            return 0.2, f"weekend in {region} (local {local:%a %H:%M}), demand is low"
        if start <= local.hour < end:
            return 1.0, f"business hours in {region} (local {local:%a %H:%M}), demand peaks"
        return 0.4, f"outside business hours in {region} (local {local:%a %H:%M})"


@dataclass(frozen=True)
class ModelRisk:
    """The interruption-risk model's probability as the risk, where the model scored the pool; else the fallback."""

    probabilities: Mapping[PoolKey, float]
    model: str
    fallback: RiskStrategy
    name: str = "model"

    def score(self, offering: Offering, at: int) -> RiskScore:
        probability = self.probabilities.get(offering.key)
        if probability is None:
            heuristic = self.fallback.score(offering, at)
            note = f"model {self.model} has no score for this pool, heuristic used"
            return RiskScore(heuristic.value, heuristic.strategy, heuristic.parts, "heuristic", note)
        value = min(1.0, max(0.0, probability))
        part = RiskPart(
            "model probability",
            1.0,
            value,
            f"model {self.model}: P(Spot price rises 3% or more within 12 h) = {value:.3f}",
        )
        return RiskScore(value, self.name, (part,), "model")


def _seed_weighted(settings: Mapping[str, Any]) -> RiskStrategy:
    return SeedWeightedRisk(SeedWeightedSettings.model_validate(dict(settings)))


def _model(settings: Mapping[str, Any]) -> RiskStrategy:
    """settings: probabilities (Mapping[PoolKey, float]), model (a name), fallback (seed-weighted settings)."""
    if "probabilities" not in settings:
        raise ValueError("the model risk strategy needs per-pool probabilities from a loaded model")
    return ModelRisk(
        probabilities=settings["probabilities"],
        model=str(settings.get("model", "unnamed")),
        fallback=_seed_weighted(settings.get("fallback", {})),
    )


RISK_STRATEGIES = Registry[RiskStrategy]("risk strategy", {"seed-weighted": _seed_weighted, "model": _model})


def strategy_names() -> list[str]:
    return RISK_STRATEGIES.names()


def get_strategy(name: str = "seed-weighted", settings: Mapping[str, Any] | None = None) -> RiskStrategy:
    """Build a registered strategy; unknown names raise KeyError naming the known ones."""
    return RISK_STRATEGIES.build(name, settings)
