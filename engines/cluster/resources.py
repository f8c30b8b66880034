"""Requests and capacities over every resource Kubernetes schedules on, in its own integer units.

CPU (millicores), memory (bytes), `nvidia.com/gpu` and pod slots are named fields because every node has them
and the planner's orderings read them; every other resource (`vpc.amazonaws.com/efa`, `aws.amazon.com/neuron`,
`hugepages-2Mi`, `ephemeral-storage`, any device plugin's) is kept by name. A pod fits a node only if every
resource it requests is allocatable there: an absent resource counts 0, as for the scheduler.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

CPU, MEMORY, GPU, PODS = "cpu", "memory", "nvidia.com/gpu", "pods"
BASE = (CPU, MEMORY, GPU, PODS)
EPHEMERAL_STORAGE = "ephemeral-storage"

Extended = tuple[tuple[str, int], ...]


def _merge(a: Extended, b: Extended, sign: int) -> Extended:
    if not b:
        return a
    if not a and sign > 0:
        return b
    totals = dict(a)
    for name, value in b:
        totals[name] = totals.get(name, 0) + sign * value
    return tuple(sorted((n, v) for n, v in totals.items() if v != 0))


@dataclass(frozen=True, slots=True)
class Resources:
    """Requests or capacity. `extended`: every other resource by name, sorted, without zero entries.

    >>> need = Resources(500, 2**30, 0, 1, (("vpc.amazonaws.com/efa", 1),))
    >>> need.fits_in(Resources(4000, 2**34, 0, 110)), need.shortfall(Resources(4000, 2**34, 0, 110))
    (False, 'vpc.amazonaws.com/efa needs 1 > 0 available')
    """

    cpu_m: int = 0
    memory: int = 0
    gpu: int = 0
    pods: int = 0
    extended: Extended = ()

    @staticmethod
    def named(values: Mapping[str, int]) -> Resources:
        """From a map of resource names (`cpu` in millicores, the rest in Kubernetes' base units)."""
        extended = tuple(sorted((n, v) for n, v in values.items() if n not in BASE and v != 0))
        return Resources(values.get(CPU, 0), values.get(MEMORY, 0), values.get(GPU, 0), values.get(PODS, 0), extended)

    def __add__(self, other: Resources) -> Resources:
        return Resources(
            self.cpu_m + other.cpu_m,
            self.memory + other.memory,
            self.gpu + other.gpu,
            self.pods + other.pods,
            _merge(self.extended, other.extended, 1),
        )

    def __sub__(self, other: Resources) -> Resources:
        return Resources(
            self.cpu_m - other.cpu_m,
            self.memory - other.memory,
            self.gpu - other.gpu,
            self.pods - other.pods,
            _merge(self.extended, other.extended, -1),
        )

    def get(self, name: str) -> int:
        base = {CPU: self.cpu_m, MEMORY: self.memory, GPU: self.gpu, PODS: self.pods}
        if name in base:
            return base[name]
        return next((v for n, v in self.extended if n == name), 0)

    @property
    def extended_names(self) -> tuple[str, ...]:
        return tuple(n for n, _ in self.extended)

    def vector(self, extras: tuple[str, ...] = ()) -> tuple[int, ...]:
        """(cpu, memory, gpu, pods) then the `extras` in their order: one row of the planner's arrays."""
        base = (self.cpu_m, self.memory, self.gpu, self.pods)
        if not extras:
            return base
        found = dict(self.extended)
        return base + tuple(found.get(name, 0) for name in extras)

    def fits_in(self, capacity: Resources) -> bool:
        return self.shortfall(capacity) is None

    def shortfall(self, capacity: Resources) -> str | None:
        """Which resource does not fit, in words; None when everything fits."""
        for label, need, have in zip(BASE, self.vector(), capacity.vector(), strict=True):
            if need > have:
                return f"{'gpu' if label == GPU else label} needs {need} > {have} available"
        for name, need in self.extended:
            have = capacity.get(name)
            if need > have:
                return f"{name} needs {need} > {have} available"
        return None

    def maximum(self, other: Resources) -> Resources:
        """Per resource, the larger of the two (a classic init container runs alone, before the others)."""
        names = set(self.extended_names) | set(other.extended_names)
        return Resources(
            max(self.cpu_m, other.cpu_m),
            max(self.memory, other.memory),
            max(self.gpu, other.gpu),
            max(self.pods, other.pods),
            tuple(sorted((n, max(self.get(n), other.get(n))) for n in names if max(self.get(n), other.get(n)))),
        )


def extra_names(requests: Iterable[Resources]) -> tuple[str, ...]:
    """The resources beyond the four named ones that any of `requests` asks for, sorted: the planner's extra axes."""
    return tuple(sorted({name for r in requests for name, value in r.extended if value > 0}))
