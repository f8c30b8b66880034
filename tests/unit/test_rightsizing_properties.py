"""Invariants of rightsizing and OOM remediation, for every registered strategy (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from engines.rightsizing import oom
from engines.rightsizing.inventory import Autoscaler, Node
from engines.rightsizing.policy import OomPolicy, RightsizePolicy
from engines.rightsizing.recommend import rightsize
from engines.rightsizing.registry import get_strategy, strategy_names
from engines.rightsizing.result import RightsizeResult
from engines.rightsizing.usage import UsageData
from tests.unit.rightsizing_factories import GIB, MIB, NS, WEB, container, inventory, pod, series, usage

POLICY = RightsizePolicy()
strategies = st.sampled_from(strategy_names())


@st.composite
def shapes(draw: st.DrawFn, high: float) -> list[float]:
    """300-900 samples every 5 minutes (over the 24 h and 100 samples the policy needs): a drawn profile of
    2-24 points, interpolated, with drawn spikes."""
    points = draw(st.lists(st.floats(0, high, allow_nan=False), min_size=2, max_size=24))
    n = draw(st.integers(300, 900))
    values = np.interp(np.linspace(0, len(points) - 1, n), np.arange(len(points)), points)
    for index, value in draw(st.lists(st.tuples(st.integers(0, n - 1), st.floats(0, high)), max_size=5)):
        values[index] = value
    return [float(v) for v in values]


cpu_values = shapes(16.0)
memory_values = shapes(64.0 * GIB)
current_memory = st.integers(64 * MIB, 128 * GIB)


# A node big enough for every drawn usage (x5 scaled, x1.3 per replica): usage above the node is refused (sanity.py)
BIG_NODE = {"allocatable": 512 * GIB, "node_cpu": 128.0}


def run(
    name: str, cpu: list[float], memory: list[float], current: int = 8 * GIB, replicas: int = 1, **inv: object
) -> RightsizeResult:
    pods = [pod(f"web-abc-{i}", [container(memory=current)]) for i in range(replicas)]
    data = usage(
        {(p.name, "app"): series(cpu) for p in pods},
        {(p.name, "app"): series(np.asarray(memory) * (1 + i / 10)) for i, p in enumerate(pods)},
    )
    node = BIG_NODE | inv
    node["cpu"] = node.pop("node_cpu")
    return rightsize(data, inventory(pods, **node), POLICY, get_strategy(name))  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(strategies, cpu_values, memory_values, current_memory)
def test_recommendations_respect_floors_and_memory_limit_equals_request(
    name: str, cpu: list[float], memory: list[float], current: int
) -> None:
    result = run(name, cpu, memory, current)
    (rec,) = result.recommendations
    assert rec.cpu_request_cores is not None and rec.cpu_request_cores >= POLICY.cpu_floor_cores
    assert rec.memory_request_bytes is not None and rec.memory_request_bytes >= POLICY.memory_floor_bytes
    if name == "vpa-target":  # VPA keeps the limit's ratio to the request (1:1 here)
        assert rec.memory_limit_bytes is not None and rec.memory_limit_bytes >= rec.memory_request_bytes
    else:
        assert rec.memory_limit_bytes == rec.memory_request_bytes
    assert rec.reasons


@settings(max_examples=60, deadline=None)
@given(strategies, st.integers(0, POLICY.min_samples - 1), st.floats(60, 3600))
def test_never_recommends_from_fewer_than_the_minimum_samples(name: str, n: int, step: float) -> None:
    values = np.linspace(0.1, 1.0, n)
    p = pod("web-abc-0")
    data = usage({(p.name, "app"): series(values, step=step)}, {(p.name, "app"): series(values * GIB, step=step)})
    result = rightsize(data, inventory([p]), POLICY, get_strategy(name))
    assert not result.recommendations
    (skipped,) = result.skipped
    assert all("not enough data" in r for r in skipped.reasons)


@settings(max_examples=40, deadline=None)
@given(strategies, st.integers(100, 287))
def test_never_recommends_from_less_than_a_day(name: str, n: int) -> None:
    values = np.full(n, 0.5)
    p = pod("web-abc-0")
    data = usage({(p.name, "app"): series(values)}, {(p.name, "app"): series(values * GIB)})
    assert not rightsize(data, inventory([p]), POLICY, get_strategy(name)).recommendations


@settings(max_examples=60, deadline=None)
@given(strategies, cpu_values, memory_values, current_memory, st.floats(1.0, 5.0))
def test_scaling_usage_up_never_lowers_the_recommendation(
    name: str, cpu: list[float], memory: list[float], current: int, factor: float
) -> None:
    base = run(name, cpu, memory, current).recommendations[0]
    scaled = run(name, [v * factor for v in cpu], [v * factor for v in memory], current).recommendations[0]
    assert scaled.cpu_request_cores is not None and base.cpu_request_cores is not None
    assert scaled.memory_request_bytes is not None and base.memory_request_bytes is not None
    assert scaled.cpu_request_cores >= base.cpu_request_cores - 1e-6
    assert scaled.memory_request_bytes >= base.memory_request_bytes - 1


@settings(max_examples=40, deadline=None)
@given(strategies, cpu_values, memory_values, st.integers(1, 3))
def test_a_replica_more_never_lowers_the_recommendation(
    name: str, cpu: list[float], memory: list[float], n: int
) -> None:
    one = run(name, cpu, memory).recommendations[0]
    more = run(name, cpu, memory, replicas=n + 1).recommendations[0]
    assert more.memory_request_bytes is not None and one.memory_request_bytes is not None
    if name != "vpa-target":  # VPA pools replicas into one histogram: its p90 is not a max across pods
        assert more.memory_request_bytes >= one.memory_request_bytes


@settings(max_examples=40, deadline=None)
@given(strategies, cpu_values, memory_values, st.sets(st.sampled_from(["cpu", "memory"]), min_size=1))
def test_a_resource_an_hpa_scales_on_is_never_recommended(
    name: str, cpu: list[float], memory: list[float], resources: set[str]
) -> None:
    hpa = Autoscaler(NS, "web", WEB, frozenset(resources))
    result = run(name, cpu, memory, autoscalers=[hpa])
    item = result.recommendations[0] if result.recommendations else result.skipped[0]
    text = " ".join(item.reasons)
    for resource in resources:
        assert f"HPA web scales {WEB} on {resource}" in text
    if result.recommendations:
        rec = result.recommendations[0]
        assert ("cpu" not in resources) == (rec.cpu_request_cores is not None)
        assert ("memory" not in resources) == (rec.memory_request_bytes is not None)


@settings(max_examples=100, deadline=None)
@given(
    st.integers(0, 64 * GIB),
    st.floats(0, 64 * GIB, allow_nan=False),
    st.integers(0, 2),
    st.one_of(st.none(), st.integers(1 * GIB, 256 * GIB)),
)
def test_oom_bump_is_at_least_vpas_and_within_the_node(
    limit: int, peak: float, restarts: int, node: int | None
) -> None:
    policy = OomPolicy()
    c = container(memory=limit or None, restarts=restarts, oom=True)
    remedy = oom.remediate(pod("web-abc-0", [c]), c, peak, Node("n1", node), policy)
    assert remedy is not None
    used = max(limit, peak)
    assert remedy.used_bytes >= used
    if remedy.new_memory_bytes is None:
        assert remedy.escalate
        return
    if node is not None:
        assert remedy.new_memory_bytes <= node
    if not remedy.capped_at_node:
        assert remedy.new_memory_bytes >= used + policy.min_bump_bytes
        assert remedy.new_memory_bytes >= used * policy.bump_ratio


@settings(max_examples=50, deadline=None)
@given(st.integers(3, 50), st.integers(64 * MIB, 8 * GIB))
def test_three_repeated_ooms_escalate_instead_of_bumping(restarts: int, limit: int) -> None:
    c = container(memory=limit, restarts=restarts, oom=True)
    p = pod("web-abc-0", [c])
    remedy = oom.remediate(p, c, 0.0, Node("n1", 64 * GIB), OomPolicy())
    assert remedy is not None and remedy.escalate and remedy.new_memory_bytes is None
    result = rightsize(UsageData(), inventory([p]), POLICY, get_strategy())
    (rec,) = result.recommendations
    assert rec.escalate and rec.memory_request_bytes is None
    assert result.escalations()


@settings(max_examples=60, deadline=None)
@given(strategies, cpu_values, memory_values, st.floats(0.5, 8.0), st.integers(1, 32))
def test_usage_beyond_the_node_is_refused_and_no_request_exceeds_the_largest_node(
    name: str, cpu: list[float], memory: list[float], node_cpu: float, node_gib: int
) -> None:
    result = run(name, cpu, memory, allocatable=node_gib * GIB, node_cpu=node_cpu)
    for rec in result.recommendations:
        assert rec.cpu_request_cores is None or rec.cpu_request_cores <= node_cpu + 1e-9
        assert rec.memory_request_bytes is None or rec.memory_request_bytes <= node_gib * GIB
        assert rec.memory_limit_bytes is None or rec.memory_limit_bytes <= node_gib * GIB
    reasons = [r for rec in result.recommendations for r in rec.reasons]
    reasons += [r for skipped in result.skipped for r in skipped.reasons]
    text = " ".join(reasons)
    if max(cpu) > node_cpu * 1.05:
        assert "CPU left as is: the usage of pod web-abc-0 cannot be real: peak" in text
    if max(memory) > node_gib * GIB * 1.05:
        assert "memory left as is: the usage of pod web-abc-0 cannot be real: peak" in text
