from hypothesis import given
from hypothesis import strategies as st

from engines.spot.model import PriceSeries

H = 3600


def series() -> PriceSeries:
    return PriceSeries.from_points([(0, 1.0), (10 * H, 2.0), (20 * H, 1.5)])


def test_price_at_is_the_price_in_force() -> None:
    s = series()
    assert s.price_at(-1) is None
    assert s.price_at(0) == 1.0
    assert s.price_at(10 * H - 1) == 1.0
    assert s.price_at(10 * H) == 2.0
    assert s.price_at(99 * H) == 1.5


def test_integral_is_price_times_hours() -> None:
    s = series()
    assert s.integral(0, 10 * H) == 10.0
    assert s.integral(5 * H, 15 * H) == 5 * 1.0 + 5 * 2.0
    assert s.integral(-10 * H, 0) == 0.0  # no price known before the first point


def test_max_between_includes_the_price_in_force_at_start() -> None:
    s = series()
    assert s.max_between(5 * H, 9 * H) == 1.0
    assert s.max_between(5 * H, 10 * H) == 2.0
    assert s.max_between(21 * H, 30 * H) == 1.5


def test_window_stats_are_time_weighted() -> None:
    stats = series().window_stats(0, 20 * H)
    assert stats is not None
    assert stats.mean == 1.5
    assert stats.minimum == 1.0 and stats.maximum == 2.0
    assert stats.covered_hours == 20.0
    assert abs(stats.volatility - 0.5 / 1.5) < 1e-12


points = st.lists(st.tuples(st.integers(0, 1000 * H), st.floats(0.001, 10.0)), min_size=1, max_size=40)


@given(points, st.integers(0, 1000 * H), st.integers(1, 500 * H))
def test_window_mean_lies_between_min_and_max(pts: list[tuple[int, float]], start: int, length: int) -> None:
    s = PriceSeries.from_points(pts)
    stats = s.window_stats(start, start + length)
    if stats is not None:
        assert stats.minimum - 1e-9 <= stats.mean <= stats.maximum + 1e-9
        assert stats.covered_hours <= length / H + 1e-9


@given(points, st.integers(0, 1000 * H), st.integers(1, 500 * H), st.integers(1, 500 * H))
def test_integral_is_additive(pts: list[tuple[int, float]], start: int, a: int, b: int) -> None:
    s = PriceSeries.from_points(pts)
    whole = s.integral(start, start + a + b)
    parts = s.integral(start, start + a) + s.integral(start + a, start + a + b)
    assert abs(whole - parts) < 1e-6
