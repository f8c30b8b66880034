"""The drill under faults and hostile messages, and the counters that must fire when drains run out of time.

On the package's local stack (tests/e2e/conftest.py): moto with the Lambdas in-process, the Kubernetes emulator.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from localmode.drill import DrillRun, DrillSettings
from localmode.stack import LocalStack


@pytest.fixture
def slow_pods(local_stack: LocalStack) -> Iterator[LocalStack]:
    """Evicted pods take a minute to be Ready elsewhere: longer than a late notice leaves to drain. And every workload
    namespace gets a budget allowing no disruption at all, so whichever nodes the drill interrupts (the cluster's
    shape depends on the tests before), a drain with pods to move cannot finish before the reclaim."""
    store = local_stack.kube.store
    namespaces = sorted({p["metadata"]["namespace"] for p in store.list_pods()} - {"kube-system"})
    budgets = [(ns, "drill-no-disruption") for ns in namespaces]
    for ns, name in budgets:
        store.create_pdb(ns, {"kind": "PodDisruptionBudget", "apiVersion": "policy/v1", "metadata": {"name": name},
                              "spec": {"selector": {}, "maxUnavailable": 0}})  # fmt: skip
    store.set_pod_ready_seconds(60.0)
    try:
        yield local_stack
    finally:
        store.set_pod_ready_seconds(local_stack.settings.pod_ready_seconds)
        with store.operation():
            for key in budgets:
                store.state.pdbs.pop(key, None)


def test_faults_and_hostile_messages_lose_no_notice_and_start_nothing_hostile(local_stack: LocalStack) -> None:
    settings = DrillSettings(events=12, duplicates=0.0, seed=11, faults=0.34, hostile=8, rate_per_second=10)
    run = DrillRun(local_stack, settings)
    report = run.run()

    assert report["executions_started"] == report["executions_succeeded"] == report["unique_events"] == 12
    assert report["faults_injected"] == len(run.faults.planned) == 4  # every planned fault fired, once
    assert set(report["faults_by_kind"]) == {"ingest-crash", "task-crash", "dynamodb-throttle", "lambda-timeout"}
    assert report["deadline_misses"] == 0  # the crashed and timed-out notices were retried inside two minutes
    assert (report["hostile_sent"], report["hostile_started"]) == (8, 0)
    assert report["dlq_messages"] == report["pdb_violations"] == report["drains_incomplete"] == 0


def test_drains_out_of_time_are_incomplete_not_successes_and_their_budget_breaches_count(slow_pods: LocalStack) -> None:
    # Warnings delivered 100 s late leave 20 s to drain; budget-guarded pods cannot be evicted (their replacements
    # are Ready after 60 s, and the fixture's budgets allow no disruption), so drains give up, and the Spot reclaim
    # then takes those pods with the node: each a budget breach, counted.
    settings = DrillSettings(events=6, duplicates=0.0, seed=5, rebalance_share=0.0, event_age_seconds=100.0)
    report = DrillRun(slow_pods, settings).run()

    assert report["executions_started"] == 6
    assert report["drains_incomplete"] >= 1
    assert report["executions_succeeded"] == 6 - report["drains_incomplete"]
    assert report["pdb_violations"] >= 1
    assert report["latency_ms"]["event_to_drained_p99"] >= 100_000  # given-up drains count at their give-up time
