"""Usage that cannot be real is refused for its container, with the reason, before any strategy reads it.

Three kinds reach us from real exports:
- a cumulative counter read as a rate: `container_cpu_usage_seconds_total` queried without `rate()` climbs for
  days (1,215 "cores" for CoreDNS on a 1.93-core node). A series the adapter saw named `*_total` that never goes
  down is one (some exporters keep the name on rated series, so the name alone decides nothing). Without the name
  (`sum by` drops it), shape cannot tell a counter from a slowly rising rate, but the counter soon passes what
  its node has, which the next check refuses;
- more than the node has: a container cannot use more CPU or memory than its node's allocatable (the kubelet's
  pods cgroup enforces it), so such a sample is a unit or query mistake;
- infinite samples (+Inf), which no usage is. Prometheus writes NaN for "no value at this step": those samples
  are dropped by the adapter, not counted here.
"""

from __future__ import annotations

import numpy as np

from engines.rightsizing.inventory import Node, Resource
from engines.rightsizing.strategy import fmt_bytes, fmt_cores
from engines.rightsizing.usage import UsageSeries

NODE_SLACK = 1.05  # measurement noise over allocatable that is still believable


def implausible(series: UsageSeries, resource: Resource, node: Node | None, largest: float | None) -> str | None:
    """Why `series` cannot be this container's usage of `resource` on `node` (None: not in the file, so the
    cluster's `largest` node is the ceiling); None when it may be."""
    if series.non_finite:
        return f"{series.non_finite} infinite sample(s): not a usage"
    if series.counter and _never_falls(series.values):
        return "a *_total series that never goes down is a cumulative counter: query it through rate()"
    ceiling = _node_ceiling(resource, node)
    where = f"its node {node.name}" if node is not None and ceiling is not None else "the cluster's largest node"
    ceiling = ceiling if ceiling is not None else largest
    if ceiling is not None and series.peak > ceiling * NODE_SLACK:
        shown = fmt_cores if resource == "cpu" else fmt_bytes
        unit = "cores" if resource == "cpu" else "bytes"
        peak = shown(series.peak) if series.peak < 1000 * ceiling else f"{series.peak:.3g} {unit}"
        return f"peak {peak} is more than {where} has ({shown(ceiling)})"
    return None


def _node_ceiling(resource: Resource, node: Node | None) -> float | None:
    if node is None:
        return None
    return node.allocatable_cpu_cores if resource == "cpu" else node.allocatable_memory_bytes


def _never_falls(values: np.ndarray) -> bool:
    return len(values) >= 3 and bool(np.all(np.diff(values) >= 0)) and values[-1] > values[0]


def largest_node(nodes: list[Node], resource: Resource) -> float | None:
    """The most any node of the cluster offers of `resource`: no request above it could ever be scheduled."""
    values = [v for n in nodes if (v := _node_ceiling(resource, n)) is not None]
    return max(values) if values else None
