"""What the engine answers: recommendations, explicit skips and OOM remediations, each with its reasons."""

from __future__ import annotations

from dataclasses import dataclass

from engines.rightsizing.inventory import ContainerKind, ContainerResources, WorkloadRef


@dataclass(frozen=True, slots=True)
class OomRemediation:
    """E4 for one OOM-killed container: the bumped memory, or an escalation to a human instead."""

    namespace: str
    pod: str
    container: str
    node: str | None
    restart_count: int
    used_bytes: int
    new_memory_bytes: int | None
    capped_at_node: bool
    escalate: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Recommendation:
    """New requests for one container of one workload (the same for every replica); None = leave as is."""

    namespace: str
    workload: WorkloadRef
    container: str
    kind: ContainerKind
    pods: tuple[str, ...]
    cpu_request_cores: float | None
    memory_request_bytes: int | None
    memory_limit_bytes: int | None
    current: ContainerResources
    reasons: tuple[str, ...]
    escalate: bool = False

    @property
    def pod(self) -> str:
        return self.pods[0]


@dataclass(frozen=True, slots=True)
class Skipped:
    """A container we did not size, and why (not enough data, HPA, unknown pod)."""

    namespace: str
    workload: WorkloadRef
    container: str
    pods: tuple[str, ...]
    reasons: tuple[str, ...]

    @property
    def pod(self) -> str:
        return self.pods[0]


@dataclass(frozen=True)
class RightsizeResult:
    strategy: str
    window_start: float | None
    window_end: float | None
    recommendations: tuple[Recommendation, ...]
    skipped: tuple[Skipped, ...]
    ooms: tuple[OomRemediation, ...] = ()

    def escalations(self) -> tuple[OomRemediation, ...]:
        return tuple(o for o in self.ooms if o.escalate)
