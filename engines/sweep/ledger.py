"""One savings ledger: each saved dollar belongs to exactly one recommendation, under exactly one capability.

Money is counted in whole micro-dollars per hour, each node price rounded once, so "the capabilities add up to
the cost before less the cost after" holds exactly, not within a float tolerance.

Only nodes cost money: a smaller request saves nothing until a node goes. So workload rightsizing is credited
with the node dollars the consolidation could free only because the requests shrank: consolidation alone (on
today's requests) would have saved `alone`; on the new requests it saves `total`; rightsizing gets
`total - min(alone, total)` and the consolidation actions keep the rest, shared pro rata to each action's saving.
A pod's rightsizing and the node it frees are thereby never counted twice (the double count Kubecost users found).

>>> split(10, [1, 1, 1])
[4, 3, 3]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

MICRO = 1_000_000


def micro(dollars: float) -> int:
    return round(dollars * MICRO)


class Capability(StrEnum):
    WORKLOAD_RIGHTSIZING = "workload_rightsizing"
    CONSOLIDATION = "consolidation"
    NODE_RIGHTSIZING = "node_rightsizing"
    SPOT = "spot"


@dataclass(frozen=True, slots=True)
class Entry:
    recommendation: str  # the action or node it belongs to, e.g. "consolidation-3" or "spot-ip-10-0-0-1"
    capability: Capability
    micro_per_hour: int
    reason: str


@dataclass(frozen=True)
class Ledger:
    cost_before_micro: int
    cost_after_micro: int
    entries: tuple[Entry, ...]

    @property
    def savings_micro(self) -> int:
        return self.cost_before_micro - self.cost_after_micro

    def by_capability(self) -> dict[Capability, int]:
        totals = dict.fromkeys(Capability, 0)
        for entry in self.entries:
            totals[entry.capability] += entry.micro_per_hour
        return totals

    def problems(self) -> list[str]:
        """The ledger's invariants, in words; empty when every one holds."""
        found = []
        claimed = sum(e.micro_per_hour for e in self.entries)
        if claimed != self.savings_micro:
            found.append(f"entries add up to {claimed} µ$/h, the costs differ by {self.savings_micro}")
        if self.cost_after_micro < 0 or self.savings_micro > self.cost_before_micro:
            found.append(f"savings {self.savings_micro} exceed the current cost {self.cost_before_micro}")
        found += [
            f"{e.recommendation}: negative entry {e.micro_per_hour}" for e in self.entries if e.micro_per_hour < 0
        ]
        twice = Counter((e.recommendation, e.capability) for e in self.entries)
        found += [f"{r} is entered twice under {c}" for (r, c), n in sorted(twice.items()) if n > 1]
        return found


def split(amount: int, weights: Sequence[int]) -> list[int]:
    """`amount` shared pro rata to non-negative `weights`, largest remainders first: the parts add up exactly."""
    if not weights:
        return []
    total = sum(weights)
    if total <= 0:
        return [amount] + [0] * (len(weights) - 1)
    parts = [amount * w // total for w in weights]
    left = amount - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % total), i))
    for i in order[:left]:
        parts[i] += 1
    return parts


def attribute(savings: Sequence[int], alone: int) -> list[tuple[int, int]]:
    """Per consolidation action on the new requests (its saving): (consolidation's part, rightsizing's part)."""
    total = sum(savings)
    kept = split(max(0, min(alone, total)), savings)
    return [(k, s - k) for k, s in zip(kept, savings, strict=True)]
