"""Usage samples per container: CPU in cores, memory working set in bytes, timestamps in epoch seconds."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True, order=True)
class ContainerKey:
    """One container of one pod, as Prometheus labels it (namespace, pod, container)."""

    namespace: str
    pod: str
    container: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.pod}/{self.container}"


@dataclass(frozen=True, eq=False)
class UsageSeries:
    """One container's samples, timestamps strictly ascending, values finite and >= 0.

    >>> UsageSeries.from_samples([60, 0, 60], [0.2, 0.1, 0.3]).values.tolist()
    [0.1, 0.3]
    """

    timestamps: FloatArray
    values: FloatArray
    non_finite: int = 0  # +-Inf samples the source held (dropped from `values`): usage never is infinite
    counter: bool = False  # the source named it like a cumulative counter (`*_total`): a hint, see sanity.py

    def __post_init__(self) -> None:
        ts, vs = self.timestamps, self.values
        if ts.ndim != 1 or vs.ndim != 1 or len(ts) != len(vs):
            raise ValueError("timestamps and values must be 1-D arrays of the same length")
        if len(ts) and (np.any(np.diff(ts) <= 0) or not np.all(np.isfinite(ts))):
            raise ValueError("timestamps must be finite and strictly ascending (use UsageSeries.from_samples)")
        if len(vs) and (not np.all(np.isfinite(vs)) or np.any(vs < 0)):
            raise ValueError("usage values must be finite and >= 0")

    @classmethod
    def from_samples(
        cls, timestamps: Iterable[float] | FloatArray, values: Iterable[float] | FloatArray, counter: bool = False
    ) -> UsageSeries:
        """Sorts, drops non-finite or negative samples (counting the infinite ones), and keeps the largest value
        of a repeated timestamp."""
        ts = np.asarray(list(timestamps) if not isinstance(timestamps, np.ndarray) else timestamps, dtype=np.float64)
        vs = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, dtype=np.float64)
        if ts.shape != vs.shape:
            raise ValueError("timestamps and values must have the same length")
        infinite = int(np.sum(np.isinf(vs)))
        keep = np.isfinite(ts) & np.isfinite(vs) & (vs >= 0)
        ts, vs = ts[keep], vs[keep]
        order = np.lexsort((-vs, ts))  # by time, largest value first within a timestamp
        ts, vs = ts[order], vs[order]
        first = np.ones(len(ts), dtype=bool)
        first[1:] = ts[1:] != ts[:-1]
        return cls(np.ascontiguousarray(ts[first]), np.ascontiguousarray(vs[first]), infinite, counter)

    @classmethod
    def empty(cls) -> UsageSeries:
        return cls(np.empty(0), np.empty(0))

    def __len__(self) -> int:
        return len(self.timestamps)

    @property
    def first_time(self) -> float:
        return float(self.timestamps[0]) if len(self) else float("nan")

    @property
    def last_time(self) -> float:
        return float(self.timestamps[-1]) if len(self) else float("nan")

    @property
    def span_seconds(self) -> float:
        return float(self.timestamps[-1] - self.timestamps[0]) if len(self) else 0.0

    @property
    def peak(self) -> float:
        return float(self.values.max()) if len(self) else 0.0

    def between(self, start: float, end: float) -> UsageSeries:
        """Samples with start <= t <= end (binary search, no copy of the kept slice's data)."""
        lo = int(np.searchsorted(self.timestamps, start, side="left"))
        hi = int(np.searchsorted(self.timestamps, end, side="right"))
        return UsageSeries(self.timestamps[lo:hi], self.values[lo:hi], self.non_finite, self.counter)


@dataclass(frozen=True)
class UsageData:
    """CPU and memory series of every container seen in the metrics."""

    cpu: Mapping[ContainerKey, UsageSeries] = field(default_factory=dict)
    memory: Mapping[ContainerKey, UsageSeries] = field(default_factory=dict)

    def latest_time(self) -> float | None:
        """The newest sample of either resource: the end of the window when no time is given."""
        ends = [s.last_time for s in (*self.cpu.values(), *self.memory.values()) if len(s)]
        return max(ends) if ends else None

    def containers(self) -> set[ContainerKey]:
        return set(self.cpu) | set(self.memory)

    def between(self, start: float, end: float) -> UsageData:
        return UsageData(
            {k: s.between(start, end) for k, s in self.cpu.items()},
            {k: s.between(start, end) for k, s in self.memory.items()},
        )

    def series(self, resource: str, key: ContainerKey) -> UsageSeries:
        table = self.cpu if resource == "cpu" else self.memory
        return table.get(key) or UsageSeries.empty()
