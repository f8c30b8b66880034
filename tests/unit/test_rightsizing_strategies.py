"""The three strategies on hand-made series: KRR's and VPA's published rules, CloudOptim's design."""

from __future__ import annotations

import numpy as np
import pytest

from engines.rightsizing.histogram import ExponentialBuckets, decaying_percentile
from engines.rightsizing.inventory import ContainerResources
from engines.rightsizing.registry import get_strategy, strategy_names
from engines.rightsizing.stats import interval_peaks, theil_sen_slope
from engines.rightsizing.strategy import EstimateInput
from engines.rightsizing.usage import UsageSeries
from tests.unit.rightsizing_factories import GIB, MIB, STEP, T0, series

DAY = 86400.0
CURRENT = ContainerResources(4.0, None, 16 * GIB, 16 * GIB)


def data(cpu: list[UsageSeries], memory: list[UsageSeries], current: ContainerResources = CURRENT) -> EstimateInput:
    end = max(s.last_time for s in (*cpu, *memory))
    return EstimateInput(tuple(cpu), tuple(memory), current, 1, end)


def test_registry_names_and_unknown_name() -> None:
    assert strategy_names() == ["cloudoptim", "krr-simple", "vpa-target"]
    with pytest.raises(KeyError, match="known: cloudoptim"):
        get_strategy("nope")


def test_krr_simple_is_p95_and_max_times_1_15_across_pods() -> None:
    a, b = series(np.linspace(0, 1, 101)), series(np.linspace(0, 2, 101))
    krr = get_strategy("krr-simple")
    assert krr.cpu(data([a, b], [a])).value == pytest.approx(1.9)  # p95 of the busier pod
    assert krr.memory(data([a], [a, b])).value == pytest.approx(2 * 1.15)


def test_vpa_buckets_match_vpa() -> None:
    cpu = ExponentialBuckets(0.01, 1.05, 1000.0)
    memory = ExponentialBuckets(1e7, 1.05, 1e12)
    assert cpu.count == 176 and memory.count == 176  # as histogram_options.go computes
    assert cpu.start(1) == pytest.approx(0.01)
    assert cpu.find(np.array([0.0, 0.0099, 0.0101, 0.021, 5e6])).tolist() == [0, 0, 1, 2, 175]


def test_vpa_percentile_answers_the_end_of_the_bucket() -> None:
    buckets = ExponentialBuckets(0.01, 1.05, 1000.0)
    values = np.array([0.5] * 9 + [2.0])
    p90 = decaying_percentile(values, np.zeros(10), np.ones(10), buckets, 86400.0, 0.9)
    bucket = int(buckets.find(np.array([0.5]))[0])
    assert p90 == pytest.approx(buckets.start(bucket + 1))
    assert p90 > 0.5


def test_vpa_decay_halves_the_weight_of_a_day_old_sample() -> None:
    buckets = ExponentialBuckets(0.01, 1.05, 1000.0)
    # one old high sample weighs 2^-1 against two recent low ones: p50 stays low; equal weights would not.
    values, times = np.array([1.0, 0.1]), np.array([0.0, DAY])
    low = decaying_percentile(values, times, np.ones(2), buckets, DAY, 0.5)
    assert low < 0.2


def test_vpa_target_memory_uses_daily_peaks_and_the_margin() -> None:
    # 4 days, each with one 1 GiB spike and 100 MiB otherwise: every daily peak is 1 GiB.
    values = np.full(4 * 288, 100.0 * MIB)
    values[::288] = GIB
    estimate = get_strategy("vpa-target").memory(data([series(values)], [series(values)]))
    assert estimate.value == pytest.approx(GIB * 1.15, rel=0.06)  # bucket end is at most 5% above
    assert estimate.limit == pytest.approx(estimate.value)  # limit keeps its 1:1 ratio


def test_vpa_pod_minimum_is_split_across_containers() -> None:
    idle = series(np.zeros(200))
    vpa = get_strategy("vpa-target")
    # idle usage sits in bucket 0, whose end is 10m: x 1.15 = 11.5m, above 25m / 5 containers...
    assert vpa.cpu(EstimateInput((idle,), (idle,), CURRENT, 5, idle.last_time)).value == pytest.approx(0.0115)
    # ...but below 25m / 2 containers
    assert vpa.cpu(EstimateInput((idle,), (idle,), CURRENT, 2, idle.last_time)).value == pytest.approx(0.0125)


def test_cloudoptim_cpu_is_p90_plus_square_root_headroom() -> None:
    flat = series(np.full(500, 1.0))
    estimate = get_strategy("cloudoptim").cpu(data([flat], [flat]))
    assert estimate.value == pytest.approx(1.0 + 0.1)
    assert "p90" in estimate.reasons[0]


def test_cloudoptim_memory_headroom_grows_with_the_square_root_of_the_peak() -> None:
    co = get_strategy("cloudoptim")
    small, big = series(np.full(500, 1.0 * GIB)), series(np.full(500, 16.0 * GIB))
    current = ContainerResources(4.0, None, 64 * GIB, 64 * GIB)
    assert co.memory(data([small], [small], current)).value == pytest.approx(1.6 * GIB)  # +0.6 GiB
    assert co.memory(data([big], [big], current)).value == pytest.approx(18.4 * GIB)  # +2.4 GiB (15%)


def test_cloudoptim_headroom_never_lifts_above_the_current_limit_but_the_peak_can() -> None:
    co = get_strategy("cloudoptim")
    used = series(np.full(500, 1.0 * GIB))
    tight = ContainerResources(1.0, None, int(1.2 * GIB), int(1.2 * GIB))
    assert co.memory(data([used], [used], tight)).value == pytest.approx(1.2 * GIB)
    below = ContainerResources(1.0, None, GIB // 2, GIB // 2)
    assert co.memory(data([used], [used], below)).value == pytest.approx(1.05 * GIB)


def test_cloudoptim_projects_a_rising_trend_of_daily_peaks() -> None:
    days = 10
    values = np.concatenate([np.full(288, (1 + 0.1 * d) * GIB) for d in range(days)])
    rising = series(values)
    flat = series(np.full(days * 288, values.max()))
    co = get_strategy("cloudoptim")
    current = ContainerResources(4.0, None, 64 * GIB, 64 * GIB)
    assert co.memory(data([rising], [rising], current)).value > co.memory(data([flat], [flat], current)).value
    assert any("rise" in r for r in co.memory(data([rising], [rising], current)).reasons)


def test_interval_peaks_and_theil_sen() -> None:
    s = UsageSeries(
        T0 + STEP * np.arange(3 * 288, dtype=np.float64), np.repeat([1.0, 3.0, 2.0], 288).astype(np.float64)
    )
    assert interval_peaks(s, s.last_time).tolist() == [1.0, 3.0, 2.0]
    assert theil_sen_slope(np.array([1.0, 2.0, 3.0, 4.0, 40.0])) == pytest.approx(1.0)  # one odd day does not drag it
