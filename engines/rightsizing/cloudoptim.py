"""CloudOptim's strategy: lean where an overrun is soft (CPU), generous where it kills (memory), scaled by size.

CPU (compressible: above its request a container only competes for spare cycles) = p90 of each pod's usage
plus square-root headroom 0.1 x sqrt(p90 x 1 core): +10m at 10m, +0.1 at 1 core, +0.2 at 4 cores.
Memory (incompressible: above its limit the container is OOM-killed) = the peak, or the daily peaks' robust
(Theil-Sen) trend projected 14 days ahead when that is higher, plus square-root headroom 0.6 x sqrt(base x 1 GiB),
at least 5%: +0.6 GiB at 1 GiB (60%), +2.4 GiB at 16 GiB (15%). Request = limit.

Why square root: a workload's fluctuations are many independent allocations adding in quadrature, so the spare
it needs grows with the square root of its size (the square-root safety rule of capacity planning). A flat
percentage over-provisions big, steady containers and starves small, bursty ones, which is where KRR's memory
overruns come from; the generous share given to small containers costs few bytes.

Headroom never lifts a recommendation above what the container has today (its limit, else its request): only
observed usage can ask for more, since usage above today's limit has never happened without an OOM (E4's job).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from engines.rightsizing.stats import DAY, GIB, interval_peaks, percentile, sqrt_headroom, theil_sen_slope
from engines.rightsizing.strategy import Estimate, EstimateInput, fmt_bytes, fmt_cores, largest, replicas_note
from engines.rightsizing.usage import UsageSeries


class CloudOptimSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    cpu_percentile: float = Field(90.0, gt=0, le=100)
    cpu_headroom_beta: float = Field(0.1, ge=0, description="x sqrt(cores) cores")
    memory_headroom_beta: float = Field(0.6, ge=0, description="x sqrt(GiB) GiB")
    memory_min_headroom: float = Field(0.05, ge=0, description="share of the base")
    trend_horizon_days: float = Field(14.0, ge=0, description="how far a rising trend of daily peaks is projected")
    cap_at_current: bool = True


@dataclass(frozen=True)
class CloudOptim:
    settings: CloudOptimSettings = field(default_factory=CloudOptimSettings)
    name: str = "cloudoptim"

    def cpu(self, data: EstimateInput) -> Estimate:
        ceiling = data.current.ceiling("cpu") if self.settings.cap_at_current else None
        per_pod = [self._cpu_one(s, ceiling) for s in data.cpu if len(s)]
        if not per_pod:
            return Estimate(0.0, ("no CPU samples",))
        best = largest(per_pod)
        return Estimate(best.value, (*best.reasons, f"max across pods ({replicas_note(data.cpu)})"))

    def memory(self, data: EstimateInput) -> Estimate:
        ceiling = data.current.ceiling("memory") if self.settings.cap_at_current else None
        per_pod = [self._memory_one(s, data.window_end, ceiling) for s in data.memory if len(s)]
        if not per_pod:
            return Estimate(0.0, ("no memory samples",))
        best = largest(per_pod)
        return Estimate(best.value, (*best.reasons, f"max across pods ({replicas_note(data.memory)})"))

    def _cpu_one(self, series: UsageSeries, ceiling: float | None) -> Estimate:
        s = self.settings
        base = percentile(series, s.cpu_percentile)
        headroom = sqrt_headroom(base, s.cpu_headroom_beta, 1.0)
        value = base + headroom
        reasons = [
            f"CPU p{s.cpu_percentile:g} {fmt_cores(base)} + headroom {fmt_cores(headroom)} "
            f"({s.cpu_headroom_beta:g} x sqrt(cores)) = {fmt_cores(value)}"
        ]
        if ceiling is not None and value > max(ceiling, base):
            value = max(ceiling, base)
            reasons.append(f"headroom capped at the current {fmt_cores(ceiling)}")
        return Estimate(value, tuple(reasons))

    def _memory_one(self, series: UsageSeries, end: float, ceiling: float | None) -> Estimate:
        s = self.settings
        peak = series.peak
        reasons = [f"memory peak {fmt_bytes(peak)} over {series.span_seconds / DAY:.1f} days"]
        base = peak
        peaks = interval_peaks(series, end)
        slope = theil_sen_slope(peaks)
        if slope > 0:
            projected = float(np.median(peaks)) + slope * (len(peaks) / 2 + s.trend_horizon_days)
            if projected > peak:
                base = projected
                reasons.append(
                    f"daily peaks rise {fmt_bytes(slope)}/day (median of pairwise slopes over {len(peaks)} days): "
                    f"{fmt_bytes(projected)} projected {s.trend_horizon_days:g} days ahead"
                )
        headroom = max(s.memory_min_headroom * base, sqrt_headroom(base, s.memory_headroom_beta, GIB))
        value = base + headroom
        reasons.append(
            f"+ headroom {fmt_bytes(headroom)} (max of {s.memory_min_headroom:.0%} and {s.memory_headroom_beta:g} "
            f"x sqrt(GiB)) = {fmt_bytes(value)}, request = limit"
        )
        floor = peak * (1 + s.memory_min_headroom)
        if ceiling is not None and value > max(ceiling, floor):
            value = max(ceiling, floor)
            if ceiling >= floor:
                reasons.append(f"capped at the current {fmt_bytes(ceiling)}: headroom alone never asks for more")
            else:
                share = f"{s.memory_min_headroom:.0%}"
                reasons.append(f"peak is above the current {fmt_bytes(ceiling)}: {fmt_bytes(value)} (peak + {share})")
        return Estimate(value, tuple(reasons))
