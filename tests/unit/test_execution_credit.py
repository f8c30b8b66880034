"""The ledger's realised savings count each node dollar once: whatever the order of kept executions, realised never
exceeds what the node changes measured, claims are realised only by consolidation or node rightsizing, and no claim
is lost or doubled (what a kind realised plus what it still claims is what its guards priced)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engines.execution.credit import credit

KINDS = ("consolidation", "node_rightsizing", "spot", "workload_rightsizing", "oom")
events = st.lists(st.tuples(st.sampled_from(KINDS), st.floats(-2, 20, allow_nan=False)), max_size=30)


@given(events)
def test_realised_is_the_node_dollars_measured_and_nothing_is_lost(steps: list[tuple[str, float]]) -> None:
    realised: dict[str, float] = {}
    claims: dict[str, float] = {}
    for kind, saving in steps:
        done = credit(realised, claims, kind, saving)
        realised, claims = done.realised, done.claims
    measured = sum(s for k, s in steps if k not in ("workload_rightsizing", "oom"))
    assert sum(realised.values()) == pytest.approx(measured, abs=1e-4)  # each node dollar once, none invented
    for kind in ("workload_rightsizing", "oom"):  # a claim only moves to realised: none lost, none doubled
        claimed = sum(s for k, s in steps if k == kind)
        assert realised.get(kind, 0.0) + claims.get(kind, 0.0) == pytest.approx(claimed, abs=1e-4)


def test_a_consolidation_credits_the_rightsizing_that_freed_its_nodes_first() -> None:
    first = credit({}, {}, "workload_rightsizing", 30.0)
    assert first.realised == {} and first.claims == {"workload_rightsizing": 30.0}
    after = credit(first.realised, first.claims, "consolidation", 50.0)
    assert after.realised == {"workload_rightsizing": 30.0, "consolidation": 20.0}
    assert after.claims == {"workload_rightsizing": 0.0} and "credited to them" in after.reason
    short = credit(first.realised, first.claims, "node_rightsizing", 12.0)
    assert short.realised == {"workload_rightsizing": 12.0, "node_rightsizing": 0.0}
    assert short.claims == {"workload_rightsizing": 18.0}


def test_a_spot_move_saves_by_price_and_cashes_no_claim() -> None:
    claimed = credit({}, {}, "oom", 1.0)
    spot = credit(claimed.realised, claimed.claims, "spot", 4.0)
    assert spot.realised == {"spot": 4.0} and spot.claims == {"oom": 1.0}
