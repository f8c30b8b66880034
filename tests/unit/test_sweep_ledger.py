"""The sweep's ledger: every dollar once, the capabilities adding up exactly, never more than the current cost."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from engines.sweep.ledger import Capability, Entry, Ledger, attribute, split

amounts = st.integers(min_value=0, max_value=10**12)
savings = st.lists(st.integers(min_value=1, max_value=10**9), min_size=1, max_size=40)


@given(amounts, st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=40))
def test_split_adds_up_exactly_and_never_goes_negative(amount: int, weights: list[int]) -> None:
    parts = split(amount, weights)
    assert sum(parts) == amount
    assert all(p >= 0 for p in parts)


@given(savings, amounts)
def test_each_action_saving_is_shared_once_and_consolidation_never_claims_more_than_alone(
    saved: list[int], alone: int
) -> None:
    shares = attribute(saved, alone)
    assert [kept + freed for kept, freed in shares] == saved
    assert all(kept >= 0 and freed >= 0 for kept, freed in shares)
    assert sum(kept for kept, _ in shares) == min(alone, sum(saved))


@given(savings, amounts, st.integers(min_value=0, max_value=10**9))
def test_a_ledger_built_from_the_shares_holds_every_invariant(saved: list[int], alone: int, spare: int) -> None:
    entries = []
    for i, (kept, freed) in enumerate(attribute(saved, alone)):
        entries.append(Entry(f"action-{i}", Capability.CONSOLIDATION, kept, "drained"))
        entries.append(Entry(f"action-{i}", Capability.WORKLOAD_RIGHTSIZING, freed, "freed by new requests"))
    before = sum(saved) + spare
    ledger = Ledger(before, spare, tuple(entries))
    assert ledger.problems() == []
    assert sum(ledger.by_capability().values()) == ledger.cost_before_micro - ledger.cost_after_micro
    assert ledger.savings_micro <= ledger.cost_before_micro


def test_the_invariants_fire() -> None:
    """A check that cannot fail is not a check."""
    twice = (Entry("a", Capability.SPOT, 5, ""), Entry("a", Capability.SPOT, 5, ""))
    assert any("twice" in p for p in Ledger(20, 10, twice).problems())
    assert any("add up" in p for p in Ledger(20, 12, twice).problems())
    assert any("exceed" in p for p in Ledger(5, -5, twice).problems())
    assert any("negative" in p for p in Ledger(20, 20, (Entry("b", Capability.SPOT, -1, ""),
                                                          Entry("c", Capability.SPOT, 1, ""))).problems())  # fmt: skip
