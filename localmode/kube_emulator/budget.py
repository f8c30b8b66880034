"""PodDisruptionBudget arithmetic as the disruption controller and the eviction subresource apply it.

Shared by the emulator and the in-memory fake so both refuse exactly the evictions a real API server refuses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Pods in these phases are deleted without consulting a budget (eviction.go: canIgnorePDB).
IGNORES_BUDGET_PHASES = frozenset({"Pending", "Succeeded", "Failed"})


def scaled(value: int | str, total: int) -> int:
    """An IntOrString against `total`: percentages round up, as the controller does for both fields.

    >>> scaled("50%", 3), scaled(2, 10)
    (2, 2)
    """
    if isinstance(value, int):
        return value
    text = value.strip()
    if text.endswith("%"):
        return math.ceil(int(text[:-1]) * total / 100)
    return int(text)


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
    """The controller's status for a budget over `expected` matching pods of which `healthy` are Ready."""
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
