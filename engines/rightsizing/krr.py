"""KRR's `simple` strategy (robusta_krr/strategies/simple.py), the baseline to beat.

CPU request = p95 of each pod's usage over the window, max across pods, no CPU limit. Memory = max working
set across pods x 1.15, request = limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field

from engines.rightsizing.stats import percentile
from engines.rightsizing.strategy import Estimate, EstimateInput, fmt_bytes, fmt_cores, replicas_note


class KrrSimpleSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    cpu_percentile: float = Field(95.0, gt=0, le=100)
    memory_buffer_percentage: float = Field(15.0, ge=0)


@dataclass(frozen=True)
class KrrSimple:
    settings: KrrSimpleSettings = field(default_factory=KrrSimpleSettings)
    name: str = "krr-simple"

    def cpu(self, data: EstimateInput) -> Estimate:
        q = self.settings.cpu_percentile
        value = max((percentile(s, q) for s in data.cpu if len(s)), default=0.0)
        return Estimate(value, (f"CPU p{q:g} {fmt_cores(value)} (max across pods; {replicas_note(data.cpu)})",))

    def memory(self, data: EstimateInput) -> Estimate:
        peak = max((s.peak for s in data.memory), default=0.0)
        factor = 1 + self.settings.memory_buffer_percentage / 100
        value = peak * factor
        return Estimate(
            value,
            (f"memory peak {fmt_bytes(peak)} x {factor:g} = {fmt_bytes(value)} ({replicas_note(data.memory)})",),
        )
