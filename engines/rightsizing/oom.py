"""OOM remediation (E4): VPA's bump for an OOM-killed container, capped by its node, escalated when it repeats.

used = max(the memory limit (else request) the container had when it was killed, the observed peak);
new memory = max(used + 100 MiB, used x 1.2), at most the node's allocatable memory. After 3 restarts ending in
OOMKilled, or when the node cannot give more, a human decides instead of another blind bump.
"""

from __future__ import annotations

import math

from engines.rightsizing.inventory import Node, Pod, PodContainer
from engines.rightsizing.policy import OomPolicy
from engines.rightsizing.result import Escalation, EscalationCode, OomRemediation
from engines.rightsizing.strategy import fmt_bytes


def remediate(
    pod: Pod, container: PodContainer, observed_peak: float, node: Node | None, policy: OomPolicy
) -> OomRemediation | None:
    """The remediation for one container, or None when its status shows no OOM kill."""
    status = container.status
    if not status.oom_killed:
        return None
    when = "last termination" if status.last_termination_reason == "OOMKilled" else "current state"
    reasons = [f"OOMKilled ({when}); restarts: {status.restart_count}"]
    had = container.resources.ceiling("memory")
    used = max(had or 0.0, observed_peak)
    reasons.append(
        f"used {fmt_bytes(used)} = max(memory {'limit/request' if had else 'unset'} "
        f"{fmt_bytes(had or 0)}, observed peak {fmt_bytes(observed_peak)})"
    )
    needed = max(used + policy.min_bump_bytes, used * policy.bump_ratio)
    reasons.append(
        f"bump to {fmt_bytes(needed)} = max(used + {fmt_bytes(policy.min_bump_bytes)}, used x {policy.bump_ratio:g})"
    )
    escalations: list[Escalation] = []

    def escalate(code: EscalationCode, why: str) -> None:
        escalations.append(Escalation(code, why))
        reasons.append(why)

    if status.restart_count >= policy.escalate_after_restarts:
        escalate(
            EscalationCode.REPEATED_OOM,
            f"escalated: {status.restart_count} restarts with an OOM kill (>= {policy.escalate_after_restarts}); "
            "a human should check for a leak or a bigger node instead of another bump",
        )
    if used <= 0:
        escalate(
            EscalationCode.NOTHING_TO_SIZE_FROM, "escalated: no memory request, limit or usage to size a bump from"
        )
    capped = False
    allocatable = node.allocatable_memory_bytes if node else None
    if allocatable is not None and needed > allocatable:
        capped = True
        needed = float(allocatable)
        reasons.append(f"capped at node {node.name if node else '?'} allocatable {fmt_bytes(allocatable)}")
        if allocatable <= used:
            escalate(
                EscalationCode.NODE_FULL, "escalated: the node has no more memory to give; the pod needs a bigger node"
            )
    elif allocatable is None:
        reasons.append("node allocatable unknown: the bump is not capped")
    return OomRemediation(
        namespace=pod.namespace,
        pod=pod.name,
        container=container.name,
        node=pod.node,
        restart_count=status.restart_count,
        used_bytes=math.ceil(used),
        new_memory_bytes=None if escalations else math.ceil(needed) if not capped else int(needed),
        capped_at_node=capped,
        reasons=tuple(reasons),
        escalations=tuple(escalations),
    )
