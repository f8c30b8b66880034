"""Shared maths of the strategies: percentiles, interval peaks, robust trend, square-root headroom."""

from __future__ import annotations

import numpy as np

from engines.rightsizing.usage import FloatArray, UsageSeries

DAY = 86400.0
GIB = float(2**30)


def percentile(series: UsageSeries, q: float) -> float:
    """The q-th percentile (0..100) with linear interpolation, as Prometheus' quantile_over_time."""
    return float(np.percentile(series.values, q)) if len(series) else 0.0


def interval_peaks(series: UsageSeries, end: float, interval: float = DAY) -> FloatArray:
    """Peak of each `interval` counted back from `end`, oldest first; intervals without samples are left out."""
    if not len(series):
        return np.empty(0)
    index = np.floor((end - series.timestamps) / interval).astype(np.int64)
    index = index.max() - index  # oldest interval first
    peaks = np.full(int(index.max()) + 1, -1.0)
    np.maximum.at(peaks, index, series.values)
    return peaks[peaks >= 0]


def theil_sen_slope(values: FloatArray) -> float:
    """Median of the pairwise slopes (per step): a trend one odd day cannot drag (29% breakdown point)."""
    n = len(values)
    if n < 3:
        return 0.0
    i, j = np.triu_indices(n, 1)
    return float(np.median((values[j] - values[i]) / (j - i)))


def sqrt_headroom(base: float, beta: float, unit: float) -> float:
    """beta x sqrt(base x unit): the square-root safety rule of capacity planning.

    Independent fluctuations add in quadrature, so the spare a workload needs grows with the square root of its
    size: 0.5 x sqrt(1 GiB x 1 GiB) = 0.5 GiB (50%) at 1 GiB, 2 GiB (12.5%) at 16 GiB.
    """
    return beta * float(np.sqrt(max(base, 0.0) * unit))
