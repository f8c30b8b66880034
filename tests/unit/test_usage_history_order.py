"""The usage history does not depend on the order samples arrive in: a late (retried or back-filled) hour lands in
its own place, and each hour keeps its peak."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cloudoptim.optimization.ports import UsageSample
from cloudoptim.optimization.usage_history import HOUR, merge, span_hours

samples = st.lists(st.tuples(st.integers(0, 48), st.floats(0, 8), st.integers(0, 2**34)), min_size=1, max_size=40)


@given(samples, st.randoms())
def test_any_arrival_order_gives_the_same_history(taken: list[tuple[int, float, int]], shuffle: object) -> None:
    def folded(order: list[tuple[int, float, int]]) -> dict[str, list[list[float]]]:
        history = None
        for hour, cpu, memory in order:
            history = merge(history, [UsageSample("ns", "p", "c", cpu, memory)], now=hour * HOUR + 60)
        assert history is not None
        return dict(history["containers"])

    shuffled = list(taken)
    shuffle.shuffle(shuffled)  # type: ignore[attr-defined]
    ordered = folded(sorted(taken))
    assert folded(shuffled) == ordered
    rows = ordered["ns/p/c"]
    assert [r[0] for r in rows] == sorted({h * HOUR for h, _, _ in taken})
    assert span_hours({"containers": ordered}) == len({h for h, _, _ in taken})
    for row in rows:
        assert row[1] == max(c for h, c, _ in taken if h * HOUR == row[0])
