"""PodDisruptionBudget arithmetic as Kubernetes' disruption controller and the eviction subresource apply it.

One copy for everything that counts a budget itself: the kubectl-file adapter (when the file has no status from
the controller), the API emulator and the in-memory fake, so all three allow exactly what a real cluster allows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Pods in these phases are deleted without consulting a budget (eviction.go: canIgnorePDB).
IGNORES_BUDGET_PHASES = frozenset({"Pending", "Succeeded", "Failed"})


def scaled(value: int | str, total: int) -> int:
    """An IntOrString against `total`: percentages round up, as the controller does for both fields.

    >>> scaled("50%", 3), scaled(2, 10), scaled("3", 10)
    (2, 2, 3)
    """
    if isinstance(value, int):
        return value
    text = value.strip()
    if text.endswith("%"):
        try:
            percent = int(text[:-1])  # intstr accepts whole percentages only
        except ValueError:
            raise ValueError(f"{value!r} is not a percentage") from None
        return math.ceil(percent * total / 100)
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{value!r} is neither an integer nor a percentage") from None


@dataclass(frozen=True, slots=True)
class BudgetCount:
    """One budget's status: pods it expects, how many are Ready, how many must stay Ready."""

    expected: int
    healthy: int
    desired: int

    @property
    def disruptions_allowed(self) -> int:
        return max(self.healthy - self.desired, 0)


def count(
    min_available: int | str | None, max_unavailable: int | str | None, expected: int, healthy: int
) -> BudgetCount:
    """The controller's status for a budget over `expected` matching pods of which `healthy` are Ready.

    Both fields scale against the expected pods (the controllers' replicas; the matching pods when only those
    are known), never against the healthy ones: a budget must not loosen while pods are down.

    >>> count(None, 1, expected=3, healthy=2).disruptions_allowed  # one pod is already down
    0
    >>> count("50%", None, expected=4, healthy=4).disruptions_allowed
    2
    """
    if max_unavailable is not None:
        desired = max(expected - scaled(max_unavailable, expected), 0)
    elif min_available is not None:
        desired = scaled(min_available, expected)
    else:
        desired = 0  # policy/v1 has no default: a budget with neither field guards nothing
    return BudgetCount(expected=expected, healthy=healthy, desired=desired)


def may_evict(budget: BudgetCount, phase: str, ready: bool) -> bool:
    """Whether evicting one pod guarded by `budget` is allowed.

    A Ready pod consumes one allowed disruption. A Running pod that is not Ready may go only while the
    application is not already disrupted (unhealthyPodEvictionPolicy IfHealthyBudget, the default).
    """
    if phase in IGNORES_BUDGET_PHASES:
        return True
    if ready:
        return budget.disruptions_allowed > 0
    return budget.healthy >= budget.desired


def refusal_message(name: str, budget: BudgetCount) -> str:
    """The API server's words for the DisruptionBudget cause of a 429."""
    return f"The disruption budget {name} needs {budget.desired} healthy pods and has {budget.healthy} currently"
