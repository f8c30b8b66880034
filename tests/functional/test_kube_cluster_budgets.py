"""Budgets read from a kubectl file without the controller's status: counted by Kubernetes' rule
(engines/cluster/budget.py), against the pods the budget selects, with only Ready pods healthy."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest

from cloudoptim.adapters.day_zero import load_day_zero
from cloudoptim.adapters.kube.cluster import parse_cluster
from cloudoptim.adapters.node_prices import price_book
from cloudoptim.errors import InputFileError
from engines.cluster.capacity import PriceBook
from tests.fakes.kube_cluster import cluster, node, pdb, pod


@cache
def _prices() -> PriceBook:
    return price_book(load_day_zero(), "eu-west-1")


def _allowed(ready: list[bool], pending: int = 0, **budget: Any) -> int:
    web = [pod("shop", f"web-{i}", "node-a", {"app": "web"}, ready=r) for i, r in enumerate(ready)]
    waiting = [pod("shop", f"web-new-{i}", None, {"app": "web"}) for i in range(pending)]
    document = cluster(
        node("node-a", "i-0aaaaaaaaaaaaaaa1"), *web, *waiting, pdb("shop", "web", {"app": "web"}, **budget)
    )
    (found,) = parse_cluster(document, _prices()).pdbs
    return found.disruptions_allowed


def test_all_ready_allows_what_the_budget_says() -> None:
    assert _allowed([True] * 4, max_unavailable=1) == 1
    assert _allowed([True] * 4, min_available="50%") == 2
    assert _allowed([True] * 4, max_unavailable="25%") == 1


def test_a_pod_already_down_uses_up_the_budget() -> None:
    # Kubernetes scales maxUnavailable against the expected pods (4), not the healthy ones (3): nothing is left.
    assert _allowed([True, True, True, False], max_unavailable=1) == 0
    assert _allowed([True, True, True, False], min_available="75%") == 0


def test_pending_pods_are_expected_but_not_healthy() -> None:
    assert _allowed([True] * 3, pending=1, max_unavailable=1) == 0
    assert _allowed([True] * 3, pending=1, min_available=2) == 1


def test_a_budget_without_either_field_guards_nothing() -> None:
    assert _allowed([True] * 3) == 3


def test_malformed_values_name_the_budget() -> None:
    with pytest.raises(InputFileError, match=r"PodDisruptionBudget shop/web: '12.5%' is not a percentage"):
        _allowed([True] * 2, max_unavailable="12.5%")
    with pytest.raises(InputFileError, match="'two' is neither an integer nor a percentage"):
        _allowed([True] * 2, min_available="two")
