"""What the engine answers: recommendations, explicit skips and OOM remediations, each with its reasons."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from engines.rightsizing.inventory import ContainerKind, ContainerResources, WorkloadRef


class EscalationCode(StrEnum):
    """Why an OOM kill goes to a human instead of another bump, for code to test."""

    REPEATED_OOM = "repeated-oom"
    NOTHING_TO_SIZE_FROM = "nothing-to-size-from"
    NODE_FULL = "node-full"


@dataclass(frozen=True, slots=True)
class Escalation:
    code: EscalationCode
    reason: str  # the same words as in the remediation's reasons


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
    reasons: tuple[str, ...]
    escalations: tuple[Escalation, ...] = ()  # in the order their words appear in `reasons`

    @property
    def escalate(self) -> bool:
        return bool(self.escalations)


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
