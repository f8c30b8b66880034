"""Realised savings by kind with each node dollar counted once (spec P5: savings never larger than the bill).

The bill moves only when nodes change: a node change (consolidation, node rightsizing, Spot) realises what its guard
measured, the price of the nodes removed less the price of those launched. A workload patch (rightsizing, OOM
remediation) frees requests its guard prices, but no node goes yet: that value is a claim, realised when a later
consolidation or node rightsizing removes the capacity it freed. Such a node change's measured dollars go first to
the outstanding claims (the sweep ledger's rule: the node dollars only the new requests free belong to workload
rightsizing), the rest to its own kind; a Spot move saves by price, not freed capacity, and cashes no claim.

>>> first = credit({}, {}, "workload_rightsizing", 3.0)
>>> first.realised, first.claims
({}, {'workload_rightsizing': 3.0})
>>> then = credit(first.realised, first.claims, "consolidation", 5.0)
>>> then.realised, then.claims
({'workload_rightsizing': 3.0, 'consolidation': 2.0}, {'workload_rightsizing': 0.0})
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

WORKLOAD_KINDS = frozenset({"workload_rightsizing", "oom"})
CASHING_KINDS = frozenset({"consolidation", "node_rightsizing"})  # node changes that remove freed capacity


@dataclass(frozen=True)
class Credited:
    realised: dict[str, float]  # kind -> $/h realised (node dollars, each once)
    claims: dict[str, float]  # kind -> $/h of freed requests no node change has realised yet
    reason: str


def credit(realised: Mapping[str, float], claims: Mapping[str, float], kind: str, saving: float) -> Credited:
    realised, claims = dict(realised), dict(claims)
    if kind in WORKLOAD_KINDS:
        claims[kind] = round(claims.get(kind, 0.0) + saving, 6)
        return Credited(realised, claims, f"{kind}: ${saving:.4f}/h of requests freed, realised once a node change "
                        "removes the capacity (claimed until then)")  # fmt: skip
    outstanding = {k: v for k, v in claims.items() if v > 0} if kind in CASHING_KINDS else {}
    owed = sum(outstanding.values())
    cashed = max(0.0, min(saving, owed))
    for claim, value in outstanding.items():
        part = cashed * value / owed
        realised[claim] = round(realised.get(claim, 0.0) + part, 6)
        claims[claim] = round(value - part, 6)
    realised[kind] = round(realised.get(kind, 0.0) + saving - cashed, 6)
    said = f"{kind}: ${saving:.4f}/h measured on the nodes"
    if cashed:
        said += f", ${cashed:.4f}/h of it the capacity workload patches freed (credited to them)"
    return Credited(realised, claims, said)
