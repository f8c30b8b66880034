"""All pools' price records in flat arrays, with vectorised queries over many (pool, time) pairs at once.

One numpy call answers a query for every pool and time, so scoring a whole region at one moment costs a few
milliseconds instead of a Python loop over a thousand pools.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engines.spot.model import PoolKey

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True, eq=False)
class PoolInput:
    """One pool's price records and the static facts the features need."""

    key: PoolKey
    times: Ints
    prices: Floats
    on_demand: float | None
    advisor_bucket: int | None

    @property
    def group(self) -> tuple[str, str]:
        """The family stress group: the same family in the same zone (on the same hosts)."""
        return self.key.instance_type.split(".", 1)[0], self.key.availability_zone


class PriceBook:
    """Price records of many pools, concatenated; queries take arrays of pool indices and times."""

    def __init__(self, pools: Sequence[PoolInput]) -> None:
        lengths = np.array([p.times.size for p in pools], dtype=np.int64)
        if pools and lengths.min() == 0:
            raise ValueError("every pool needs at least one price record")
        self.pools = tuple(pools)
        self.starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
        owner = np.repeat(np.arange(len(pools), dtype=np.int64), lengths)
        self.times = np.concatenate([p.times for p in pools]).astype(np.int64) if pools else np.zeros(0, np.int64)
        self.prices = np.concatenate([p.prices for p in pools]) if pools else np.zeros(0)
        self._base = int(self.times.min()) if self.times.size else 0
        self._range = int(self.times.max()) - self._base if self.times.size else 0
        # Sorting key: pool index, then time; queries clipped into [-1, range] stay inside their pool's block.
        self._span = self._range + 2
        self._keys = owner * self._span + (self.times - self._base)
        # Per-pool running areas of (price - first price) and its square. Centring keeps the variance (a difference
        # of two areas) free of cancellation noise; a row-wise cumsum over a pools x records matrix (not one global
        # cumsum) makes each value depend on that pool's earlier records only, bit for bit.
        self._ref = np.repeat(np.array([p.prices[0] for p in pools], dtype=np.float64), lengths)
        column = np.arange(self.times.size) - self.starts[owner]
        width = int(lengths.max()) if pools else 0
        centred = self.prices - self._ref
        steps = np.zeros(self.times.size)
        steps[1:] = np.diff(self.times)
        steps[column == 0] = 0.0  # no area before a pool's first record
        self._cum1 = self._running(np.r_[0.0, centred[:-1]] * steps, owner, column, width)
        self._cum2 = self._running(np.r_[0.0, centred[:-1]] ** 2 * steps, owner, column, width)
        names = [p.group for p in pools]
        index = {name: i for i, name in enumerate(sorted(set(names)))}
        self.group_ids = np.array([index[name] for name in names], dtype=np.int64)

    @staticmethod
    def _running(areas: Floats, owner: Ints, column: Ints, width: int) -> Floats:
        matrix = np.zeros((int(owner.max()) + 1 if owner.size else 0, width))
        matrix[owner, column] = areas
        return np.cumsum(matrix, axis=1)[owner, column]

    def index_at(self, pool: Ints, at: Ints) -> Ints:
        """Flat index of the record in force in `pool` at `at`, or -1 before the pool's first record."""
        rel = np.clip(at - self._base, -1, self._range)
        index = np.searchsorted(self._keys, pool * self._span + rel, side="right").astype(np.int64) - 1
        return np.where(index >= self.starts[pool], index, -1)

    def first_index(self, pool: Ints) -> Ints:
        return self.starts[pool]

    def reduce(self, ufunc: np.ufunc, lo: Ints, hi: Ints) -> Floats:
        """ufunc over prices[lo..hi] (inclusive, lo <= hi) for each pair."""
        if lo.size == 0:
            return np.zeros(0)
        bounds = np.empty(2 * lo.size, dtype=np.int64)
        bounds[0::2], bounds[1::2] = lo, hi + 1
        padded = np.append(self.prices, 0.0)  # hi + 1 may point one past the end
        return np.asarray(ufunc.reduceat(padded, bounds)[0::2], dtype=np.float64)

    def mean_and_std(self, index_from: Ints, start: Ints, index_to: Ints, end: Ints) -> tuple[Floats, Floats]:
        """Time-weighted mean and std of the price over [start, end]; the records in force there are given."""
        span = (end - start).astype(np.float64)
        safe = np.where(span > 0, span, 1.0)
        centred = self.prices - self._ref
        first = self._area(self._cum1, centred, index_to, end) - self._area(self._cum1, centred, index_from, start)
        second = self._area(self._cum2, centred**2, index_to, end) - self._area(
            self._cum2, centred**2, index_from, start
        )
        shift = np.where(span > 0, first / safe, centred[index_to])
        variance = np.where(span > 0, second / safe - shift**2, 0.0)
        return self._ref[index_to] + shift, np.sqrt(np.clip(variance, 0.0, None))

    def _area(self, cumulative: Floats, values: Floats, index: Ints, at: Ints) -> Floats:
        return cumulative[index] + values[index] * (at - self.times[index])
