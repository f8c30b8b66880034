"""The target: will the pool's Spot price rise TARGET_RISE or more above its price at t within TARGET_HORIZON?

This is a proxy for interruption (a price spike signals demand on the pool's hosts), not interruption itself:
AWS publishes no per-pool interruption history. The backtest counts instability events the same way.
"""

from __future__ import annotations

import numpy as np

from ml.contract import TARGET_HORIZON, TARGET_RISE
from ml.pricebook import Floats, Ints, PriceBook


def label_matrix(book: PriceBook, grid: Ints, data_end: int) -> Floats:
    """Labels of every pool at every grid time, shape (pools, times): 1.0 unstable, 0.0 stable, NaN unknown.

    Unknown: the pool has no price at t, or t + TARGET_HORIZON is after `data_end` (the data's last moment).
    """
    grid = np.asarray(grid, dtype=np.int64)
    n_pools = len(book.pools)
    labels = np.full(n_pools * grid.size, np.nan)
    pool = np.repeat(np.arange(n_pools, dtype=np.int64), grid.size)
    t = np.tile(grid, n_pools)
    now = book.index_at(pool, t)
    known = (now >= 0) & (t + TARGET_HORIZON <= data_end)
    now, ahead = now[known], book.index_at(pool[known], t[known] + TARGET_HORIZON)
    peak = np.full(now.size, -np.inf)
    moved = ahead > now
    peak[moved] = book.reduce(np.maximum, now[moved] + 1, ahead[moved])
    threshold = book.prices[now] * (1.0 + TARGET_RISE) - 1e-12  # the backtest's tolerance
    labels[known] = (peak >= threshold).astype(np.float64)
    return labels.reshape(n_pools, grid.size)
