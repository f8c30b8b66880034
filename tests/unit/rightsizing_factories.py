"""Small builders for rightsizing tests: regular usage series, pods of one workload, an inventory."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from engines.rightsizing.inventory import (
    Autoscaler,
    ContainerResources,
    ContainerStatus,
    Inventory,
    Node,
    Pod,
    PodContainer,
    WorkloadRef,
)
from engines.rightsizing.usage import ContainerKey, UsageData, UsageSeries

STEP = 300.0
T0 = 1_372_629_600.0
GIB = 2**30
MIB = 2**20
NS = "shop"
WEB = WorkloadRef("Deployment", "web")


def series(values: Sequence[float] | np.ndarray, start: float = T0, step: float = STEP) -> UsageSeries:
    array: npt.NDArray[np.float64] = np.asarray(values, dtype=np.float64)
    times: npt.NDArray[np.float64] = start + step * np.arange(len(array), dtype=np.float64)
    return UsageSeries(times, array)


def pod(
    name: str,
    containers: Sequence[PodContainer] | None = None,
    owner: WorkloadRef = WEB,
    node: str | None = "n1",
) -> Pod:
    return Pod(NS, name, owner, tuple(containers or [container()]), node)


def container(
    name: str = "app",
    cpu: float | None = 1.0,
    memory: int | None = 2 * GIB,
    limit: int | None = None,
    restarts: int = 0,
    oom: bool = False,
    kind: str = "container",
) -> PodContainer:
    status = ContainerStatus(restarts, "OOMKilled" if oom else None)
    resources = ContainerResources(cpu, None, memory, limit if limit is not None else memory)
    return PodContainer(name, kind, resources, status)  # type: ignore[arg-type]


def inventory(
    pods: Sequence[Pod],
    allocatable: int | None = 16 * GIB,
    autoscalers: Sequence[Autoscaler] = (),
    cpu: float | None = 4.0,
) -> Inventory:
    return Inventory(tuple(pods), {"n1": Node("n1", allocatable, cpu)}, tuple(autoscalers))


def usage(
    cpu: dict[tuple[str, str], UsageSeries], memory: dict[tuple[str, str], UsageSeries] | None = None
) -> UsageData:
    """Series keyed by (pod, container) in namespace NS."""
    return UsageData(
        {ContainerKey(NS, p, c): s for (p, c), s in cpu.items()},
        {ContainerKey(NS, p, c): s for (p, c), s in (memory or {}).items()},
    )


def day_of_usage(
    days: float = 3.0, cpu: float = 0.2, memory: float = 500 * MIB, seed: int = 0
) -> tuple[UsageSeries, UsageSeries]:
    """Noisy CPU and memory series every 5 minutes for `days` days."""
    rng = np.random.default_rng(seed)
    n = int(days * 86400 / STEP)
    return (
        series(np.abs(rng.normal(cpu, cpu / 4, n))),
        series(np.abs(rng.normal(memory, memory / 20, n))),
    )
