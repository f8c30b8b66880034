"""The pipeline around the strategies: window, replicas, sidecars, skips, floors, OOM remediation."""

from __future__ import annotations

import numpy as np
import pytest

from engines.rightsizing.policy import RightsizePolicy
from engines.rightsizing.recommend import rightsize
from engines.rightsizing.registry import get_strategy
from engines.rightsizing.usage import UsageSeries
from tests.unit.rightsizing_factories import (
    GIB,
    MIB,
    STEP,
    container,
    day_of_usage,
    inventory,
    pod,
    series,
    usage,
)

POLICY = RightsizePolicy()
KRR = get_strategy("krr-simple")


def test_replicas_share_one_recommendation_the_largest() -> None:
    small_cpu, small_mem = day_of_usage(cpu=0.1, memory=200 * MIB, seed=1)
    big_cpu, big_mem = day_of_usage(cpu=0.4, memory=800 * MIB, seed=2)
    pods = [pod("web-abc-1"), pod("web-abc-2")]
    data = usage(
        {("web-abc-1", "app"): small_cpu, ("web-abc-2", "app"): big_cpu},
        {("web-abc-1", "app"): small_mem, ("web-abc-2", "app"): big_mem},
    )
    (rec,) = rightsize(data, inventory(pods), POLICY, KRR).recommendations
    assert rec.pods == ("web-abc-1", "web-abc-2") and rec.pod == "web-abc-1"
    assert rec.memory_request_bytes == pytest.approx(big_mem.peak * 1.15, abs=1)
    assert rec.cpu_request_cores == pytest.approx(float(np.percentile(big_cpu.values, 95)), rel=1e-5)


def test_native_sidecars_and_init_containers_are_sized_too() -> None:
    cpu, memory = day_of_usage()
    containers = [container("app"), container("istio-proxy", kind="sidecar"), container("migrate", kind="init")]
    p = pod("web-abc-1", containers)
    data = usage({("web-abc-1", c.name): cpu for c in containers}, {("web-abc-1", c.name): memory for c in containers})
    result = rightsize(data, inventory([p]), POLICY, get_strategy())
    assert {(r.container, r.kind) for r in result.recommendations} == {
        ("app", "container"),
        ("istio-proxy", "sidecar"),
        ("migrate", "init"),
    }


def test_only_the_window_counts_and_it_ends_at_the_newest_sample() -> None:
    old = series(np.full(600, 4.0))  # two days of 4 cores, then 20 quiet days
    recent = series(np.full(20 * 288, 0.2), start=old.last_time + STEP)
    values = np.concatenate([old.values, recent.values])
    times = np.concatenate([old.timestamps, recent.timestamps])
    both = UsageSeries(times, values)
    p = pod("web-abc-1")
    result = rightsize(usage({("web-abc-1", "app"): both}), inventory([p]), POLICY, KRR)
    (rec,) = result.recommendations
    assert rec.cpu_request_cores == pytest.approx(0.2)
    assert result.window_end == both.last_time
    assert result.window_start == pytest.approx(both.last_time - 14 * 86400)


def test_a_resource_without_enough_data_is_left_as_is_with_the_reason() -> None:
    cpu, _ = day_of_usage()
    short = series(np.full(50, 300.0 * MIB))
    p = pod("web-abc-1")
    (rec,) = rightsize(
        usage({("web-abc-1", "app"): cpu}, {("web-abc-1", "app"): short}), inventory([p]), POLICY, KRR
    ).recommendations
    assert rec.cpu_request_cores is not None and rec.memory_request_bytes is None
    assert any("memory: not enough data (50 samples" in r for r in rec.reasons)


def test_floors_apply_and_say_so() -> None:
    p = pod("web-abc-1")
    idle = series(np.zeros(400))
    (rec,) = rightsize(
        usage({("web-abc-1", "app"): idle}, {("web-abc-1", "app"): idle}), inventory([p]), POLICY, KRR
    ).recommendations
    assert rec.cpu_request_cores == pytest.approx(0.01)
    assert rec.memory_request_bytes == 100 * MIB
    assert sum("floor" in r for r in rec.reasons) == 2


def test_usage_of_a_pod_missing_from_the_workloads_is_reported() -> None:
    cpu, memory = day_of_usage()
    data = usage({("web-abc-1", "app"): cpu, ("gone-xyz-9", "app"): cpu}, {("gone-xyz-9", "app"): memory})
    result = rightsize(data, inventory([pod("web-abc-1")]), POLICY, KRR)
    assert [s.pod for s in result.skipped] == ["gone-xyz-9"]
    assert result.skipped[0].reasons == ("pod not in the workloads file",)


def test_an_oom_bump_overrides_a_cut_and_is_capped_by_the_node() -> None:
    cpu, memory = day_of_usage(memory=300 * MIB)
    p = pod("web-abc-1", [container(memory=GIB, oom=True, restarts=1)])
    data = usage({("web-abc-1", "app"): cpu}, {("web-abc-1", "app"): memory})
    result = rightsize(data, inventory([p]), POLICY, get_strategy())
    (rec,) = result.recommendations
    assert rec.memory_request_bytes == pytest.approx(1.2 * GIB, abs=1)
    assert rec.memory_limit_bytes == rec.memory_request_bytes
    assert any("OOM remediation" in r for r in rec.reasons)
    capped = rightsize(data, inventory([p], allocatable=GIB + 50 * MIB), POLICY, get_strategy())
    assert capped.ooms[0].capped_at_node and capped.ooms[0].new_memory_bytes == GIB + 50 * MIB


def test_an_oom_with_no_history_still_gets_its_bump() -> None:
    p = pod("web-abc-1", [container(memory=512 * MIB, oom=True)])
    result = rightsize(usage({}), inventory([p]), POLICY, get_strategy())
    (rec,) = result.recommendations
    assert rec.cpu_request_cores is None
    assert rec.memory_request_bytes == int(np.ceil(512 * MIB * 1.2))  # 1.2 x beats +100 MiB above 500 MiB
    assert result.window_start is None and result.window_end is None


def test_an_empty_cluster_answers_nothing() -> None:
    result = rightsize(usage({}), inventory([]), POLICY, get_strategy())
    assert result.recommendations == () and result.skipped == ()
