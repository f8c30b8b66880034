"""The sweep's settings: each engine's own policy under its name, plus how far Spot placement may go."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from engines.consolidation.policy import ConsolidationPolicy
from engines.rightsizing.policy import RightsizePolicy
from engines.spot.ranking import RankPolicy


class SpotPlacementPolicy(RankPolicy):
    """The Spot engine's gates (`max_risk`, `max_advisor_bucket`, ...) and the fleet rules of the nodes after."""

    max_pool_share: float = Field(0.20, gt=0, le=1, description="at most this share of the nodes in one Spot pool")
    min_on_demand_share: float = Field(0.15, ge=0, le=1, description="at least this share of the nodes On-Demand")
    min_savings_per_hour: float = Field(0.01, ge=0, description="a node goes Spot only if it saves this much ($/h)")
    estimated_pools: bool = Field(
        True,
        description="pools without Spot price history may pass the gates on the Spot Advisor's estimate "
        "(volatility taken as medium); false: only pools with history",
    )


class SweepPolicy(BaseModel):
    """Loaded from `--policy PATH` (JSON: {"rightsize": {...}, "consolidation": {...}, "spot": {...}})."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rightsize: RightsizePolicy = RightsizePolicy()
    consolidation: ConsolidationPolicy = ConsolidationPolicy()
    spot: SpotPlacementPolicy = SpotPlacementPolicy()
