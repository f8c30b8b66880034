"""Features of Spot pools on a time grid: pure numpy, the same code for training and for inference.

Every value at time t reads only price records with timestamps <= t (searchsorted side="right"), so changing
or adding prices after t cannot change it (tests/unit/test_ml_features.py checks this property).

Use: `feature_tensor(PriceBook(pool_inputs(history, on_demand, advisor)), np.array([at]))` gives an array of
shape (pools, 1, features), NaN where a pool is unpriced.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from engines.spot.model import OnDemandPrices, PriceHistory, SpotAdvisor
from ml.contract import FEATURE_NAMES, HOUR, SHORT_WINDOW, WINDOW
from ml.pricebook import Floats, Ints, PoolInput, PriceBook

COLUMN = {name: i for i, name in enumerate(FEATURE_NAMES)}


def pool_inputs(history: PriceHistory, on_demand: OnDemandPrices, advisor: SpotAdvisor) -> list[PoolInput]:
    """Every pool of the history with its listed On-Demand price and advisor bucket (None where unknown)."""
    result = []
    for key in history.pools():
        series = history.series[key]
        if not len(series):
            continue
        entry = advisor.get(history.region, key.instance_type)
        result.append(
            PoolInput(
                key=key,
                times=series.times,
                prices=series.prices,
                on_demand=on_demand.get(history.region, key.instance_type),
                advisor_bucket=entry.bucket if entry else None,
            )
        )
    return result


def _static_columns(book: PriceBook) -> tuple[Floats, Floats]:
    on_demand = np.array([p.on_demand or np.nan for p in book.pools], dtype=np.float64)
    bucket = np.array([np.nan if p.advisor_bucket is None else p.advisor_bucket for p in book.pools])
    return on_demand, bucket


def _own_features(book: PriceBook, pool: Ints, t: Ints, out: Floats) -> None:
    """Fill out[k, :] with the pool's own features at t[k] (every pair must be priced)."""
    now = book.index_at(pool, t)
    first = book.first_index(pool)
    price = book.prices[now]
    start = np.maximum(t - WINDOW, book.times[first])
    lo = np.maximum(book.index_at(pool, t - WINDOW), first)
    high, low = book.reduce(np.maximum, lo, now), book.reduce(np.minimum, lo, now)
    mean, std = book.mean_and_std(lo, start, now, t)
    lo24 = np.maximum(book.index_at(pool, t - SHORT_WINDOW), first)
    spread = high - low
    on_demand, bucket = _static_columns(book)
    out[:, COLUMN["price_position_7d"]] = np.where(spread > 0, (price - low) / np.where(spread > 0, spread, 1.0), 0.5)
    out[:, COLUMN["price_vs_mean_7d"]] = price / mean - 1.0
    out[:, COLUMN["discount"]] = 1.0 - price / on_demand[pool]
    out[:, COLUMN["volatility_7d"]] = std / mean
    out[:, COLUMN["range_7d"]] = spread / mean
    out[:, COLUMN["range_24h"]] = (book.reduce(np.maximum, lo24, now) - book.reduce(np.minimum, lo24, now)) / price
    out[:, COLUMN["trend_24h"]] = _trend(book, pool, price, t - SHORT_WINDOW)
    out[:, COLUMN["trend_7d"]] = _trend(book, pool, price, t - WINDOW)
    out[:, COLUMN["changes_7d"]] = now - lo
    out[:, COLUMN["hours_since_change"]] = (t - book.times[now]) / HOUR
    out[:, COLUMN["history_hours"]] = (t - start) / HOUR
    out[:, COLUMN["advisor_bucket"]] = bucket[pool]
    days = t // (24 * HOUR)
    out[:, COLUMN["hour"]] = (t // HOUR) % 24
    out[:, COLUMN["day_of_week"]] = (days + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
    out[:, COLUMN["weekend"]] = (days + 3) % 7 >= 5


def _trend(book: PriceBook, pool: Ints, price: Floats, before: Ints) -> Floats:
    earlier = book.index_at(pool, before)
    past = np.where(earlier >= 0, book.prices[np.maximum(earlier, 0)], np.nan)
    return price / past - 1.0


def _family_features(book: PriceBook, tensor: Floats) -> None:
    """Mean and max price position, and max 24 h trend, across the other sizes of each pool's family and zone.

    Vectorised over groups: pools are sorted by group so each group is one block for ufunc.reduceat.
    """
    order = np.argsort(book.group_ids, kind="stable")
    groups = book.group_ids[order]
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    block = np.repeat(np.arange(starts.size), np.diff(np.r_[starts, groups.size]))  # block of each sorted row
    position = tensor[order, :, COLUMN["price_position_7d"]]
    priced = ~np.isnan(position)
    own = np.where(priced, position, 0.0)
    total = np.add.reduceat(own, starts, axis=0)[block]
    rest = np.add.reduceat(priced.astype(np.int64), starts, axis=0)[block] - priced
    mean = np.where(rest > 0, (total - own) / np.maximum(rest, 1), np.nan)
    columns = {
        "family_position_mean": mean,
        "family_position_max": _max_of_others(position, starts, block),
        "family_trend_24h_max": _max_of_others(tensor[order, :, COLUMN["trend_24h"]], starts, block),
    }
    for name, values in columns.items():
        tensor[order, :, COLUMN[name]] = np.where(priced, values, np.nan)


def _max_of_others(values: Floats, starts: Ints, block: Ints) -> Floats:
    """For each row, the max over the other rows of its block, ignoring NaN (NaN when there is none)."""
    filled = np.where(np.isnan(values), -np.inf, values)
    top = np.maximum.reduceat(filled, starts, axis=0)[block]
    is_top = filled == top
    ties = np.add.reduceat(is_top.astype(np.int64), starts, axis=0)[block]
    second = np.maximum.reduceat(np.where(filled < top, filled, -np.inf), starts, axis=0)[block]
    best = np.where(is_top & (ties < 2), second, top)  # the row itself is the unique max: take the runner-up
    return np.where(np.isneginf(best), np.nan, best)


def feature_tensor(book: PriceBook, grid: Ints) -> Floats:
    """Features of every pool at every grid time: shape (pools, times, features); all-NaN rows where unpriced.

    Family columns are computed across the pools of the book: give it every pool of the region.
    """
    grid = np.asarray(grid, dtype=np.int64)
    n_pools = len(book.pools)
    tensor = np.full((n_pools, grid.size, len(FEATURE_NAMES)), np.nan, dtype=np.float64)
    pool = np.repeat(np.arange(n_pools, dtype=np.int64), grid.size)
    t = np.tile(grid, n_pools)
    cells = book.index_at(pool, t) >= 0
    flat = tensor.reshape(-1, len(FEATURE_NAMES))
    rows = np.empty((int(cells.sum()), len(FEATURE_NAMES)))
    _own_features(book, pool[cells], t[cells], rows)
    rows[:, [COLUMN["family_position_mean"], COLUMN["family_position_max"], COLUMN["family_trend_24h_max"]]] = np.nan
    flat[cells] = rows
    _family_features(book, tensor)
    return tensor


def priced(tensor: Floats) -> npt.NDArray[np.bool_]:
    """Which (pool, time) cells of a feature tensor have a price."""
    return ~np.isnan(tensor[..., COLUMN["price_position_7d"]])
