"""The savings guard (spec flow 3, after CAST AI's): what an execution saved, measured after it from the cluster
as it is, against what it promised; short of the policy's share of the promise, what can be undone is undone.

Nodes: realised = the price of the removed nodes that are gone less the price of the launched nodes that run (one
price book, the engines'). Workloads: realised = the requests freed, per replica, priced at the cluster's own
rate: each node's price split between its cores and GiB in Kubecost's default ratio (0.031611 $/core-h to
0.004237 $/GiB-h), so the rates add up to what the nodes cost.

>>> verdict(realised=0.4, projected=1.0, share=0.5).keep
False
>>> verdict(realised=0.6, projected=1.0, share=0.5).keep
True
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

GIB = 1024**3
CORE_TO_GIB_PRICE = 0.031611 / 0.004237  # Kubecost's default on-demand rates: one core costs ~7.5 GiB
DEFAULT_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class PricedNode:
    name: str
    price_per_hour: float | None  # None: no price known; counted as 0 and said so
    cores: float
    memory_bytes: int


@dataclass(frozen=True, slots=True)
class Realised:
    saving_per_hour: float
    reasons: tuple[str, ...]


def node_saving(removed_gone: Iterable[PricedNode], launched_running: Iterable[PricedNode]) -> Realised:
    gone, running = list(removed_gone), list(launched_running)
    saved = sum(n.price_per_hour or 0.0 for n in gone)
    added = sum(n.price_per_hour or 0.0 for n in running)
    reasons = [f"removed {len(gone)} node(s) costing ${saved:.4f}/h, {len(running)} launched cost ${added:.4f}/h"]
    unpriced = sorted(n.name for n in (*gone, *running) if n.price_per_hour is None)
    if unpriced:
        reasons.append(f"no price known for {', '.join(unpriced)}: counted as $0/h")
    return Realised(round(saved - added, 6), tuple(reasons))


@dataclass(frozen=True, slots=True)
class ResourceRates:
    per_core_hour: float
    per_gib_hour: float


def resource_rates(nodes: Iterable[PricedNode]) -> ResourceRates:
    """Rates whose sum over the priced nodes' cores and GiB is exactly what those nodes cost per hour."""
    priced = [n for n in nodes if n.price_per_hour]
    weight = sum(n.cores * CORE_TO_GIB_PRICE + n.memory_bytes / GIB for n in priced)
    if weight <= 0:
        return ResourceRates(0.0, 0.0)
    per_gib = sum(n.price_per_hour or 0.0 for n in priced) / weight
    return ResourceRates(per_gib * CORE_TO_GIB_PRICE, per_gib)


@dataclass(frozen=True, slots=True)
class Freed:
    """One container's requests before and after, and how many pods run it."""

    what: str
    replicas: int
    cores_before: float
    cores_after: float
    memory_before: int
    memory_after: int


def workload_saving(changes: Iterable[Freed], rates: ResourceRates) -> Realised:
    total, reasons = 0.0, []
    for c in changes:
        cores, memory = c.cores_before - c.cores_after, c.memory_before - c.memory_after
        saving = c.replicas * (cores * rates.per_core_hour + memory / GIB * rates.per_gib_hour)
        total += saving
        freed = f"{cores:+.3f} cores, {memory / GIB:+.3f} GiB"
        reasons.append(f"{c.what}: {c.replicas} x ({freed}) freed = ${saving:.4f}/h")
    return Realised(round(total, 6), tuple(reasons))


@dataclass(frozen=True, slots=True)
class Verdict:
    keep: bool
    reason: str


def verdict(realised: float, projected: float, share: float = DEFAULT_SHARE) -> Verdict:
    """Keep what reached `share` of the projected saving; a change that promised no saving (OOM remediation raises
    memory) is kept: the guard has nothing to hold it to."""
    if projected <= 0:
        return Verdict(True, f"projected ${projected:.4f}/h: no saving promised, nothing to hold the change to")
    needed = share * projected
    if realised + 1e-9 >= needed:
        return Verdict(True, f"realised ${realised:.4f}/h of ${projected:.4f}/h projected (at least {share:.0%})")
    return Verdict(False, f"realised ${realised:.4f}/h, below {share:.0%} of ${projected:.4f}/h projected: rolled back")
