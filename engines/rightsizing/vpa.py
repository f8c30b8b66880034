"""The VPA recommender's target (kubernetes/autoscaler vertical-pod-autoscaler), the second baseline.

All replicas feed one decaying histogram per resource (half-life 24 h, buckets 5% wider each, from 0.01 core
and 10 MB). CPU: every sample, weighted by the container's CPU request (at least 0.1), as VPA did until 2025.
Memory: one peak per 24 h interval per pod, counted from that pod's first sample and stamped at the interval's
end. Target = p90 x 1.15, then VPA's pod minimum (25m, 250 MB) split evenly across the pod's containers.
With `controlledValues: RequestsAndLimits` (VPA's default) the memory limit keeps its ratio to the request.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from engines.rightsizing.histogram import ExponentialBuckets, decaying_percentile
from engines.rightsizing.strategy import Estimate, EstimateInput, fmt_bytes, fmt_cores, replicas_note
from engines.rightsizing.usage import FloatArray, UsageSeries


class VpaTargetSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    target_percentile: float = Field(0.9, gt=0, le=1)
    safety_margin_fraction: float = Field(0.15, ge=0)
    half_life_hours: float = Field(24.0, gt=0)
    bucket_growth: float = Field(0.05, gt=0)
    cpu_first_bucket_cores: float = Field(0.01, gt=0)
    cpu_max_cores: float = Field(1000.0, gt=0)
    memory_first_bucket_bytes: float = Field(1e7, gt=0)
    memory_max_bytes: float = Field(1e12, gt=0)
    memory_interval_hours: float = Field(24.0, gt=0)
    min_sample_weight: float = Field(0.1, gt=0)
    weight_cpu_by_request: bool = True
    pod_min_cpu_cores: float = Field(0.025, ge=0)
    pod_min_memory_bytes: float = Field(250e6, ge=0)
    proportional_limits: bool = True


@dataclass(frozen=True)
class VpaTarget:
    settings: VpaTargetSettings = field(default_factory=VpaTargetSettings)
    name: str = "vpa-target"

    def cpu(self, data: EstimateInput) -> Estimate:
        s = self.settings
        values, times = _concat(data.cpu)
        request = data.current.cpu_request_cores or 0.0
        weight = max(request, s.min_sample_weight) if s.weight_cpu_by_request else s.min_sample_weight
        buckets = ExponentialBuckets(s.cpu_first_bucket_cores, 1 + s.bucket_growth, s.cpu_max_cores)
        return self._target(values, times, np.full(len(values), weight), buckets, s.pod_min_cpu_cores, data, "CPU")

    def memory(self, data: EstimateInput) -> Estimate:
        s = self.settings
        peaks = [_interval_peaks(series, s.memory_interval_hours * 3600.0) for series in data.memory]
        values = np.concatenate([peak for peak, _ in peaks]) if peaks else np.empty(0)
        times = np.concatenate([stamp for _, stamp in peaks]) if peaks else np.empty(0)
        buckets = ExponentialBuckets(s.memory_first_bucket_bytes, 1 + s.bucket_growth, s.memory_max_bytes)
        estimate = self._target(values, times, np.ones(len(values)), buckets, s.pod_min_memory_bytes, data, "memory")
        current = data.current
        if s.proportional_limits and current.memory_request_bytes and current.memory_limit_bytes:
            ratio = current.memory_limit_bytes / current.memory_request_bytes
            return Estimate(estimate.value, estimate.reasons, estimate.value * ratio)
        return estimate

    def _target(
        self,
        values: FloatArray,
        times: FloatArray,
        weights: FloatArray,
        buckets: ExponentialBuckets,
        pod_minimum: float,
        data: EstimateInput,
        what: str,
    ) -> Estimate:
        s = self.settings
        half_life = s.half_life_hours * 3600.0
        raw = decaying_percentile(values, times, weights, buckets, half_life, s.target_percentile)
        target = raw * (1 + s.safety_margin_fraction)
        minimum = pod_minimum / max(data.containers_in_pod, 1)
        fmt = fmt_cores if what == "CPU" else fmt_bytes
        series = data.cpu if what == "CPU" else data.memory
        unit = "samples" if what == "CPU" else "24 h peaks"
        reasons = [
            f"{what} p{100 * s.target_percentile:g} of a decaying histogram (half-life {s.half_life_hours:g} h, "
            f"{len(values)} {unit}; {replicas_note(series)}) = {fmt(raw)}, x {1 + s.safety_margin_fraction:g} "
            f"= {fmt(target)}"
        ]
        if target < minimum:
            reasons.append(f"VPA pod minimum {fmt(pod_minimum)} / {data.containers_in_pod} containers applied")
            target = minimum
        return Estimate(target, tuple(reasons))


def _concat(series: tuple[UsageSeries, ...]) -> tuple[FloatArray, FloatArray]:
    if not series:
        return np.empty(0), np.empty(0)
    return np.concatenate([s.values for s in series]), np.concatenate([s.timestamps for s in series])


def _interval_peaks(series: UsageSeries, interval: float) -> tuple[FloatArray, FloatArray]:
    """Peak of each interval counted from the pod's first sample, stamped at the interval's end (WindowEnd)."""
    if not len(series):
        return np.empty(0), np.empty(0)
    index = np.floor((series.timestamps - series.timestamps[0]) / interval).astype(np.int64)
    peaks = np.full(int(index[-1]) + 1, -1.0)
    np.maximum.at(peaks, index, series.values)
    present = np.nonzero(peaks >= 0)[0]
    return peaks[present], series.timestamps[0] + (present + 1) * interval
