"""Drain plans: which pods to evict from a node, in what order, and what to do when a PDB refuses.

>>> plan = plan_drain([PodView("default", "web-1"), PodView("kube-system", "aws-node-x", owner_kind="DaemonSet")])
>>> [p.name for p in plan.evict], [s.pod.name for s in plan.skipped]
(['web-1'], ['aws-node-x'])
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

CRITICAL_PRIORITY_CLASSES = frozenset({"system-cluster-critical", "system-node-critical"})
TERMINAL_PHASES = frozenset({"Succeeded", "Failed"})

EvictionResult = Literal["evicted", "blocked_by_pdb", "gone"]
Step = Literal["done", "wait", "give-up"]


@dataclass(frozen=True, slots=True)
class PodView:
    """What the drain needs to know about a pod on the node."""

    namespace: str
    name: str
    owner_kind: str | None = None
    mirror: bool = False  # static pod seen through the API (kubernetes.io/config.mirror annotation)
    phase: str = "Running"
    priority: int = 0
    priority_class: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def critical(self) -> bool:
        return self.priority_class in CRITICAL_PRIORITY_CLASSES


@dataclass(frozen=True, slots=True)
class Skipped:
    pod: PodView
    reason: str


@dataclass(frozen=True)
class DrainPlan:
    """Pods to evict in order (non-critical before critical, low priority first) and pods left alone."""

    evict: tuple[PodView, ...]
    skipped: tuple[Skipped, ...]

    def reasons(self) -> tuple[str, ...]:
        lines = [f"{len(self.evict)} pod(s) to evict, non-critical and low priority first"]
        lines += [f"skip {s.pod.ref}: {s.reason}" for s in self.skipped]
        return tuple(lines)


def _skip_reason(pod: PodView) -> str | None:
    if pod.mirror:
        return "mirror (static) pod: the kubelet owns it, the API cannot evict it"
    if pod.owner_kind == "DaemonSet":
        return "DaemonSet pod: its controller would recreate it on the same node"
    if pod.phase in TERMINAL_PHASES:
        return f"pod already {pod.phase}: nothing to move"
    return None


def plan_drain(pods: Iterable[PodView]) -> DrainPlan:
    """Split the pods of a node into the eviction order and the skipped ones, like `kubectl drain`."""
    evict: list[PodView] = []
    skipped: list[Skipped] = []
    for pod in pods:
        reason = _skip_reason(pod)
        if reason is None:
            evict.append(pod)
        else:
            skipped.append(Skipped(pod, reason))
    # Critical pods last (Karpenter's tiers): they keep the node's networking/DNS alive for the others.
    evict.sort(key=lambda p: (p.critical, p.priority, p.namespace, p.name))
    return DrainPlan(tuple(evict), tuple(skipped))


@dataclass(frozen=True)
class DrainDecision:
    """After one eviction round: stop (done / give up) or wait `wait_seconds` and evict the rest again."""

    step: Step
    wait_seconds: int
    evicted: tuple[str, ...]
    blocked: tuple[str, ...]
    reasons: tuple[str, ...]


def next_step(
    results: Sequence[tuple[str, EvictionResult]],
    now: int,
    deadline: int,
    wait_seconds: int,
) -> DrainDecision:
    """Decide after an eviction round. A PDB refusal (HTTP 429) is retried while the deadline allows a
    wait and another round; after that the blocked pods are reported, not forced (the node's own
    termination kills them, as with Karpenter)."""
    evicted = tuple(ref for ref, r in results if r in ("evicted", "gone"))
    blocked = tuple(ref for ref, r in results if r == "blocked_by_pdb")
    if not blocked:
        return DrainDecision("done", 0, evicted, (), (f"{len(evicted)} pod(s) evicted or already gone",))
    left = deadline - now
    if left >= wait_seconds:
        return DrainDecision(
            "wait",
            wait_seconds,
            evicted,
            blocked,
            (
                f"{len(blocked)} pod(s) refused by a PodDisruptionBudget; {left} s left before the deadline: "
                f"wait {wait_seconds} s and retry",
            ),
        )
    return DrainDecision(
        "give-up",
        0,
        evicted,
        blocked,
        (
            f"{len(blocked)} pod(s) still refused by a PodDisruptionBudget with {max(left, 0)} s left: "
            "give up and report them rather than break the budget",
        ),
    )
