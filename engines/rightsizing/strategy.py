"""The strategy port: one container's usage across its replicas in, one explained estimate per resource out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from engines.rightsizing.inventory import ContainerResources
from engines.rightsizing.usage import UsageSeries

MIB = float(2**20)
GIB = float(2**30)


@dataclass(frozen=True, slots=True)
class Estimate:
    """A request (cores or bytes) and why; `limit` only when a strategy sets a limit other than the request."""

    value: float
    reasons: tuple[str, ...]
    limit: float | None = None


@dataclass(frozen=True)
class EstimateInput:
    """The replicas' series (one per pod, already cut to the window) and what the container has today."""

    cpu: tuple[UsageSeries, ...]
    memory: tuple[UsageSeries, ...]
    current: ContainerResources
    containers_in_pod: int
    window_end: float


class Strategy(Protocol):
    @property
    def name(self) -> str: ...

    def cpu(self, data: EstimateInput) -> Estimate: ...

    def memory(self, data: EstimateInput) -> Estimate: ...


def fmt_cores(cores: float) -> str:
    return f"{cores * 1000:.0f}m" if cores < 1 else f"{cores:.2f} cores"


def fmt_bytes(size: float) -> str:
    return f"{size / GIB:.2f} GiB" if size >= GIB else f"{size / MIB:.0f} MiB"


def replicas_note(series: tuple[UsageSeries, ...]) -> str:
    pods = sum(1 for s in series if len(s))
    samples = sum(len(s) for s in series)
    return f"{samples} samples from {pods} pod{'s' if pods != 1 else ''}"


def largest(estimates: list[Estimate]) -> Estimate:
    """The replica with the largest estimate wins (KRR and Kubecost take the max across pods too)."""
    return max(estimates, key=lambda estimate: estimate.value)
