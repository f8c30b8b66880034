"""A cluster's container usage history from metrics-server samples: per container the hour's peak CPU and memory,
kept for the rightsizing window. Peaks, not means: a request set below a peak is an OOM kill or throttling waiting
to happen, and hourly peaks keep a fortnight of 200 containers to a few hundred kilobytes.

>>> h = merge(None, [UsageSample("ns", "p", "c", 0.5, 100)], now=7_200)
>>> h = merge(h, [UsageSample("ns", "p", "c", 0.2, 300)], now=7_300)
>>> h["containers"]["ns/p/c"]
[[7200, 0.5, 300]]
"""

from __future__ import annotations

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
        if rows and rows[-1][0] == hour:
            rows[-1] = [hour, max(rows[-1][1], sample.cpu_cores), max(rows[-1][2], sample.memory_bytes)]
        elif not rows or rows[-1][0] < hour:
            rows.append([hour, sample.cpu_cores, sample.memory_bytes])
    oldest = now - WINDOW_SECONDS
    kept = {key: [r for r in rows if r[0] >= oldest] for key, rows in containers.items()}
    return {"window_seconds": WINDOW_SECONDS, "updated_at": now, "containers": {k: v for k, v in kept.items() if v}}


def span_hours(history: Mapping[str, Any] | None) -> int:
    """How many distinct hours the history covers (the recommendation says how much evidence it had)."""
    hours = {row[0] for rows in ((history or {}).get("containers") or {}).values() for row in rows}
    return len(hours)
