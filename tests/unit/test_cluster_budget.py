"""PodDisruptionBudget arithmetic (engines/cluster/budget.py), shared by the file adapter, the emulator and the fake."""

from __future__ import annotations

import pytest

from engines.cluster.budget import count, may_evict, scaled


@pytest.mark.parametrize(
    ("min_available", "max_unavailable", "expected", "desired"),
    [
        (2, None, 3, 2),
        ("50%", None, 3, 2),  # 1.5 rounds up
        ("100%", None, 4, 4),
        ("0%", None, 4, 0),
        (None, 1, 3, 2),
        (None, "25%", 3, 2),  # 0.75 unavailable rounds up to 1
        (None, "30%", 10, 7),
        (None, 0, 5, 5),  # nothing may go
        (None, 5, 3, 0),  # never below zero
        (None, None, 3, 0),  # policy/v1 without either field guards nothing
    ],
)
def test_desired_healthy(
    min_available: int | str | None, max_unavailable: int | str | None, expected: int, desired: int
) -> None:
    assert count(min_available, max_unavailable, expected, healthy=expected).desired == desired


def test_scaled_reads_int_or_string() -> None:
    assert (scaled(3, 10), scaled("3", 10), scaled("33%", 10)) == (3, 3, 4)


def test_unhealthy_and_pending_pods() -> None:
    met, broken = count(2, None, 3, healthy=2), count(2, None, 3, healthy=1)
    assert not may_evict(met, "Running", ready=True)  # no disruption left
    assert may_evict(met, "Running", ready=False)  # IfHealthyBudget: the app is not disrupted
    assert not may_evict(broken, "Running", ready=False)
    assert may_evict(broken, "Pending", ready=False) and may_evict(broken, "Succeeded", ready=False)
