"""Training samples: every priced pool at every hour of a grid, with its features and its label."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ml.contract import HOUR, TARGET_HORIZON, WINDOW
from ml.features import feature_tensor
from ml.pricebook import Floats, Ints, PriceBook
from ml.target import label_matrix


@dataclass(frozen=True, eq=False)
class Samples:
    """Rows of (pool, time): features x, labels y (0/1), sample times t and pool indices into the book."""

    x: Floats
    y: Floats
    t: Ints
    pool: Ints

    def __len__(self) -> int:
        return int(self.y.size)

    def between(self, start: int, end: int) -> Samples:
        keep = (self.t >= start) & (self.t < end)
        return Samples(self.x[keep], self.y[keep], self.t[keep], self.pool[keep])


def hourly_grid(start: int, end: int, step_hours: float = 1.0) -> Ints:
    """Times aligned to the hour (or `step_hours`) within [start, end)."""
    step = int(step_hours * HOUR)
    first = -(-start // step) * step
    return np.arange(first, end, step, dtype=np.int64)


def default_window(book: PriceBook) -> tuple[int, int]:
    """Sample from a week after the first price (full 7-day windows) to the last time with a knowable label."""
    return int(book.times.min()) + WINDOW, int(book.times.max()) - TARGET_HORIZON + 1


def build_samples(book: PriceBook, grid: Ints, data_end: int) -> Samples:
    """Every (pool, time) with a price and a knowable label, ordered by time."""
    tensor = feature_tensor(book, grid)
    labels = label_matrix(book, grid, data_end)
    keep = ~np.isnan(labels)  # NaN label: unpriced, or the horizon runs past the data
    pool, when = np.nonzero(keep)
    order = np.argsort(grid[when], kind="stable")
    pool, when = pool[order], when[order]
    return Samples(tensor[pool, when], labels[pool, when], grid[when], pool.astype(np.int64))
