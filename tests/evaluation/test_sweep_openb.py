"""`cloudoptim analyze`'s sweep on a 1,000-node OpenB cluster with Bitbrains-derived usage: the invariants.

Skipped when ../shared/data is absent. The figures (savings %, split, time) come from benchmarks/analyze_openb.py;
these are the guards: every pod placed, no memory request below its observed peak, the plan valid as a whole,
the ledger exact and never above the current cost.
"""

from __future__ import annotations

from functools import cache

import pytest

from benchmarks.traces.bitbrains import JULY, load
from benchmarks.traces.openb import NODES_CSV, PODS_CSV, cluster_path
from benchmarks.traces.openb_usage import derive_usage
from cli.analyze import analyze
from cloudoptim.adapters.day_zero import load_day_zero
from cloudoptim.adapters.kube.cluster import LoadedCluster, load_cluster
from cloudoptim.adapters.kube.workloads import inventory_of
from engines.rightsizing.usage import ContainerKey, UsageData
from engines.sweep.compose import SweepResult
from engines.sweep.policy import SweepPolicy
from engines.sweep.requests import real_peaks

pytestmark = pytest.mark.evaluation


@cache
def swept() -> tuple[LoadedCluster, UsageData, SweepResult]:
    for path in (NODES_CSV, PODS_CSV, JULY):
        if not path.exists():
            pytest.skip(f"../shared/data not found: {path}")
    data = load_day_zero()
    path = cluster_path(1000, 1)
    loaded = load_cluster(path, data)
    inventory = inventory_of(loaded.objects, str(path))
    usage = derive_usage(inventory, load())
    return loaded, usage, analyze(loaded.state, loaded.prices, inventory, usage, data, SweepPolicy())


def test_every_pod_that_ran_runs_on_a_live_node_and_the_plan_validates() -> None:
    loaded, _, result = swept()
    live = {n.name for n in result.nodes_after}
    ran = {p.key for p in loaded.state.pods if p.node is not None and p.is_active and not p.is_daemon}
    assert {k for k in ran if result.placements.get(k) not in live} == set()
    assert result.problems == ()


def test_no_memory_request_below_its_observed_peak() -> None:
    loaded, usage, result = swept()
    peaks = real_peaks(inventory_of(loaded.objects, "openb"), usage)
    low = [
        r
        for r in result.requests
        if r.memory_request_bytes < peaks.get(ContainerKey(r.namespace, r.pod, r.container), 0)
    ]
    assert low == []


def test_the_ledger_is_exact_and_saves_something_without_exceeding_the_cost() -> None:
    _, _, result = swept()
    ledger = result.ledger
    assert ledger.problems() == []
    assert sum(ledger.by_capability().values()) == ledger.savings_micro
    assert 0 < ledger.savings_micro <= ledger.cost_before_micro
    assert ledger.cost_after_micro == sum(round(n.price_per_hour * 1e6) for n in result.nodes_after)
