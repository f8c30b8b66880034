"""Features and target of the interruption-risk model: no look-ahead, the engine's statistics, the definition."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engines.spot.model import PoolKey, PriceSeries
from ml.contract import FEATURE_NAMES, HOUR, TARGET_HORIZON, WINDOW
from ml.features import COLUMN, feature_tensor
from ml.pricebook import PoolInput, PriceBook
from ml.target import label_matrix

T0 = 1_640_995_200  # 2022-01-01T00:00:00Z, a Saturday
POOLS = [
    ("m5.large", "eu-west-1a"),
    ("m5.xlarge", "eu-west-1a"),
    ("m5.2xlarge", "eu-west-1a"),
    ("c5.large", "eu-west-1b"),
]


def pool(name: str, zone: str, points: list[tuple[int, float]], bucket: int | None = 1) -> PoolInput:
    series = PriceSeries.from_points(points)
    return PoolInput(PoolKey(name, zone), series.times, series.prices, 0.1, bucket)


def features_at(pools: list[PoolInput], at: int) -> np.ndarray:
    return feature_tensor(PriceBook(pools), np.array([at]))[:, 0, :]


price_points = st.lists(
    st.tuples(st.integers(0, 20 * 24 * HOUR), st.floats(0.01, 0.2, allow_nan=False)), min_size=1, max_size=25
)


@settings(max_examples=60, deadline=None)
@given(
    histories=st.lists(price_points, min_size=len(POOLS), max_size=len(POOLS)),
    at_offset=st.integers(0, 20 * 24 * HOUR),
    future=st.lists(st.tuples(st.integers(1, 10 * 24 * HOUR), st.floats(0.01, 0.5)), max_size=10),
    scale=st.floats(0.5, 3.0),
)
def test_changing_or_adding_future_prices_leaves_features_at_t_unchanged(
    histories: list[list[tuple[int, float]]], at_offset: int, future: list[tuple[int, float]], scale: float
) -> None:
    at = T0 + at_offset
    before = [pool(n, z, [(T0 + dt, p) for dt, p in h]) for (n, z), h in zip(POOLS, histories, strict=True)]
    after = []
    for (name, zone), points in zip(POOLS, histories, strict=True):
        changed = [(T0 + dt, p * scale if T0 + dt > at else p) for dt, p in points]
        after.append(pool(name, zone, changed + [(at + dt, p) for dt, p in future]))
    np.testing.assert_array_equal(features_at(before, at), features_at(after, at))


def test_window_statistics_match_the_engines_price_series() -> None:
    rng = np.random.default_rng(7)
    times = np.sort(rng.choice(np.arange(0, 30 * 24 * HOUR, 600), size=80, replace=False)) + T0
    prices = rng.uniform(0.05, 0.07, size=80)
    series = PriceSeries(times.astype(np.int64), prices)
    p = PoolInput(PoolKey("m5.large", "eu-west-1a"), series.times, series.prices, 0.1, 2)
    for at in (int(times[5]), int(times[40]) + 1234, T0 + 29 * 24 * HOUR):
        row = features_at([p], at)[0]
        stats = series.window_stats(at - WINDOW, at)
        assert stats is not None
        assert row[COLUMN["range_7d"]] == pytest.approx(stats.relative_range, rel=1e-9)
        assert row[COLUMN["volatility_7d"]] == pytest.approx(stats.volatility, rel=1e-6, abs=1e-9)
        assert row[COLUMN["changes_7d"]] == stats.changes
        assert row[COLUMN["discount"]] == pytest.approx(1 - series.price_at(at) / 0.1)  # type: ignore[operator]


def test_family_stress_reads_the_other_sizes_of_the_family_in_the_same_zone_only() -> None:
    day = 24 * HOUR
    pools = [
        pool("m5.large", "eu-west-1a", [(T0, 0.05)]),  # flat: position 0.5
        pool("m5.xlarge", "eu-west-1a", [(T0, 0.10), (T0 + day, 0.20)]),  # at its weekly high: position 1
        pool("m5.2xlarge", "eu-west-1a", [(T0, 0.40), (T0 + day, 0.20)]),  # at its low: position 0
        pool("m5.4xlarge", "eu-west-1b", [(T0, 0.40), (T0 + day, 0.80)]),  # other zone: not family here
    ]
    rows = features_at(pools, T0 + day + 12 * HOUR)
    mean, high = COLUMN["family_position_mean"], COLUMN["family_position_max"]
    assert rows[0, mean] == pytest.approx(0.5) and rows[0, high] == 1.0
    assert rows[1, mean] == pytest.approx(0.25) and rows[1, high] == 0.5
    assert np.isnan(rows[3, mean]) and np.isnan(rows[3, high])
    assert rows[1, COLUMN["trend_24h"]] == pytest.approx(1.0)
    assert rows[0, COLUMN["family_trend_24h_max"]] == pytest.approx(1.0)


def test_time_features_and_unpriced_pools() -> None:
    late = pool("m5.large", "eu-west-1a", [(T0 + 5 * HOUR, 0.05)])
    rows = feature_tensor(PriceBook([late]), np.array([T0, T0 + 49 * HOUR]))[0]
    assert np.isnan(rows[0]).all()  # no price yet at T0: no features at all
    assert rows[1, COLUMN["hour"]] == 1 and rows[1, COLUMN["day_of_week"]] == 0 and rows[1, COLUMN["weekend"]] == 0
    assert rows[1, COLUMN["history_hours"]] == pytest.approx(44)
    assert rows.shape[1] == len(FEATURE_NAMES)


@pytest.mark.parametrize(
    ("rise", "after", "expected"),
    [
        (0.03, 6 * HOUR, 1.0),  # exactly 3% counts
        (0.029, 6 * HOUR, 0.0),
        (0.10, TARGET_HORIZON, 1.0),  # the last moment of the horizon counts
        (0.10, TARGET_HORIZON + 1, 0.0),
    ],
)
def test_target_is_a_rise_of_three_percent_within_twelve_hours(rise: float, after: int, expected: float) -> None:
    at = T0 + 10 * HOUR
    p = pool("m5.large", "eu-west-1a", [(T0, 0.05), (at + after, 0.05 * (1 + rise)), (at + after + HOUR, 0.05)])
    assert label_matrix(PriceBook([p]), np.array([at]), data_end=T0 + 100 * HOUR)[0, 0] == expected


def test_target_is_unknown_when_the_horizon_runs_past_the_data_or_before_the_first_price() -> None:
    p = pool("m5.large", "eu-west-1a", [(T0, 0.05)])
    labels = label_matrix(PriceBook([p]), np.array([T0 - HOUR, T0, T0 + HOUR]), data_end=T0 + TARGET_HORIZON)
    assert np.isnan(labels[0, 0]) and labels[0, 1] == 0.0 and np.isnan(labels[0, 2])
