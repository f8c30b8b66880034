"""VPA's decaying histogram (recommender/util/histogram*.go, decaying_histogram.go), vectorised.

Buckets grow exponentially: bucket 0 is [0, first), bucket n starts at first x (r^n - 1) / (r - 1); values above
`max_value` land in the last bucket. A sample's weight is multiplied by 2^((t - reference) / half_life), so it
loses half of its weight every half-life. A percentile answers the *end* of the bucket where the cumulative
weight first reaches the threshold (the start of the last bucket if it is the last one).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engines.rightsizing.usage import FloatArray


@dataclass(frozen=True, slots=True)
class ExponentialBuckets:
    """NewExponentialHistogramOptions(maxValue, firstBucketSize, ratio)."""

    first: float
    ratio: float
    max_value: float

    @property
    def count(self) -> int:
        return math.ceil(math.log(self.max_value * (self.ratio - 1) / self.first + 1) / math.log(self.ratio)) + 1

    def start(self, bucket: int) -> float:
        if bucket <= 0:
            return 0.0
        return self.first * (self.ratio**bucket - 1) / (self.ratio - 1)

    def find(self, values: FloatArray) -> npt.NDArray[np.int64]:
        scaled = np.maximum(values, 0.0) * (self.ratio - 1) / self.first + 1
        buckets = np.floor(np.log(scaled) / math.log(self.ratio)).astype(np.int64)
        buckets[values < self.first] = 0
        return np.minimum(buckets, self.count - 1)


def decaying_percentile(
    values: FloatArray,
    times: FloatArray,
    weights: FloatArray,
    buckets: ExponentialBuckets,
    half_life_seconds: float,
    percentile: float,
) -> float:
    """The `percentile` (0..1) of the decayed histogram of `values`; 0.0 when it is empty, as in VPA."""
    if not len(values):
        return 0.0
    # Relative weights are all a percentile needs: decay from the newest sample keeps the exponents <= 0.
    decayed = weights * np.exp2((times - times.max()) / half_life_seconds)
    histogram = np.bincount(buckets.find(values), weights=decayed, minlength=buckets.count)
    total = float(histogram.sum())
    if total <= 0:
        return 0.0
    bucket = int(np.searchsorted(np.cumsum(histogram), percentile * total, side="left"))
    bucket = min(bucket, buckets.count - 1)
    return buckets.start(bucket + 1) if bucket < buckets.count - 1 else buckets.start(bucket)
