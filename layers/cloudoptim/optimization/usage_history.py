"""A cluster's container usage history from metrics-server samples: per container the hour's peak CPU and memory,
kept for the rightsizing window. Peaks, not means: a request set below a peak is an OOM kill or throttling waiting
to happen, and hourly peaks keep a fortnight of 200 containers to a few hundred kilobytes.

>>> h = merge(None, [UsageSample("ns", "p", "c", 0.5, 100)], now=7_200)
>>> h = merge(h, [UsageSample("ns", "p", "c", 0.2, 300)], now=7_300)
>>> h["containers"]["ns/p/c"]
[[7200, 0.5, 300]]
>>> merge(h, [UsageSample("ns", "p", "c", 0.1, 50)], now=3_700)["containers"]["ns/p/c"]
[[3600, 0.1, 50], [7200, 0.5, 300]]
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping
from typing import Any

from cloudoptim.optimization.ports import UsageSample

WINDOW_SECONDS = 14 * 86400  # Trusted Advisor's and Compute Optimizer's window; KRR's default is 14 days too
HOUR = 3600


def merge(history: Mapping[str, Any] | None, samples: Iterable[UsageSample], now: int) -> dict[str, Any]:
    """The history with `samples` folded into the hour of `now`, hours older than the window dropped."""
    containers: dict[str, list[list[float]]] = {
        key: [list(row) for row in rows] for key, rows in ((history or {}).get("containers") or {}).items()
    }
    hour = now - now % HOUR
    for sample in samples:
        rows = containers.setdefault(f"{sample.namespace}/{sample.pod}/{sample.container}", [])
        at = bisect_left([row[0] for row in rows], hour)
        if at < len(rows) and rows[at][0] == hour:
            rows[at] = [hour, max(rows[at][1], sample.cpu_cores), max(rows[at][2], sample.memory_bytes)]
        else:  # a late sample (a retried or back-filled hour) lands in its own hour, in order
            rows.insert(at, [hour, sample.cpu_cores, sample.memory_bytes])
    oldest = now - WINDOW_SECONDS
    kept = {key: [r for r in rows if r[0] >= oldest] for key, rows in containers.items()}
    return {"window_seconds": WINDOW_SECONDS, "updated_at": now, "containers": {k: v for k, v in kept.items() if v}}


def span_hours(history: Mapping[str, Any] | None) -> int:
    """How many distinct hours the history covers (the recommendation says how much evidence it had)."""
    hours = {row[0] for rows in ((history or {}).get("containers") or {}).values() for row in rows}
    return len(hours)
