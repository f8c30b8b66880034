"""Every default of rightsizing and OOM remediation in one model, parsed once at the edge (CLI, API)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

MIB = 2**20


class OomPolicy(BaseModel):
    """VPA's bump rule (aggregations_config.go: ratio 1.2, min bump 100 MiB) plus an escalation to a human."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_bump_bytes: int = Field(100 * MIB, ge=0)
    bump_ratio: float = Field(1.2, ge=1.0)
    # Users report 1.2 is often not enough (autoscaler PR #5266); after this many restarts ending in an OOM the
    # bump is withheld and a human decides (a leak or a bigger node, not another 20%).
    escalate_after_restarts: int = Field(3, ge=1)


class RightsizePolicy(BaseModel):
    """How much history is needed, floors, HPA handling and which strategy estimates the requests."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    window_days: float = Field(14.0, gt=0, description="history used, ending at the newest sample")
    # VPA's confidence is still low at 24 h; KRR wants 100 points. Both must hold before we recommend.
    min_history_hours: float = Field(24.0, ge=0)
    min_samples: int = Field(100, ge=1)
    cpu_floor_cores: float = Field(0.010, ge=0, description="KRR's floor: 10m")
    memory_floor_bytes: int = Field(100 * MIB, ge=0, description="KRR's floor: 100 MiB")
    # Changing a request an HPA divides by changes the HPA's target: never size that resource from usage.
    skip_hpa_resources: bool = True
    strategy: str = "cloudoptim"
    strategy_settings: dict[str, Any] = Field(default_factory=dict)
    oom: OomPolicy = OomPolicy()

    @property
    def window_seconds(self) -> float:
        return self.window_days * 86400.0

    @property
    def min_history_seconds(self) -> float:
        return self.min_history_hours * 3600.0
